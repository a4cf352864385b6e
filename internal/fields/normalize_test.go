package fields

import (
	"errors"
	"math"
	"strings"
	"testing"
)

var (
	numberField   = &Field{Name: "annualrevenue", Kind: KindNumber}
	dateField     = &Field{Name: "renewal_date", Kind: KindDate}
	datetimeField = &Field{Name: "closedate", Kind: KindDateTime}
	boolField     = &Field{Name: "is_vip", Kind: KindBool}
	stageField    = &Field{Name: "dealstage", Kind: KindSingleChoice, Options: []Option{
		{Label: "Appointment Scheduled", Value: "appointmentscheduled"},
		{Label: "Closed Won", Value: "closedwon"},
		{Label: "Closed Lost", Value: "closedlost"},
	}}
	interestsField = &Field{Name: "product_interests", Kind: KindMultipleChoice, Options: []Option{
		{Label: "Voice AI", Value: "voice"}, {Label: "Chat", Value: "chat"}, {Label: "SMS", Value: "sms"},
	}}
	phoneField    = &Field{Name: "phone", Kind: KindPhone}
	nameField     = &Field{Name: "firstname", Kind: KindString}
	readOnlyField = &Field{Name: "hs_object_id", Kind: KindNumber, ReadOnly: true}
	calcField     = &Field{Name: "hs_time_in_lead", Kind: KindNumber, ReadOnly: true, Calculated: true}
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		name    string
		field   *Field
		in      any
		want    string
		wantErr string
	}{
		{"number from JSON", numberField, 150000.0, "150000", ""},
		{"number decimal", numberField, 1234.5, "1234.5", ""},
		{"number string", numberField, " 150000 ", "150000", ""},
		{"number keeps precision", numberField, "12345678901234567890.125", "12345678901234567890.125", ""},
		{"number plus sign", numberField, "+7", "7", ""},
		{"number leading dot", numberField, ".5", "0.5", ""},
		{"number exponent", numberField, "1.5e3", "1500", ""},
		{"number thousands", numberField, "150,000", "", `annualrevenue: takes a number without thousands separators, e.g. 150000 or 1234.5; got "150,000"`},
		{"number NaN", numberField, math.NaN(), "", "annualrevenue: takes a finite number, not the number NaN"},
		{"number NaN string", numberField, "NaN", "", `annualrevenue: takes a number such as 150000 or -12.5 (a dot for decimals, no currency signs, no NaN or Infinity); got "NaN"`},
		{"number currency", numberField, "$100", "", `annualrevenue: takes a number such as 150000 or -12.5 (a dot for decimals, no currency signs, no NaN or Infinity); got "$100"`},
		{"number bool", numberField, true, "", "annualrevenue: takes a number, not the boolean true"},
		{"number clear", numberField, nil, "", ""},
		{"number clear empty", numberField, "", "", ""},

		{"date", dateField, "2026-11-27", "2026-11-27", ""},
		{"date midnight rfc3339", dateField, "2026-11-27T00:00:00Z", "2026-11-27", ""},
		{"date epoch ms", dateField, 1795737600000.0, "2026-11-27", ""},
		{"date not midnight", dateField, "2026-11-27T10:00:00Z", "", `renewal_date: is a date field and HubSpot stores dates at midnight UTC; "2026-11-27T10:00:00Z" is 2026-11-27T10:00:00Z, not midnight UTC: send the date alone, e.g. "2026-11-27"`},
		{"date garbage", dateField, "next tuesday", "", `renewal_date: takes a calendar date: "2026-11-27", midnight UTC as RFC 3339 ("2026-11-27T00:00:00Z") or as epoch milliseconds; got "next tuesday"`},
		{"date impossible", dateField, "2026-02-30", "", `renewal_date: takes a calendar date: "2026-11-27", midnight UTC as RFC 3339 ("2026-11-27T00:00:00Z") or as epoch milliseconds; got "2026-02-30"`},

		{"datetime rfc3339", datetimeField, "2026-11-27T15:30:00+01:00", "2026-11-27T14:30:00.000Z", ""},
		{"datetime epoch", datetimeField, 1795790000123.0, "2026-11-27T14:33:20.123Z", ""},
		{"datetime epoch string", datetimeField, "1795790000123", "2026-11-27T14:33:20.123Z", ""},
		{"datetime bare date", datetimeField, "2026-11-27", "2026-11-27T00:00:00.000Z", ""},
		{"datetime no zone", datetimeField, "2026-11-27T15:30:00", "", `closedate: takes an instant: RFC 3339 with a time zone ("2026-11-27T14:30:00Z", "2026-11-27T15:30:00+01:00") or epoch milliseconds; got "2026-11-27T15:30:00"`},
		{"datetime fractional ms", datetimeField, 1.5, "", `closedate: takes an instant: RFC 3339 with a time zone ("2026-11-27T14:30:00Z", "2026-11-27T15:30:00+01:00") or epoch milliseconds; got the number 1.5`},

		{"bool", boolField, true, "true", ""},
		{"bool string", boolField, "FALSE", "false", ""},
		{"bool yes", boolField, "yes", "", `is_vip: takes true or false, not "yes"`},

		{"choice value", stageField, "closedwon", "closedwon", ""},
		{"choice label", stageField, "Closed Won", "closedwon", ""},
		{"choice label any case", stageField, "closed won", "closedwon", ""},
		{"choice unknown", stageField, "Won", "", `dealstage: "Won" is not one of its options; allowed values (or their labels): appointmentscheduled ("Appointment Scheduled"), closedwon ("Closed Won"), closedlost ("Closed Lost")`},
		{"choice list", stageField, []any{"closedwon"}, "", `dealstage: takes one option, not a list; allowed: appointmentscheduled ("Appointment Scheduled"), closedwon ("Closed Won"), closedlost ("Closed Lost")`},

		{"multi joined", interestsField, "voice;chat", "voice;chat", ""},
		{"multi list with labels", interestsField, []any{"Voice AI", "sms", "voice"}, "voice;sms", ""},
		{"multi bad", interestsField, "voice;fax;pager", "", `product_interests: "fax", "pager" are not among its options; allowed values (or their labels): voice ("Voice AI"), chat ("Chat"), sms ("SMS")`},
		{"multi non-string", interestsField, []any{1.0}, "", "product_interests: takes a list of options as strings; the number 1 is not one"},

		{"phone", phoneField, " +1 (617) 555-0100 ", "+1 (617) 555-0100", ""},
		{"phone letters", phoneField, "call me", "", `phone: takes a phone number of digits, spaces and + - ( ) . / x #, e.g. "+1 617 555 0100"; got "call me"`},
		{"phone too short", phoneField, "12", "", `phone: takes a phone number of 3 to 64 characters with at least 3 digits, e.g. "+1 617 555 0100"; got "12"`},

		{"string", nameField, "Ada", "Ada", ""},
		{"string from number", nameField, 42.0, "42", ""},
		{"string too long", nameField, strings.Repeat("x", MaxStringLength+1), "", "firstname: is 65537 characters long; HubSpot allows at most 65536"},
		{"string object", nameField, map[string]any{}, "", "firstname: takes text, not an object"},

		{"read-only", readOnlyField, "5", "", "hs_object_id: cannot be written: it is read-only in HubSpot"},
		{"calculated", calcField, "5", "", "hs_time_in_lead: cannot be written: HubSpot calculates it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.field, tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Normalize(%v) error =\n  %v\nwant\n  %s", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Normalize(%v) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestKindOfEveryPairing(t *testing.T) {
	cases := []struct {
		typ, fieldType string
		want           Kind
		known          bool
	}{
		{"bool", "booleancheckbox", KindBool, true},
		{"bool", "calculation_equation", KindBool, true},
		{"enumeration", "booleancheckbox", KindSingleChoice, true},
		{"enumeration", "checkbox", KindMultipleChoice, true},
		{"enumeration", "radio", KindSingleChoice, true},
		{"enumeration", "select", KindSingleChoice, true},
		{"enumeration", "calculation_equation", KindSingleChoice, true},
		{"date", "date", KindDate, true},
		{"datetime", "date", KindDateTime, true},
		{"string", "text", KindString, true},
		{"string", "textarea", KindText, true},
		{"string", "file", KindFile, true},
		{"string", "html", KindHTML, true},
		{"string", "phonenumber", KindPhone, true},
		{"string", "calculation_equation", KindString, true},
		{"number", "number", KindNumber, true},
		{"number", "calculation_equation", KindNumber, true},
		{"number", "calculation_rollup", KindNumber, true},
		{"phone_number", "phonenumber", KindPhone, true},
		{"object_coordinates", "text", KindString, false},
		{"string", "hologram", KindString, false},
	}
	for _, tc := range cases {
		if got, known := KindOf(tc.typ, tc.fieldType); got != tc.want || known != tc.known {
			t.Errorf("KindOf(%s, %s) = %v, %v; want %v, %v", tc.typ, tc.fieldType, got, known, tc.want, tc.known)
		}
	}
}

func TestFromProperty(t *testing.T) {
	unknown := FromProperty(Property{Name: "hs_notes_last_activity", Type: "object_coordinates", FieldType: "text", HubSpotDefined: true})
	if !unknown.ReadOnly || unknown.Kind != KindString || unknown.HubSpotType != "object_coordinates" || unknown.Custom {
		t.Errorf("unknown type = %+v; want a read-only standard string keeping its raw type", unknown)
	}
	rollup := FromProperty(Property{Name: "total", Type: "number", FieldType: "calculation_rollup"})
	if !rollup.Calculated || !rollup.ReadOnly || rollup.Kind != KindNumber || !rollup.Custom {
		t.Errorf("rollup = %+v; want a calculated, read-only, custom number", rollup)
	}
	choice := FromProperty(Property{Name: "tier", Type: "enumeration", FieldType: "select", Options: []Option{
		{Value: "c", DisplayOrder: -1}, {Value: "b", DisplayOrder: 2}, {Value: "a", DisplayOrder: 0, Hidden: true},
	}})
	var order []string
	for _, o := range choice.Options {
		order = append(order, o.Value)
	}
	if strings.Join(order, ",") != "a,b,c" || !choice.Options[0].Hidden {
		t.Errorf("options in order %v; want a,b,c (display order, -1 last) with hidden kept", order)
	}
}

func TestSchemaNormalize(t *testing.T) {
	s := NewSchema("deals", 1, []Field{{Name: "closedate", Label: "Close Date", Kind: KindDateTime}})
	if v, err := s.Normalize("closedate", "2026-11-27T10:00:00Z", nil); err != nil || v != "2026-11-27T10:00:00.000Z" {
		t.Errorf("Schema.Normalize = %q, %v", v, err)
	}
}

// FuzzNormalize checks that no value crashes the validator, and that whatever it accepts is
// a fixed point: HubSpot's form normalises to itself.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"150000", "1,000", "2026-11-27", "2026-11-27T10:00:00Z", "1795737600000", "Closed Won", "voice;chat", "+1 617", "", "NaN", "1e999", "-.5"} {
		f.Add(s, 0.0, false)
	}
	f.Add("", 1.5e300, true)
	fieldsToTry := []*Field{numberField, dateField, datetimeField, boolField, stageField, interestsField, phoneField, nameField}
	f.Fuzz(func(t *testing.T, s string, x float64, useNumber bool) {
		var v any = s
		if useNumber {
			v = x
		}
		for _, fld := range fieldsToTry {
			out, err := Normalize(fld, v)
			if err != nil {
				var ve *ValueError
				if !asValueError(err, &ve) || ve.Field != fld.Name {
					t.Fatalf("error %v does not name field %s", err, fld.Name)
				}
				continue
			}
			again, err := Normalize(fld, out)
			if err != nil || again != out {
				t.Fatalf("%s: %v → %q, but %q → %q, %v", fld.Name, v, out, out, again, err)
			}
		}
	})
}

func asValueError(err error, target **ValueError) bool {
	return errors.As(err, target)
}

// TestNormalizeQuotesWholeCharacters: a long bad value is quoted shortened, never with a
// character cut in two ("é" sits across the cut).
func TestNormalizeQuotesWholeCharacters(t *testing.T) {
	long := strings.Repeat("a", 39) + strings.Repeat("é", 20)
	for _, f := range []*Field{numberField, dateField, datetimeField, boolField, phoneField} {
		_, err := Normalize(f, long)
		var ve *ValueError
		if !errors.As(err, &ve) || strings.Contains(ve.Message, `\x`) || !strings.Contains(ve.Message, `aaa…"`) {
			t.Errorf("Normalize(%s, %q) = %v; want a ValueError quoting whole characters, shortened with …", f.Name, long, err)
		}
	}
}
