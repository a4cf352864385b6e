package fields

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ValueErrors is every property value a write refused, each a *ValueError (see
// Schema.NormalizeWrite).
type ValueErrors []error

func (e ValueErrors) Error() string { return errors.Join(e...).Error() }

// WithPipelines gives the schema its object type's pipelines (deals'), which NormalizeWrite
// resolves stages within and conditions read stage metadata from. It returns s.
func (s *Schema) WithPipelines(pipelines []Pipeline) *Schema {
	s.pipelines = pipelines
	return s
}

// Pipelines returns the pipelines of the schema's object type, in display order; none when
// it has none or they could not be read.
func (s *Schema) Pipelines() []Pipeline { return s.pipelines }

// Pipeline returns the pipeline with the given id.
func (s *Schema) Pipeline(id string) (*Pipeline, bool) {
	for i := range s.pipelines {
		if s.pipelines[i].ID == id {
			return &s.pipelines[i], true
		}
	}
	return nil, false
}

// StageOf returns the stage with the given id and its pipeline. Stage ids are unique
// across an object type's pipelines.
func (s *Schema) StageOf(id string) (*Stage, *Pipeline, bool) {
	for i := range s.pipelines {
		p := &s.pipelines[i]
		for j := range p.Stages {
			if p.Stages[j].ID == id {
				return &p.Stages[j], p, true
			}
		}
	}
	return nil, nil, false
}

// NormalizeWrite normalises the properties of one write to a record (raw values by name, as
// Normalize takes them), reporting every refused property as a ValueErrors.
//
// On an object type with pipelines (PipelineFields), a stage given by label is resolved
// within the record's own pipeline, because labels repeat across pipelines ("Closed Won" in
// each) while a stage belongs to exactly one pipeline, which HubSpot enforces
// (https://developers.hubspot.com/docs/api/crm/deals, "pipelines and stages"). The pipeline
// is the one the write sets (by id or label), or else the record's current one, which
// recordPipeline reads: NormalizeWrite calls it at most once, only for a stage given
// without the pipeline, and only when every other property is valid; its error is
// returned as is. A nil recordPipeline means there is no record to read: the label must
// then name a stage of one pipeline only. A stage given by id must belong to the pipeline
// the write sets or, when it sets none and the object type has several pipelines, to the
// record's current one (read the same way, at most once): otherwise it is refused listing
// the record's pipeline's stages and saying to set the pipeline to the stage's, rather than
// left for HubSpot to refuse. With one pipeline a stage id needs no read. A label the
// pipeline lacks, or one several pipelines share when the pipeline is not known, is refused
// listing each pipeline's stage of that label and saying to set the pipeline. Without known
// pipelines, stages resolve like any other option.
func (s *Schema) NormalizeWrite(props map[string]any, budget *SuggestionBudget, recordPipeline func() (string, error)) (map[string]string, error) {
	out := make(map[string]string, len(props))
	var errs ValueErrors
	names, hasPipelines := PipelineFields[s.ObjectType]
	stageField, hasStage := s.byName[names.Stage]
	stageGiven := false
	for _, name := range slices.Sorted(maps.Keys(props)) {
		isStage := hasPipelines && hasStage && name == names.Stage && len(s.pipelines) > 0
		v, err := s.Normalize(name, props[name], budget)
		if label, isString := props[name].(string); err != nil && isString && isStage && !stageField.ReadOnly && len(s.stagesLabelled(strings.TrimSpace(label))) > 0 {
			// A label that differs from several stages' only by case is ambiguous among all
			// options, but not within one pipeline: resolveStage decides.
			v, err = strings.TrimSpace(label), nil
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[name] = v
		if isStage && v != "" {
			stageGiven = true
		}
	}
	if stageGiven {
		if err := s.resolveStage(stageField, names.Pipeline, props, out, len(errs) == 0, recordPipeline); err != nil {
			var ve *ValueError
			if !errors.As(err, &ve) {
				return nil, err
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// resolveStage rewrites out[stage] (Normalize's choice for the stage) to the stage the input
// names within the record's pipeline; see NormalizeWrite. canRead says whether the record's
// pipeline may be read (the other properties are valid).
func (s *Schema) resolveStage(stageField *Field, pipelineName string, props map[string]any, out map[string]string, canRead bool, recordPipeline func() (string, error)) error {
	input := out[stageField.Name] // a value Normalize accepted that is not a string is an id
	if v, ok := props[stageField.Name].(string); ok {
		input = strings.TrimSpace(v)
	}
	pipelineID, setsPipeline := out[pipelineName]
	if _, bad := props[pipelineName]; bad && !setsPipeline {
		return nil // the pipeline is refused already; the stage cannot be placed
	}
	setsPipeline = setsPipeline && pipelineID != ""
	if st, owner, byID := s.StageOf(input); byID {
		if setsPipeline {
			if p, ok := s.Pipeline(pipelineID); ok && !slices.ContainsFunc(p.Stages, func(st Stage) bool { return st.ID == input }) {
				return s.stageErr(stageField, input, p, pipelineID, pipelineName)
			}
			return nil
		}
		// With one pipeline every record is in it, so the stage is; with several, the
		// record's pipeline decides, read as for a label.
		if len(s.pipelines) < 2 || recordPipeline == nil || !canRead {
			return nil
		}
		id, err := recordPipeline()
		if err != nil {
			return err
		}
		if id == "" || id == owner.ID {
			return nil
		}
		return s.foreignStageErr(stageField, st, owner, id, pipelineName)
	}
	if !setsPipeline {
		if recordPipeline == nil {
			pipelineID = ""
		} else {
			if !canRead {
				return nil
			}
			id, err := recordPipeline()
			if err != nil {
				return err
			}
			pipelineID = id
		}
	}
	p, ok := s.Pipeline(pipelineID)
	if !ok {
		// No pipeline to resolve within: without one (no record), a label of one stage in all
		// pipelines is certain; a pipeline not discovered may have that label too.
		cands := s.stagesLabelled(input)
		if len(cands) == 1 && pipelineID == "" {
			out[stageField.Name] = cands[0].stage.ID
			return nil
		}
		return s.stageErr(stageField, input, nil, pipelineID, pipelineName)
	}
	if st, ok := stageByLabel(p, input); ok {
		out[stageField.Name] = st.ID
		return nil
	}
	return s.stageErr(stageField, input, p, pipelineID, pipelineName)
}

// stageByLabel finds the stage of p with the given label: exactly, else by label or id
// ignoring case when only one stage matches (as ResolveOption does for other options).
func stageByLabel(p *Pipeline, label string) (*Stage, bool) {
	for i := range p.Stages {
		if p.Stages[i].Label == label {
			return &p.Stages[i], true
		}
	}
	var match *Stage
	for i := range p.Stages {
		if strings.EqualFold(p.Stages[i].Label, label) || strings.EqualFold(p.Stages[i].ID, label) {
			if match != nil {
				return nil, false
			}
			match = &p.Stages[i]
		}
	}
	return match, match != nil
}

type stageCandidate struct {
	stage    *Stage
	pipeline *Pipeline
}

// stagesLabelled lists, pipeline by pipeline, the stages whose label is label ignoring case,
// or whose id is label.
func (s *Schema) stagesLabelled(label string) []stageCandidate {
	var out []stageCandidate
	for i := range s.pipelines {
		p := &s.pipelines[i]
		for j := range p.Stages {
			if strings.EqualFold(p.Stages[j].Label, label) || p.Stages[j].ID == label {
				out = append(out, stageCandidate{&p.Stages[j], p})
			}
		}
	}
	return out
}

// stageErr refuses a stage that is not one of pipeline p (nil: the record's pipeline, id
// pipelineID, is not known), listing the stages the input names in every pipeline.
func (s *Schema) stageErr(f *Field, input string, p *Pipeline, pipelineID, pipelineName string) error {
	var msg string
	switch {
	case p != nil:
		msg = fmt.Sprintf("%q is not a stage of the record's pipeline %q (%s)", input, p.Label, p.ID)
	case pipelineID != "":
		msg = fmt.Sprintf("the record's pipeline %s is not among the discovered pipelines (refresh DiscoverFields if it was just created), so stage %q cannot be placed in it", pipelineID, input)
	default:
		msg = fmt.Sprintf("%q names a stage of several pipelines and the record's pipeline is not known", input)
	}
	cands := s.stagesLabelled(input)
	parts := make([]string, 0, len(cands))
	for i, c := range cands {
		if i == maxListedOptions {
			parts = append(parts, fmt.Sprintf("and %d more", len(cands)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("in %q (%s)", c.pipeline.Label, c.stage.ID))
	}
	if len(parts) > 0 {
		msg += fmt.Sprintf("; %q is a stage %s", cands[0].stage.Label, strings.Join(parts, ", "))
	}
	msg += fmt.Sprintf(": set %s to the stage's pipeline (by id or label) in the same write to move the record there, or give a stage of its pipeline (DiscoverFields lists the pipelines and their stages)", pipelineName)
	return &ValueError{Field: f.Name, Message: msg}
}

// foreignStageErr refuses stage st, given by id, of pipeline owner for a record in pipeline
// recordPipelineID, listing the stages of the record's pipeline and saying how to move the
// record to owner instead.
func (s *Schema) foreignStageErr(f *Field, st *Stage, owner *Pipeline, recordPipelineID, pipelineName string) error {
	msg := fmt.Sprintf("%q is the stage %q of pipeline %q (%s), not of the record's pipeline ", st.ID, st.Label, owner.Label, owner.ID)
	if p, ok := s.Pipeline(recordPipelineID); ok {
		parts := make([]string, 0, len(p.Stages))
		for i, c := range p.Stages {
			if i == maxListedOptions {
				parts = append(parts, fmt.Sprintf("and %d more", len(p.Stages)-i))
				break
			}
			parts = append(parts, fmt.Sprintf("%q (%s)", c.Label, c.ID))
		}
		msg += fmt.Sprintf("%q (%s), whose stages are %s", p.Label, p.ID, strings.Join(parts, ", "))
	} else {
		msg += fmt.Sprintf("%s, which is not among the discovered pipelines (refresh DiscoverFields if it was just created)", recordPipelineID)
	}
	msg += fmt.Sprintf(": set %s to %s in the same write to move the record there, or give a stage of its pipeline", pipelineName, owner.ID)
	return &ValueError{Field: f.Name, Message: msg}
}

// StagesNamed returns the ids of the stages s (a stage's id, or its label ignoring case)
// names across all pipelines, pipeline by pipeline: one id for an id or a label of one
// pipeline, several for a label that repeats ("Closed Won" in each pipeline). Because a
// stage belongs to one pipeline, a record's stage is among them exactly when it is the stage
// of that label in the record's own pipeline; conditions compare stages this way.
func (s *Schema) StagesNamed(name string) []string {
	var out []string
	for _, c := range s.stagesLabelled(name) {
		out = append(out, c.stage.ID)
	}
	return out
}

// IsStageField reports whether f is the stage field of the schema's object type and the
// schema knows its pipelines.
func (s *Schema) IsStageField(f *Field) bool {
	names, ok := PipelineFields[s.ObjectType]
	return ok && f.Name == names.Stage && len(s.pipelines) > 0
}

// StageClosed reports whether a record in the stage with id is closed (won or lost), by the
// stage's metadata in whichever pipeline has it. A stage no known pipeline has is closed when
// it is one of the closed stages of HubSpot's default deal pipeline (closedwon, closedlost).
func (s *Schema) StageClosed(id string) bool {
	if st, _, ok := s.StageOf(id); ok {
		return st.Closed
	}
	return id == "closedwon" || id == "closedlost"
}
