// Package records holds what reading and searching CRM records needs beyond HubSpot's own
// API: HubSpot's default properties per object type, typing of HubSpot's string values by
// the discovered fields, and the checks a search filter must pass before it is sent.
package records

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
)

// DefaultProperties are what HubSpot returns when no properties are asked for, as the
// description of each object's OpenAPI spec says.
var DefaultProperties = map[string][]string{
	"contacts":  {"firstname", "lastname", "email"},
	"companies": {"name", "domain"},
	"deals":     {"dealname", "amount", "closedate", "pipeline", "dealstage"},
}

// Value is a HubSpot value typed by its field.
type Value struct {
	Set    bool // false when the property is empty in HubSpot
	Kind   fields.Kind
	Raw    string
	String string
	Number float64
	Bool   bool
	Time   time.Time
	List   []string
}

// Typed reads raw (HubSpot's string form) as a value of f's kind. A value that does not
// parse as its kind (HubSpot holds some odd data) is kept as a string, never an error.
func Typed(f *fields.Field, raw string, present bool) Value {
	v := Value{Raw: raw, Kind: fields.KindString}
	if f != nil {
		v.Kind = f.Kind
	}
	if !present || raw == "" {
		return v
	}
	v.Set = true
	var ok bool
	switch v.Kind {
	case fields.KindNumber:
		if v.Number, ok = fields.ParseNumber(raw); ok {
			return v
		}
	case fields.KindDate:
		if v.Time, ok = fields.ParseDate(raw); ok {
			return v
		}
	case fields.KindDateTime:
		if v.Time, ok = fields.ParseDateTime(raw); ok {
			return v
		}
	case fields.KindBool:
		if v.Bool, ok = fields.ParseBool(raw); ok {
			return v
		}
	case fields.KindMultipleChoice:
		v.List = fields.SplitChoices(raw)
		return v
	}
	v.Kind = fields.KindString
	if f != nil && f.Kind != fields.KindNumber && f.Kind != fields.KindDate && f.Kind != fields.KindDateTime && f.Kind != fields.KindBool {
		v.Kind = f.Kind
	}
	v.String = raw
	return v
}

// Filter is a search filter as the API receives it.
type Filter struct {
	Field     string
	Operator  string // HubSpot's operator name: EQ, NEQ, LT, …
	Value     any    // nil when not given
	HighValue any
	Values    []any
}

// operatorKinds says which kinds each operator applies to (nil: every kind).
var operatorKinds = map[string][]fields.Kind{
	"EQ": nil, "NEQ": nil, "HAS_PROPERTY": nil, "NOT_HAS_PROPERTY": nil,
	"LT": {fields.KindNumber, fields.KindDate, fields.KindDateTime}, "LTE": {fields.KindNumber, fields.KindDate, fields.KindDateTime},
	"GT": {fields.KindNumber, fields.KindDate, fields.KindDateTime}, "GTE": {fields.KindNumber, fields.KindDate, fields.KindDateTime},
	"BETWEEN":            {fields.KindNumber, fields.KindDate, fields.KindDateTime},
	"IN":                 {fields.KindString, fields.KindText, fields.KindNumber, fields.KindSingleChoice, fields.KindMultipleChoice, fields.KindPhone, fields.KindBool},
	"NOT_IN":             {fields.KindString, fields.KindText, fields.KindNumber, fields.KindSingleChoice, fields.KindMultipleChoice, fields.KindPhone, fields.KindBool},
	"CONTAINS_TOKEN":     {fields.KindString, fields.KindText, fields.KindPhone, fields.KindMultipleChoice, fields.KindHTML, fields.KindFile},
	"NOT_CONTAINS_TOKEN": {fields.KindString, fields.KindText, fields.KindPhone, fields.KindMultipleChoice, fields.KindHTML, fields.KindFile},
}

