package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Pipeline is a deal pipeline in HubSpot's wire shape (the Pipeline schema of the CRM
// pipelines API, https://developers.hubspot.com/docs/api/crm/pipelines).
type Pipeline struct {
	ID           string          `json:"id"`
	Label        string          `json:"label"`
	DisplayOrder int             `json:"displayOrder"`
	Archived     bool            `json:"archived"`
	Stages       []PipelineStage `json:"stages"`
	CreatedAt    string          `json:"createdAt"`
	UpdatedAt    string          `json:"updatedAt"`
}

// PipelineStage is one stage of a pipeline. Its id is what a deal's dealstage holds.
// HubSpot's spec types metadata as a map of strings, so a deal stage's probability and
// isClosed travel as "0.2" and "false".
type PipelineStage struct {
	ID           string            `json:"id"`
	Label        string            `json:"label"`
	DisplayOrder int               `json:"displayOrder"`
	Archived     bool              `json:"archived"`
	Metadata     map[string]string `json:"metadata"`
	CreatedAt    string            `json:"createdAt"`
	UpdatedAt    string            `json:"updatedAt"`
}

// stageDef is a compact way to write a pipeline stage.
type stageDef struct {
	id, label   string
	probability string
	closed      bool
}

// dealPipelineDefs are the deal pipelines every account starts with: HubSpot's default
// "Sales Pipeline", whose stage ids are the readable ones HubSpot gives it (closedwon, …),
// and an "Enterprise" pipeline added by the portal, whose stage ids are numbers as in any
// pipeline a customer creates, and whose labels repeat the default pipeline's ("Closed
// Won"): a stage is told apart by its id, never by its label
// (https://developers.hubspot.com/docs/api/crm/deals, "pipelines and stages").
var dealPipelineDefs = []struct {
	id, label string
	stages    []stageDef
}{
	{"default", "Sales Pipeline", []stageDef{
		{"appointmentscheduled", "Appointment Scheduled", "0.2", false},
		{"qualifiedtobuy", "Qualified To Buy", "0.4", false},
		{"presentationscheduled", "Presentation Scheduled", "0.6", false},
		{"decisionmakerboughtin", "Decision Maker Bought-In", "0.8", false},
		{"contractsent", "Contract Sent", "0.9", false},
		{"closedwon", "Closed Won", "1.0", true},
		{"closedlost", "Closed Lost", "0.0", true},
	}},
	{"1467822", "Enterprise", []stageDef{
		{"2096391", "Discovery", "0.1", false},
		{"2096392", "Proposal", "0.5", false},
		{"2096393", "Negotiation", "0.8", false},
		{"2096394", "Closed Won", "1.0", true},
		{"2096395", "Closed Lost", "0.0", true},
	}},
}

// dealPipelines builds the account's deal pipelines, stamped with its creation time.
func dealPipelines(ts string) []Pipeline {
	out := make([]Pipeline, 0, len(dealPipelineDefs))
	for i, d := range dealPipelineDefs {
		p := Pipeline{ID: d.id, Label: d.label, DisplayOrder: i, Stages: make([]PipelineStage, 0, len(d.stages)),
			CreatedAt: ts, UpdatedAt: ts}
		for j, s := range d.stages {
			p.Stages = append(p.Stages, PipelineStage{ID: s.id, Label: s.label, DisplayOrder: j,
				Metadata:  map[string]string{"probability": s.probability, "isClosed": strconv.FormatBool(s.closed)},
				CreatedAt: ts, UpdatedAt: ts})
		}
		out = append(out, p)
	}
	return out
}

// pipelineOptions are the options of the deals' pipeline property: one per pipeline.
func pipelineOptions() []Option {
	out := make([]Option, 0, len(dealPipelineDefs))
	for i, d := range dealPipelineDefs {
		out = append(out, Option{Value: d.id, Label: d.label, DisplayOrder: i})
	}
	return out
}

// dealStageOptions are the options of the deals' dealstage property: every stage of every
// pipeline, pipeline by pipeline, so labels repeat where the pipelines' labels do.
func dealStageOptions() []Option {
	var out []Option
	for _, d := range dealPipelineDefs {
		for _, s := range d.stages {
			out = append(out, Option{Value: s.id, Label: s.label, DisplayOrder: len(out)})
		}
	}
	return out
}

// listPipelines answers GET /crm/v3/pipelines/{objectType}: {results} with no paging. The
// sandbox keeps pipelines for deals only; the deal read or deal schema read scope lets a
// token read them.
func listPipelines(c *call) reply {
	ot, ok := lookupObjectType(c.r.PathValue("objectType"))
	if !ok {
		return c.badRequest("Unable to infer object type from: %s", c.r.PathValue("objectType"))
	}
	if rep, ok := c.requireAny(ot.schemaReadScopes()); !ok {
		return rep
	}
	pipelines, ok := c.acct.pipelines[ot.name]
	if !ok {
		return c.badRequest("Object type %s does not support pipelines", ot.typeID)
	}
	// jsonReply encodes under the lock, so the account's own slices can be handed over.
	return jsonReply(http.StatusOK, map[string]any{"results": pipelines})
}

// checkStage enforces that a record's stage belongs to its pipeline, as HubSpot does for
// deals: a stage belongs to exactly one pipeline, so setting a stage outside the deal's
// pipeline needs `pipeline` set to the stage's pipeline in the same write, and a deal
// created without `pipeline` goes to the default pipeline (the first one)
// (https://developers.hubspot.com/docs/api/crm/deals, "pipelines and stages"). current is
// the record being updated, nil on create. values are validated already (each option
// exists); on create without a pipeline, checkStage sets it.
func (a *account) checkStage(ot *objectType, current *record, values map[string]string) []propertyError {
	pipelines := a.pipelines[ot.name]
	stage := values["dealstage"]
	if ot.name != "deals" || len(pipelines) == 0 || stage == "" {
		return nil
	}
	pipelineID := values["pipeline"]
	if pipelineID == "" && current != nil {
		pipelineID = current.props["pipeline"]
	}
	if pipelineID == "" {
		pipelineID = pipelines[0].ID
		values["pipeline"] = pipelineID
	}
	for _, p := range pipelines {
		if p.ID != pipelineID {
			continue
		}
		ids := make([]string, 0, len(p.Stages))
		for _, s := range p.Stages {
			if s.ID == stage {
				return nil
			}
			ids = append(ids, s.ID)
		}
		return []propertyError{newPropertyError("dealstage", "INVALID_OPTION",
			fmt.Sprintf("%s was not one of the allowed options for pipeline %s: [%s]", stage, pipelineID, strings.Join(ids, ", ")),
			a.info.HubID)}
	}
	return nil // an unknown pipeline was refused as an invalid option of `pipeline`
}
