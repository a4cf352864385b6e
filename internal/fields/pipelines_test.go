package fields

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStageWon(t *testing.T) {
	tests := []struct {
		name  string
		stage Stage
		want  bool
	}{
		{"closed at probability 1", Stage{Closed: true, Probability: 1}, true},
		{"closed at probability 0: lost", Stage{Closed: true}, false},
		{"open at probability 1", Stage{Probability: 1}, false},
		{"closed at 0.9", Stage{Closed: true, Probability: 0.9}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.stage.Won(); got != tt.want {
				t.Errorf("Won() = %v, want %v", got, tt.want)
			}
		})
	}
}

// Each stage choice names its pipeline; a value no pipeline has (a stage since deleted) names
// none, and other fields and object types are left alone.
func TestAnnotateStages(t *testing.T) {
	pipelines := []Pipeline{
		{ID: "default", Stages: []Stage{{ID: "closedwon", Label: "Closed Won"}}},
		{ID: "1467822", Stages: []Stage{{ID: "2096394", Label: "Closed Won"}}},
	}
	options := func() []Option {
		return []Option{{Value: "closedwon", Label: "Closed Won"}, {Value: "2096394", Label: "Closed Won"}, {Value: "gone", Label: "Gone"}}
	}
	deals := []Field{{Name: "dealstage", Options: options()}, {Name: "dealtype", Options: options()}}
	AnnotateStages("deals", deals, pipelines)
	want := []Field{{Name: "dealstage", Options: []Option{{Value: "closedwon", Label: "Closed Won", Pipeline: "default"},
		{Value: "2096394", Label: "Closed Won", Pipeline: "1467822"}, {Value: "gone", Label: "Gone"}}},
		{Name: "dealtype", Options: options()}}
	if d := cmp.Diff(want, deals); d != "" {
		t.Errorf("deals (-want +got):\n%s", d)
	}
	contacts := []Field{{Name: "dealstage", Options: options()}}
	AnnotateStages("contacts", contacts, pipelines)
	if d := cmp.Diff([]Field{{Name: "dealstage", Options: options()}}, contacts); d != "" {
		t.Errorf("a type without pipelines changed (-want +got):\n%s", d)
	}
}
