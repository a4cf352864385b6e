package fields

// Pipeline is a pipeline of an object type (deals have one or more), with its stages in
// display order. The store keeps pipelines as JSON under these Go names (see Field).
type Pipeline struct {
	ID           string  `json:",omitempty"`
	Label        string  `json:",omitempty"`
	DisplayOrder int     `json:",omitempty"`
	Archived     bool    `json:",omitempty"`
	Stages       []Stage `json:",omitempty"`
}

// Stage is one stage of a pipeline. Its ID is the value the stage field holds (a deal's
// dealstage); labels repeat across pipelines ("Closed Won" in each), ids do not.
type Stage struct {
	ID           string  `json:",omitempty"`
	Label        string  `json:",omitempty"`
	DisplayOrder int     `json:",omitempty"`
	Probability  float64 `json:",omitempty"` // 0 to 1, HubSpot's win probability of the stage
	Closed       bool    `json:",omitempty"` // a deal in the stage is closed, won or lost
}

// Won reports whether the stage closes a deal as won. HubSpot has no won flag: a stage's
// metadata says whether it is closed and its win probability, so a closed stage with
// probability 1 is won and one with probability 0 lost
// (https://developers.hubspot.com/docs/api/crm/pipelines, stage metadata).
func (s Stage) Won() bool { return s.Closed && s.Probability == 1 }

// PipelineFields names, per object type that has pipelines, the field holding a record's
// pipeline and the one holding its stage.
var PipelineFields = map[string]struct{ Pipeline, Stage string }{
	"deals": {Pipeline: "pipeline", Stage: "dealstage"},
}

// AnnotateStages sets, on the options of the stage field of objectType among fs, the id of
// the pipeline each stage belongs to. Options that are no stage of these pipelines keep an
// empty Pipeline.
func AnnotateStages(objectType string, fs []Field, pipelines []Pipeline) {
	names, ok := PipelineFields[objectType]
	if !ok {
		return
	}
	pipelineOf := map[string]string{}
	for _, p := range pipelines {
		for _, s := range p.Stages {
			pipelineOf[s.ID] = p.ID
		}
	}
	for i := range fs {
		if fs[i].Name != names.Stage {
			continue
		}
		options := fs[i].Options
		for j := range options {
			options[j].Pipeline = pipelineOf[options[j].Value]
		}
	}
}
