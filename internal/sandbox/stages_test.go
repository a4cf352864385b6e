package sandbox_test

import (
	"testing"

	"github.com/connectflo/integrations/internal/sandbox"
)

// A deal's stage must be a stage of its pipeline: another pipeline's stage is refused unless
// the same write moves the deal to that pipeline, and a deal created without a pipeline is in
// the default one.
func TestDealStageBelongsToItsPipeline(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	create := func(kv ...string) string {
		t.Helper()
		return e.do("POST", "/crm/v3/objects/deals", map[string]any{"properties": props(append([]string{"dealname", "Stage test"}, kv...)...)}).want(t, 201).str("id")
	}
	tests := []struct {
		name         string
		id           string // the deal updated; "" creates one
		write        []string
		wantStatus   int
		wantPipeline string // after the write, when it succeeds
		wantStage    string
	}{
		{"create with a stage and no pipeline is in the default pipeline", "", []string{"dealstage", "closedwon"}, 201, "default", "closedwon"},
		{"create with another pipeline's stage and no pipeline", "", []string{"dealstage", "2096394"}, 400, "", ""},
		{"create in a pipeline with its stage", "", []string{"pipeline", "1467822", "dealstage", "2096394"}, 201, "1467822", "2096394"},
		{"create in a pipeline with another's stage", "", []string{"pipeline", "1467822", "dealstage", "closedwon"}, 400, "", ""},
		{"update to a stage of the deal's pipeline", create("pipeline", "1467822", "dealstage", "2096391"), []string{"dealstage", "2096394"}, 200, "1467822", "2096394"},
		{"update to another pipeline's stage without the pipeline", create("pipeline", "1467822", "dealstage", "2096391"), []string{"dealstage", "closedwon"}, 400, "", ""},
		{"update moving the deal with pipeline and stage", create("pipeline", "default", "dealstage", "qualifiedtobuy"), []string{"pipeline", "1467822", "dealstage", "2096394"}, 200, "1467822", "2096394"},
		{"update clearing the stage", create("pipeline", "1467822", "dealstage", "2096391"), []string{"dealstage", ""}, 200, "1467822", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"properties": props(tt.write...)}
			var res response
			if tt.id == "" {
				res = e.do("POST", "/crm/v3/objects/deals", body).want(t, tt.wantStatus)
			} else {
				res = e.do("PATCH", "/crm/v3/objects/deals/"+tt.id, body).want(t, tt.wantStatus)
			}
			if tt.wantStatus == 400 {
				if res.str("category") != "VALIDATION_ERROR" || res.str("errors", 0, "code") != "INVALID_OPTION" ||
					res.str("errors", 0, "context", "propertyName", 0) != "dealstage" {
					t.Fatalf("got %s, want an INVALID_OPTION of dealstage", res.raw)
				}
				return
			}
			got := e.do("GET", "/crm/v3/objects/deals/"+res.str("id")+"?properties=pipeline,dealstage", nil).want(t, 200)
			if got.str("properties", "pipeline") != tt.wantPipeline || got.str("properties", "dealstage") != tt.wantStage {
				t.Errorf("pipeline, dealstage = %q, %q; want %q, %q", got.str("properties", "pipeline"), got.str("properties", "dealstage"), tt.wantPipeline, tt.wantStage)
			}
		})
	}
}
