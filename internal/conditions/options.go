package conditions

import (
	"fmt"
	"strings"

	"github.com/connectflo/integrations/internal/fields"
)

// maxListedOptions bounds how many options an error message lists.
const maxListedOptions = 12

// resolveOption finds the option a literal names, the way fields.Normalize does for writes
// so that authors can use the same words in conditions and in updates: the value (exact), then
// the label (exact), then a value or label ignoring case when only one option matches.
func resolveOption(f *fields.Field, s string) (string, bool) {
	for _, o := range f.Options {
		if o.Value == s {
			return o.Value, true
		}
	}
	for _, o := range f.Options {
		if o.Label == s {
			return o.Value, true
		}
	}
	match := ""
	for _, o := range f.Options {
		if strings.EqualFold(o.Label, s) || strings.EqualFold(o.Value, s) {
			if match != "" && match != o.Value {
				return "", false
			}
			match = o.Value
		}
	}
	return match, match != ""
}

// listOptions lists options as `value ("Label")` for error messages.
func listOptions(f *fields.Field) string {
	var parts []string
	for i, o := range f.Options {
		if i == maxListedOptions {
			parts = append(parts, fmt.Sprintf("and %d more (see DiscoverFields)", len(f.Options)-i))
			break
		}
		if o.Label != "" && o.Label != o.Value {
			parts = append(parts, fmt.Sprintf("%s (%q)", o.Value, o.Label))
		} else {
			parts = append(parts, o.Value)
		}
	}
	if len(parts) == 0 {
		return "none: the field has no options in HubSpot"
	}
	return strings.Join(parts, ", ")
}
