package fields

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// twoPipelines is a portal with HubSpot's default pipeline and one a customer added, whose
// stage labels repeat the default's and whose stage ids are numbers.
var twoPipelines = []Pipeline{
	{ID: "default", Label: "Sales Pipeline", Stages: []Stage{
		{ID: "qualifiedtobuy", Label: "Qualified To Buy", Probability: 0.4},
		{ID: "closedwon", Label: "Closed Won", Probability: 1, Closed: true},
		{ID: "closedlost", Label: "Closed Lost", Closed: true},
	}},
	{ID: "1467822", Label: "Enterprise", DisplayOrder: 1, Stages: []Stage{
		{ID: "2096392", Label: "Proposal", Probability: 0.5},
		{ID: "2096394", Label: "Closed Won", Probability: 1, Closed: true},
		{ID: "2096395", Label: "Closed Lost", Closed: true},
	}},
}

func dealSchema(pipelines []Pipeline) *Schema {
	var pipelineOpts, stageOpts []Option
	for _, p := range twoPipelines {
		pipelineOpts = append(pipelineOpts, Option{Value: p.ID, Label: p.Label})
		for _, s := range p.Stages {
			stageOpts = append(stageOpts, Option{Value: s.ID, Label: s.Label, Pipeline: p.ID})
		}
	}
	return NewSchema("deals", 1, []Field{
		{Name: "dealname", Kind: KindString},
		{Name: "amount", Kind: KindNumber},
		{Name: "pipeline", Kind: KindSingleChoice, Options: pipelineOpts},
		{Name: "dealstage", Kind: KindSingleChoice, Options: stageOpts},
	}).WithPipelines(pipelines)
}

