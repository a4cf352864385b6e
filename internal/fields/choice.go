package fields

import (
	"fmt"
	"strings"
)

// maxListedOptions bounds how many options an error message lists.
const maxListedOptions = 12

// ResolveOption finds the option s names: by value (exact), then by label (exact), then by
// label or value ignoring case when that is unambiguous. It returns the option's value. Writes,
// search filters and workflow conditions all resolve options this way, so authors can use the
// same words everywhere.
func ResolveOption(f *Field, s string) (string, bool) {
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

// AllowedOptions lists a field's options as `value ("Label")` for error messages.
func AllowedOptions(f *Field) string {
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

func normalizeSingleChoice(f *Field, v any) (string, error) {
	var s string
	switch v := v.(type) {
	case string:
		s = strings.TrimSpace(v)
	case bool:
		s = fmt.Sprint(v) // booleancheckbox enumerations have options "true" and "false"
	case float64:
		s = fmt.Sprint(v)
	default:
		return "", valueErr(f, "takes one option, not %s; allowed: %s", describe(v), AllowedOptions(f))
	}
	if value, ok := ResolveOption(f, s); ok {
		return value, nil
	}
	return "", valueErr(f, "%s is not one of its options; allowed values (or their labels): %s", describe(v), AllowedOptions(f))
}

func normalizeMultipleChoice(f *Field, v any) (string, error) {
	var items []string
	switch v := v.(type) {
	case string:
		items = strings.Split(v, ";")
	case []any:
		for _, it := range v {
			s, ok := it.(string)
			if !ok {
				return "", valueErr(f, "takes a list of options as strings; %s is not one", describe(it))
			}
			items = append(items, s)
		}
	default:
		return "", valueErr(f, "takes options as a list or joined with \";\", not %s", describe(v))
	}
	var out []string
	seen := map[string]bool{}
	var bad []string
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		value, ok := ResolveOption(f, it)
		if !ok {
			bad = append(bad, fmt.Sprintf("%q", it))
			continue
		}
		if !seen[value] {
			seen[value] = true
			out = append(out, value)
		}
	}
	if len(bad) > 0 {
		return "", valueErr(f, "%s %s not among its options; allowed values (or their labels): %s",
			strings.Join(bad, ", "), map[bool]string{true: "is", false: "are"}[len(bad) == 1], AllowedOptions(f))
	}
	return strings.Join(out, ";"), nil
}
