package conditions

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/fields"
)

// pipelineSchemas are the test schemas with the deals of a portal of two pipelines: HubSpot's
// default one and one whose stage labels repeat the default's with ids of their own.
func pipelineSchemas() map[string]*fields.Schema {
	pipelines := []fields.Pipeline{
		{ID: "default", Label: "Sales Pipeline", Stages: []fields.Stage{
			{ID: "qualifiedtobuy", Label: "Qualified To Buy", Probability: 0.4},
			{ID: "closedwon", Label: "Closed Won", Probability: 1, Closed: true},
			{ID: "closedlost", Label: "Closed Lost", Closed: true},
		}},
		{ID: "1467822", Label: "Enterprise", Stages: []fields.Stage{
			{ID: "2096392", Label: "Proposal", Probability: 0.5},
			{ID: "2096394", Label: "Closed Won", Probability: 1, Closed: true},
			{ID: "2096395", Label: "Closed Lost", Closed: true},
		}},
	}
	var options []fields.Option
	for _, p := range pipelines {
		for _, s := range p.Stages {
			options = append(options, fields.Option{Value: s.ID, Label: s.Label, Pipeline: p.ID})
		}
	}
	schemas := testSchemas()
	schemas[SchemaDeals] = fields.NewSchema("deals", 7, []fields.Field{
		{Name: "dealstage", Label: "Deal Stage", Kind: fields.KindSingleChoice, Options: options},
		{Name: "amount", Label: "Amount", Kind: fields.KindNumber},
	}).WithPipelines(pipelines)
	return schemas
}

// A stage compared by label is the stage of that label in the deal's own pipeline, and
// is_closed_won / is_closed come from the stage's metadata in any pipeline.
func TestStagesWithinTheDealsPipeline(t *testing.T) {
	tests := []struct {
		expr  string
		stage string // the deal's dealstage; "" is empty
		want  bool
		empty bool // the result depends on an empty field
	}{
		{`deal.dealstage == "Closed Won"`, "closedwon", true, false},
		{`deal.dealstage == "Closed Won"`, "2096394", true, false},
		{`deal.dealstage == "closed won"`, "2096394", true, false},
		{`deal.dealstage == "Closed Won"`, "2096395", false, false},
		{`"Closed Won" == deal.dealstage`, "2096394", true, false},
		{`deal.dealstage != "Closed Won"`, "2096394", false, false},
		{`deal.dealstage != "Closed Won"`, "qualifiedtobuy", true, false},
		{`deal.dealstage in ["Closed Won", "Proposal"]`, "2096392", true, false},
		{`deal.dealstage in ["Closed Won", "Proposal"]`, "closedwon", true, false},
		{`deal.dealstage in ["Closed Won", "Proposal"]`, "qualifiedtobuy", false, false},
		{`deal.dealstage == "closedwon"`, "2096394", false, false}, // an id is one stage
		{`deal.dealstage == "Proposal"`, "2096392", true, false},
		{`deal.is_closed_won`, "closedwon", true, false},
		{`deal.is_closed_won`, "2096394", true, false},
		{`deal.is_closed_won`, "2096395", false, false},
		{`deal.is_closed_won`, "2096392", false, false},
		{`deal.is_closed && !deal.is_closed_won`, "2096395", true, false},
		{`deal.is_closed`, "qualifiedtobuy", false, false},
		{`deal.is_closed_won`, "", false, true},
		{`deal.is_closed_won`, "a-deleted-stage", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.expr+"/"+tt.stage, func(t *testing.T) {
			p, err := Compile(pipelineSchemas(), tt.expr, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := p.Eval(context.Background(), Records{Deal: map[string]string{"dealstage": tt.stage}}, testNow())
			if err != nil {
				t.Fatal(err)
			}
			if res.Matched != tt.want || res.DependsOnEmpty != tt.empty {
				t.Errorf("Matched, DependsOnEmpty = %v, %v; want %v, %v", res.Matched, res.DependsOnEmpty, tt.want, tt.empty)
			}
		})
	}
}

// A computed stage flag reads the deal's stage from HubSpot; the translations say which
// stages a repeated label stood for.
func TestStageFlagsReadTheStage(t *testing.T) {
	p, err := Compile(pipelineSchemas(), `deal.is_closed_won || deal.dealstage == "Closed Won"`, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"deal.dealstage"}, p.Fields()); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
	want := []Translation{{Field: "deal.dealstage", Label: "Closed Won", Value: "closedwon"}, {Field: "deal.dealstage", Label: "Closed Won", Value: "2096394"}}
	if diff := cmp.Diff(want, p.Translations()); diff != "" {
		t.Errorf("Translations (-want +got):\n%s", diff)
	}
	// Without known pipelines there are no flags, and a label resolves like any option.
	if _, err := Compile(testSchemas(), `deal.is_closed_won`, Limits{}); err == nil {
		t.Error("deal.is_closed_won compiled without pipelines")
	}
}
