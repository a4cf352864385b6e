package records

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/fields"
)

func TestTyped(t *testing.T) {
	cases := []struct {
		name  string
		field *fields.Field
		raw   string
		check func(Value) bool
	}{
		{"number", &fields.Field{Kind: fields.KindNumber}, "150000.5", func(v Value) bool { return v.Set && v.Kind == fields.KindNumber && v.Number == 150000.5 }},
		{"odd number kept as text", &fields.Field{Kind: fields.KindNumber}, "n/a", func(v Value) bool { return v.Set && v.Kind == fields.KindString && v.String == "n/a" }},
		{"date", &fields.Field{Kind: fields.KindDate}, "2026-11-27", func(v Value) bool { return v.Time.Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)) }},
		{"datetime epoch", &fields.Field{Kind: fields.KindDateTime}, "1795790000123", func(v Value) bool { return v.Time.UnixMilli() == 1795790000123 }},
		{"bool", &fields.Field{Kind: fields.KindBool}, "true", func(v Value) bool { return v.Kind == fields.KindBool && v.Bool }},
		{"multi", &fields.Field{Kind: fields.KindMultipleChoice}, "a;b; c", func(v Value) bool { return strings.Join(v.List, ",") == "a,b,c" }},
		{"choice", &fields.Field{Kind: fields.KindSingleChoice}, "closedwon", func(v Value) bool { return v.Kind == fields.KindSingleChoice && v.String == "closedwon" }},
		{"unknown field", nil, "x", func(v Value) bool { return v.Kind == fields.KindString && v.String == "x" }},
		{"empty", &fields.Field{Kind: fields.KindNumber}, "", func(v Value) bool { return !v.Set }},
	}
	for _, tc := range cases {
		if v := Typed(tc.field, tc.raw, true); !tc.check(v) {
			t.Errorf("%s: Typed(%q) = %+v", tc.name, tc.raw, v)
		}
	}
}

func TestCheckFilter(t *testing.T) {
	schema := fields.NewSchema("deals", 1, []fields.Field{
		{Name: "amount", Kind: fields.KindNumber},
		{Name: "closedate", Kind: fields.KindDateTime},
		{Name: "dealstage", Kind: fields.KindSingleChoice, Options: []fields.Option{{Label: "Closed Won", Value: "closedwon"}}},
		{Name: "hs_object_id", Kind: fields.KindNumber, ReadOnly: true},
	})
	got, err := CheckFilter(schema, Filter{Field: "closedate", Operator: "BETWEEN", Value: "2026-11-27", HighValue: "2026-12-04T00:00:00Z"}, nil)
	if err != nil || got.Value != "1795737600000" || got.HighValue != "1796342400000" {
		t.Errorf("date range = %+v, %v; want epoch milliseconds", got, err)
	}
	if got, err := CheckFilter(schema, Filter{Field: "dealstage", Operator: "IN", Values: []any{"Closed Won"}}, nil); err != nil || got.Values[0] != "closedwon" {
		t.Errorf("IN by label = %+v, %v", got, err)
	}
	if _, err := CheckFilter(schema, Filter{Field: "hs_object_id", Operator: "GT", Value: 10.0}, nil); err != nil {
		t.Errorf("read-only fields must be searchable: %v", err)
	}
	for _, bad := range []struct {
		f          Filter
		part, want string
	}{
		{Filter{Field: "dealstage", Operator: "LT", Value: "x"}, "operator", "LT works on number, date, datetime fields"},
		{Filter{Field: "amount", Operator: "HAS_PROPERTY", Value: 1.0}, "value", "takes no value"},
		{Filter{Field: "amount", Operator: "NOT_HAS_PROPERTY", Values: []any{1.0}}, "values", "takes no value"},
		{Filter{Field: "amount", Operator: "IN"}, "values", "needs values"},
		{Filter{Field: "amount", Operator: "IN", Values: []any{1.0, "many"}}, "values[1]", ""},
		{Filter{Field: "amount", Operator: "BETWEEN", Value: 1.0}, "high_value", "high_value"},
		{Filter{Field: "amount", Operator: "EQ", Value: "lots"}, "value", ""},
		{Filter{Field: "amount", Operator: "LIKE", Value: 1.0}, "operator", "is not one of"},
		{Filter{Field: "amonut", Operator: "EQ", Value: 1.0}, "field", `did you mean "amount"`},
	} {
		_, err := CheckFilter(schema, bad.f, fields.NewSuggestionBudget())
		var fe *FilterError
		if !errors.As(err, &fe) || fe.Part != bad.part || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("CheckFilter(%+v) = %v; want a FilterError on its %s saying %q", bad.f, err, bad.part, bad.want)
		}
	}
}