func TestNormalizeWriteResolvesStagesWithinThePipeline(t *testing.T) {
	errRead := errors.New("HubSpot is down")
	tests := []struct {
		name      string
		pipelines []Pipeline
		props     map[string]any
		record    string // the record's current pipeline; "-" means there is no record to read
		readErr   error
		want      map[string]string
		wantReads int
		wantErr   []string // substrings of the dealstage (or other) violation
		wantIs    error
	}{
		{name: "label in the record's pipeline", pipelines: twoPipelines, record: "1467822",
			props: map[string]any{"dealstage": "Closed Won"}, want: map[string]string{"dealstage": "2096394"}, wantReads: 1},
		{name: "label in the default pipeline", pipelines: twoPipelines, record: "default",
			props: map[string]any{"dealstage": "Closed Won"}, want: map[string]string{"dealstage": "closedwon"}, wantReads: 1},
		{name: "label ignoring case", pipelines: twoPipelines, record: "1467822",
			props: map[string]any{"dealstage": "closed won"}, want: map[string]string{"dealstage": "2096394"}, wantReads: 1},
		{name: "label within the pipeline the write sets by label", pipelines: twoPipelines, record: "default",
			props: map[string]any{"pipeline": "Enterprise", "dealstage": "Closed Won"},
			want:  map[string]string{"pipeline": "1467822", "dealstage": "2096394"}},
		{name: "id with the pipeline it belongs to", pipelines: twoPipelines, record: "default",
			props: map[string]any{"pipeline": "1467822", "dealstage": "2096394"},
			want:  map[string]string{"pipeline": "1467822", "dealstage": "2096394"}},
		{name: "id of the record's pipeline", pipelines: twoPipelines, record: "1467822",
			props: map[string]any{"dealstage": "2096394"}, want: map[string]string{"dealstage": "2096394"}, wantReads: 1},
		{name: "id of another pipeline than the record's", pipelines: twoPipelines, record: "1467822",
			props: map[string]any{"dealstage": "closedwon"}, wantReads: 1,
			wantErr: []string{`"closedwon" is the stage "Closed Won" of pipeline "Sales Pipeline" (default), not of the record's pipeline "Enterprise" (1467822), whose stages are "Proposal" (2096392), "Closed Won" (2096394), "Closed Lost" (2096395): set pipeline to default in the same write to move the record there`}},
		{name: "id of a pipeline the record's is not among the discovered", pipelines: twoPipelines, record: "999",
			props: map[string]any{"dealstage": "closedwon"}, wantReads: 1,
			wantErr: []string{"record's pipeline 999, which is not among the discovered pipelines", "set pipeline to default"}},
		{name: "id with one pipeline is kept without reading", pipelines: twoPipelines[:1], record: "default",
			props: map[string]any{"dealstage": "closedwon"}, want: map[string]string{"dealstage": "closedwon"}},
		{name: "id with no record is kept", pipelines: twoPipelines, record: "-",
			props: map[string]any{"dealstage": "2096394"}, want: map[string]string{"dealstage": "2096394"}},
		{name: "id for a record without a pipeline is kept", pipelines: twoPipelines, record: "",
			props: map[string]any{"dealstage": "2096394"}, want: map[string]string{"dealstage": "2096394"}, wantReads: 1},
		{name: "id: the read's error as is", pipelines: twoPipelines, record: "default", readErr: errRead,
			props: map[string]any{"dealstage": "2096394"}, wantReads: 1, wantIs: errRead},
		{name: "id with another invalid property: no read", pipelines: twoPipelines, record: "default",
			props: map[string]any{"dealstage": "2096394", "amount": "lots"}, wantErr: []string{"amount"}},
		{name: "clearing the stage reads nothing", pipelines: twoPipelines, record: "default",
			props: map[string]any{"dealstage": ""}, want: map[string]string{"dealstage": ""}},
		{name: "label of another pipeline only", pipelines: twoPipelines, record: "1467822",
			props: map[string]any{"dealstage": "Qualified To Buy"}, wantReads: 1,
			wantErr: []string{`"Qualified To Buy" is not a stage of the record's pipeline "Enterprise" (1467822)`, `in "Sales Pipeline" (qualifiedtobuy)`, "set pipeline"}},
		{name: "id of another pipeline than the one set", pipelines: twoPipelines, record: "default",
			props:   map[string]any{"pipeline": "default", "dealstage": "2096394"},
			wantErr: []string{`"2096394" is not a stage of the record's pipeline "Sales Pipeline" (default)`, `in "Enterprise" (2096394)`}},
		{name: "label of several pipelines with no record", pipelines: twoPipelines, record: "-",
			props:   map[string]any{"dealstage": "Closed Won"},
			wantErr: []string{"several pipelines", `"Closed Won" is a stage in "Sales Pipeline" (closedwon), in "Enterprise" (2096394)`, "set pipeline"}},
		{name: "label of one pipeline with no record", pipelines: twoPipelines, record: "-",
			props: map[string]any{"dealstage": "Proposal"}, want: map[string]string{"dealstage": "2096392"}},
		{name: "another invalid property: no read", pipelines: twoPipelines, record: "default",
			props: map[string]any{"dealstage": "Closed Won", "amount": "lots"}, wantErr: []string{"amount"}},
		{name: "an invalid pipeline: no read", pipelines: twoPipelines, record: "default",
			props: map[string]any{"dealstage": "Closed Won", "pipeline": "Nope"}, wantErr: []string{"pipeline"}},
		{name: "a record's pipeline not discovered", pipelines: twoPipelines, record: "999",
			props: map[string]any{"dealstage": "Closed Won"}, wantReads: 1,
			wantErr: []string{"pipeline 999 is not among the discovered pipelines", `in "Enterprise" (2096394)`}},
		{name: "read error as is", pipelines: twoPipelines, record: "default", readErr: errRead,
			props: map[string]any{"dealstage": "Closed Won"}, wantReads: 1, wantIs: errRead},
		{name: "pipelines unknown: like any option", record: "1467822",
			props: map[string]any{"dealstage": "Closed Won"}, want: map[string]string{"dealstage": "closedwon"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reads := 0
			var read func() (string, error)
			if tt.record != "-" {
				read = func() (string, error) { reads++; return tt.record, tt.readErr }
			}
			got, err := dealSchema(tt.pipelines).NormalizeWrite(tt.props, NewSuggestionBudget(), read)
			if reads != tt.wantReads {
				t.Errorf("read the record's pipeline %d times, want %d", reads, tt.wantReads)
			}
			switch {
			case tt.wantIs != nil:
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("err = %v, want %v", err, tt.wantIs)
				}
			case tt.wantErr != nil:
				var ves ValueErrors
				if !errors.As(err, &ves) || len(ves) != 1 {
					t.Fatalf("err = %v, want one ValueError", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(ves[0].Error(), w) {
						t.Errorf("error %q does not say %q", ves[0], w)
					}
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("NormalizeWrite (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestStageClosed(t *testing.T) {
	tests := []struct {
		name      string
		pipelines []Pipeline
		stage     string
		want      bool
	}{
		{"won in the default pipeline", twoPipelines, "closedwon", true},
		{"won in another pipeline", twoPipelines, "2096394", true},
		{"lost in another pipeline", twoPipelines, "2096395", true},
		{"open in another pipeline", twoPipelines, "2096392", false},
		{"empty", twoPipelines, "", false},
		{"pipelines unknown: the default pipeline's closed stages", nil, "closedlost", true},
		{"pipelines unknown: another stage", nil, "2096395", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dealSchema(tt.pipelines).StageClosed(tt.stage); got != tt.want {
				t.Errorf("StageClosed(%q) = %v, want %v", tt.stage, got, tt.want)
			}
		})
	}
}
