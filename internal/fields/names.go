package fields

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength is the longest field name a request may give, in bytes. HubSpot's property
// names are short identifiers (hs_analytics_first_touch_converting_campaign is among the
// longest defaults); this is our bound, not HubSpot's: a longer name is refused before it is
// looked up or compared with anything.
const MaxNameLength = 100

// MaxSuggestions is how many unknown names of one request get a "did you mean" suggestion.
// The misses after them are reported as unknown without one, so a request of many unknown
// names costs no more suggestion work than a request of a few.
const MaxSuggestions = 5

// CheckName refuses a name that no HubSpot property can have: empty, longer than
// MaxNameLength, not UTF-8, or holding control characters. Its message never quotes the name
// (a field path that holds the name is cut by rpcerr, at 200 bytes).
// Names with spaces or punctuation pass: they may be labels, which Lookup translates into a
// suggestion of the field's name.
func CheckName(name string) error {
	switch {
	case name == "":
		return &ValueError{Field: name, Message: "is empty: give a field name such as email (DiscoverFields lists them)"}
	case len(name) > MaxNameLength:
		return &ValueError{Field: name, Message: fmt.Sprintf("is a name of %d bytes; field names are at most %d (DiscoverFields lists them)", len(name), MaxNameLength)}
	case !utf8.ValidString(name):
		return &ValueError{Field: name, Message: "is not valid UTF-8, so it cannot be a field name"}
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return &ValueError{Field: name, Message: fmt.Sprintf("holds the control character %U, which no field name has", r)}
		}
	}
	return nil
}

// SuggestionBudget counts the suggestions one request may still compute. Create one per
// request with NewSuggestionBudget; it is not safe for concurrent use. A nil budget allows
// none.
type SuggestionBudget struct{ left int }

// NewSuggestionBudget allows MaxSuggestions suggestions.
func NewSuggestionBudget() *SuggestionBudget { return &SuggestionBudget{left: MaxSuggestions} }

// take spends one suggestion, reporting whether one was left.
func (b *SuggestionBudget) take() bool {
	if b == nil || b.left <= 0 {
		return false
	}
	b.left--
	return true
}
