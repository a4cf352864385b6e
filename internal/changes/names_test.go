package changes

import "testing"

// TestDisplayName: the one rule by which changes name records, whichever way they were detected.
func TestDisplayName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		objectType string
		props      map[string]string
		want       string
	}{
		{"contacts", map[string]string{"firstname": "Ada", "lastname": "Lovelace", "email": "ada@x.example"}, "Ada Lovelace"},
		{"contacts", map[string]string{"lastname": "Lovelace", "email": "ada@x.example"}, "Lovelace"},
		{"contacts", map[string]string{"firstname": " ", "email": "ada@x.example"}, "ada@x.example"},
		{"contacts", map[string]string{}, ""},
		{"companies", map[string]string{"name": "Acme", "domain": "acme.example"}, "Acme"},
		{"companies", map[string]string{"domain": "acme.example"}, "acme.example"},
		{"deals", map[string]string{"dealname": "Big deal", "amount": "10"}, "Big deal"},
		{"tickets", map[string]string{"subject": "Help"}, ""},
	} {
		if got := DisplayName(tc.objectType, tc.props); got != tc.want {
			t.Errorf("DisplayName(%s, %v) = %q, want %q", tc.objectType, tc.props, got, tc.want)
		}
	}
}
