package records

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCheckSearchShape(t *testing.T) {
	groups := func(counts ...int) []int { return counts }
	cases := []struct {
		name  string
		shape SearchShape
		want  []string // the paths of the limits broken, in order
	}{
		{"empty", SearchShape{}, nil},
		{"at every limit", SearchShape{FiltersPerGroup: groups(6, 6, 6, 0, 0), ValuesPerFilter: [][]int{{MaxFilterValues}}, Sorts: 1,
			Query: strings.Repeat("é", MaxQueryLength), Properties: MaxProperties}, nil},
		{"six groups", SearchShape{FiltersPerGroup: groups(1, 1, 1, 1, 1, 1)}, []string{"filter_groups"}},
		{"seven filters in a group", SearchShape{FiltersPerGroup: groups(7)}, []string{"filter_groups[0].filters"}},
		{"nineteen filters in all", SearchShape{FiltersPerGroup: groups(6, 6, 6, 1)}, []string{"filter_groups"}},
		{"too many values", SearchShape{FiltersPerGroup: groups(2), ValuesPerFilter: [][]int{{1, MaxFilterValues + 1}}}, []string{"filter_groups[0].filters[1].values"}},
		{"two sorts", SearchShape{Sorts: 2}, []string{"sorts"}},
		{"a long query", SearchShape{Query: strings.Repeat("a", MaxQueryLength+1)}, []string{"query"}},
		{"too many properties", SearchShape{Properties: MaxProperties + 1}, []string{"properties"}},
		{"everything at once", SearchShape{FiltersPerGroup: groups(7, 7, 7, 7, 7, 7), Sorts: 3, Properties: 1000},
			[]string{"filter_groups", "filter_groups[0].filters", "filter_groups[1].filters", "filter_groups[2].filters", "filter_groups[3].filters",
				"filter_groups[4].filters", "filter_groups[5].filters", "filter_groups", "sorts", "properties"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, err := range CheckSearchShape(tc.shape) {
				le, ok := errors.AsType[*LimitError](err)
				if !ok || !strings.Contains(le.Message, "at most") {
					t.Fatalf("error %v is not a LimitError naming its limit", err)
				}
				got = append(got, le.Path)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("limits broken = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestCheckPropertyCount(t *testing.T) {
	if err := CheckPropertyCount("properties", MaxProperties); err != nil {
		t.Errorf("%d properties refused: %v", MaxProperties, err)
	}
	err := CheckPropertyCount("contacts[3].properties", MaxProperties+1)
	if le, ok := errors.AsType[*LimitError](err); !ok || le.Path != "contacts[3].properties" || !strings.Contains(le.Message, "at most 250") {
		t.Errorf("CheckPropertyCount(%d) = %v; want a LimitError on contacts[3].properties saying at most 250", MaxProperties+1, err)
	}
}