// CheckFilter validates a filter against the schema and returns HubSpot's form of it:
// the field exists (an unknown one gets a suggestion while budget allows), the operator suits its kind, the values needed are given and valid
// (choice labels become values; dates and datetimes become epoch milliseconds).
// An error is a *FilterError naming the part of the filter at fault.
func CheckFilter(schema *fields.Schema, f Filter, budget *fields.SuggestionBudget) (hubspot.Filter, error) {
	field, err := schema.Lookup(f.Field, budget)
	if err != nil {
		return hubspot.Filter{}, &FilterError{Part: "field", Err: err}
	}
	badPart := func(part, format string, args ...any) error {
		return &FilterError{Part: part, Err: &fields.ValueError{Field: f.Field, Message: fmt.Sprintf(format, args...)}}
	}
	bad := func(format string, args ...any) error { return badPart("operator", format, args...) }
	kinds, known := operatorKinds[f.Operator]
	if !known {
		return hubspot.Filter{}, bad("operator %q is not one of EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN, NOT_CONTAINS_TOKEN", f.Operator)
	}
	if kinds != nil && !containsKind(kinds, field.Kind) {
		return hubspot.Filter{}, bad("is a %s field; %s works on %s fields", field.Kind, f.Operator, kindList(kinds))
	}
	out := hubspot.Filter{PropertyName: field.Name, Operator: f.Operator}
	// value checks one value given in the filter's part named part.
	value := func(part string, v any, what string) (string, error) {
		if v == nil {
			return "", badPart(part, "%s needs %s", f.Operator, what)
		}
		if strings.HasSuffix(f.Operator, "CONTAINS_TOKEN") {
			s, ok := v.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return "", badPart(part, "%s needs a word to look for (\"*\" is a wildcard)", f.Operator)
			}
			return s, nil
		}
		s, err := schema.NormalizeForSearch(field, v, budget)
		if err != nil {
			return "", &FilterError{Part: part, Err: err}
		}
		return searchForm(field, s), nil
	}
	switch f.Operator {
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
		switch {
		case f.Value != nil:
			return hubspot.Filter{}, badPart("value", "%s takes no value", f.Operator)
		case f.HighValue != nil:
			return hubspot.Filter{}, badPart("high_value", "%s takes no value", f.Operator)
		case len(f.Values) > 0:
			return hubspot.Filter{}, badPart("values", "%s takes no value", f.Operator)
		}
	case "IN", "NOT_IN":
		if len(f.Values) == 0 {
			return hubspot.Filter{}, badPart("values", "%s needs values (a list)", f.Operator)
		}
		for i, v := range f.Values {
			s, err := value(fmt.Sprintf("values[%d]", i), v, "values")
			if err != nil {
				return hubspot.Filter{}, err
			}
			out.Values = append(out.Values, s)
		}
	case "BETWEEN":
		if out.Value, err = value("value", f.Value, "value (the low end)"); err != nil {
			return hubspot.Filter{}, err
		}
		if out.HighValue, err = value("high_value", f.HighValue, "high_value (the high end)"); err != nil {
			return hubspot.Filter{}, err
		}
	default:
		if out.Value, err = value("value", f.Value, "a value"); err != nil {
			return hubspot.Filter{}, err
		}
	}
	return out, nil
}

// FilterError is a filter CheckFilter refused, with the part of the filter at fault.
type FilterError struct {
	// Part is the filter's request field at fault: "field", "operator", "value",
	// "high_value", "values" or "values[i]".
	Part string
	Err  error
}

func (e *FilterError) Error() string { return e.Err.Error() }
func (e *FilterError) Unwrap() error { return e.Err }

// searchForm turns a normalised date or datetime into epoch milliseconds, the form HubSpot's
// search compares reliably.
func searchForm(f *fields.Field, normalised string) string {
	if f.Kind == fields.KindDate || f.Kind == fields.KindDateTime {
		if t, ok := fields.ParseDateTime(normalised); ok {
			return strconv.FormatInt(t.UnixMilli(), 10)
		}
	}
	return normalised
}

func containsKind(ks []fields.Kind, k fields.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func kindList(ks []fields.Kind) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.String()
	}
	return strings.Join(names, ", ")
}
