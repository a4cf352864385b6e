package fields

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// dealsSchema is a small schema with the names and labels typos are made against.
func dealsSchema() *Schema {
	return NewSchema("deals", 1, []Field{
		{Name: "closedate", Label: "Close Date", Kind: KindDateTime},
		{Name: "dealstage", Label: "Deal Stage", Kind: KindSingleChoice},
		{Name: "dealname", Label: "Deal Name", Kind: KindString},
		{Name: "email", Label: "Email", Kind: KindString},
		{Name: "firstname", Label: "First Name", Kind: KindString},
		{Name: "hs_lead_status", Label: "Lead Status", Kind: KindSingleChoice},
		{Name: "lifecyclestage", Label: "Lifecycle Stage", Kind: KindSingleChoice},
	})
}

func TestLookup(t *testing.T) {
	s := dealsSchema()
	cases := []struct {
		name, give string
		wantField  string // the field found, or "" for an error
		wantErr    string // the whole error, when one is expected
	}{
		{"exact name", "closedate", "closedate", ""},
		{"a typo", "closdate", "", `closdate: deals has no field "closdate"; did you mean "closedate"?`},
		{"a transposition", "emial", "", `emial: deals has no field "emial"; did you mean "email"?`},
		{"a missing letter in a long name", "lifecylestage", "", `lifecylestage: deals has no field "lifecylestage"; did you mean "lifecyclestage"?`},
		{"a name with underscores mistyped", "hs_lead_stauts", "", `hs_lead_stauts: deals has no field "hs_lead_stauts"; did you mean "hs_lead_status"?`},
		{"a name spelled with a space", "deal stage", "", `deal stage: deals has no field "deal stage"; did you mean "dealstage"?`},
		{"a label", "First Name", "", `First Name: deals has no field "First Name"; did you mean "firstname"?`},
		{"a label with a typo", "Lead Statsu", "", `Lead Statsu: deals has no field "Lead Statsu"; did you mean "hs_lead_status"?`},
		{"nothing close", "zzzzzzzzzzzzzz", "", `zzzzzzzzzzzzzz: deals has no field "zzzzzzzzzzzzzz"; DiscoverFields lists the fields (refresh it if the field was just created in HubSpot)`},
		{"punctuation only", "!!!", "", `!!!: deals has no field "!!!"; DiscoverFields lists the fields (refresh it if the field was just created in HubSpot)`},
		{"empty", "", "", `: is empty: give a field name such as email (DiscoverFields lists them)`},
		{"longer than a field name can be", strings.Repeat("q", 250), "", strings.Repeat("q", 250) + `: is a name of 250 bytes; field names are at most 100 (DiscoverFields lists them)`},
		{"a control character", "email\n", "", `email` + "\n" + `: holds the control character U+000A, which no field name has`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := s.Lookup(tc.give, NewSuggestionBudget())
			got := ""
			if f != nil {
				got = f.Name
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if got != tc.wantField || gotErr != tc.wantErr {
				t.Errorf("Lookup(%.40q) = %q, %q; want %q, %q", tc.give, got, gotErr, tc.wantField, tc.wantErr)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	cases := []struct {
		name, give string
		ok         bool
	}{
		{"an identifier", "hs_lead_status", true},
		{"a label", "Lead Status (EMEA)", true},
		{"the longest allowed", strings.Repeat("a", MaxNameLength), true},
		{"a byte too long", strings.Repeat("a", MaxNameLength+1), false},
		{"empty", "", false},
		{"not UTF-8", "e\xffmail", false},
		{"a NUL", "e\x00mail", false},
		{"a tab", "e\tmail", false},
		{"a C1 control", "e\u0085mail", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckName(tc.give); (err == nil) != tc.ok {
				t.Errorf("CheckName(%.40q) = %v; want ok=%v", tc.give, err, tc.ok)
			}
		})
	}
}

// The first MaxSuggestions misses of a request get a suggestion, the others do not; a nil
// budget allows none.
func TestSuggestionBudget(t *testing.T) {
	s := dealsSchema()
	budget := NewSuggestionBudget()
	var got []string
	for i := range MaxSuggestions + 2 {
		got = append(got, fmt.Sprintf("%d:%s", i, s.Suggest("emial", budget)))
	}
	want := []string{"0:email", "1:email", "2:email", "3:email", "4:email", "5:", "6:"}
	if !slices.Equal(got, want) {
		t.Errorf("suggestions over one budget = %q; want %q", got, want)
	}
	if sugg := s.Suggest("emial", nil); sugg != "" {
		t.Errorf("Suggest with a nil budget = %q; want none", sugg)
	}
	// A name refused by CheckName spends nothing.
	b := NewSuggestionBudget()
	for range 2 * MaxSuggestions {
		s.Suggest(strings.Repeat("e", 250), b)
	}
	if sugg := s.Suggest("emial", b); sugg != "email" {
		t.Errorf("after absurd names the budget is spent: Suggest = %q", sugg)
	}
}

// levenshtein is the plain edit distance, the reference boundedLevenshtein is checked
// against (and what every suggestion computed before the index, for every field).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func TestBoundedLevenshtein(t *testing.T) {
	pairs := [][2]string{{"", ""}, {"", "abc"}, {"abc", ""}, {"email", "emial"}, {"closedate", "closdate"},
		{"lifecyclestage", "lifecylestage"}, {"kitten", "sitting"}, {"abcdef", "fedcba"}, {"aaaa", "aaaaaaaa"}, {"hsleadstatus", "hsleadstauts"}}
	for _, p := range pairs {
		for bound := 0; bound <= 4; bound++ {
			want := min(levenshtein(p[0], p[1]), bound+1)
			if got := boundedLevenshtein(p[0], p[1], bound, nil); got != want {
				t.Errorf("boundedLevenshtein(%q, %q, %d) = %d; want %d", p[0], p[1], bound, got, want)
			}
		}
	}
}

func FuzzBoundedLevenshtein(f *testing.F) {
	f.Add("email", "emial", 2)
	f.Add("lifecyclestage", "lifecylestage", 3)
	f.Fuzz(func(t *testing.T, a, b string, bound int) {
		if len(a) > 64 || len(b) > 64 || bound < 0 || bound > 8 {
			t.Skip()
		}
		var sc scratch
		if got, want := boundedLevenshtein(a, b, bound, &sc), min(levenshtein(a, b), bound+1); got != want {
			t.Errorf("boundedLevenshtein(%q, %q, %d) = %d; want %d", a, b, bound, got, want)
		}
	})
}
