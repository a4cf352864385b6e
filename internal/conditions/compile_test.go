package conditions

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/connectflo/integrations/internal/fields"
)

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	nested := func(depth int) string {
		list := "[" + strings.Repeat("0, ", 99) + "0]"
		expr := "x0 >= 0"
		for i := depth - 1; i >= 0; i-- {
			v := "x" + string(rune('0'+i))
			expr = list + ".all(" + v + ", " + expr + ")"
		}
		return strings.Replace(expr, "x0 >= 0", "x0 + x1 + x2 >= 0", 1)
	}
	tests := []struct {
		name string
		expr string
		want []Issue
	}{
		{"syntax: ends too early", `contact.firstname ==`, []Issue{
			{CodeSyntax, "syntax error: the condition ends too early", 1, 21, 20}}},
		{"syntax: unclosed parenthesis on line 2", "contact.firstname == \"Ada\" &&\n  (company.annualrevenue > 3", []Issue{
			{CodeSyntax, "syntax error: missing ')' before the end", 2, 29, 58}}},
		{"syntax: stray character", `contact.firstname == "Ada" # comment`, []Issue{
			{CodeSyntax, "syntax error: unexpected character '#'", 1, 28, 27},
			{CodeSyntax, "syntax error: unexpected 'comment'", 1, 30, 29}}},
		{"nested too deeply", strings.Repeat("(", 300) + "true" + strings.Repeat(")", 300), []Issue{
			{CodeSyntax, "the condition is nested too deeply; split it into simpler parts", 1, 1, 0}}},
		{"empty", "  ", []Issue{
			{CodeSyntax, `the condition is empty; write an expression such as contact.lifecyclestage == "customer"`, 1, 1, 0}}},
		{"unknown field with a suggestion", `deal.closdate < now`, []Issue{
			{CodeUnknownField, "deal has no field 'closdate'; did you mean 'closedate'?", 1, 6, 5}}},
		{"unknown field suggested by label", `company.annual_revenue > 5`, []Issue{
			{CodeUnknownField, "company has no field 'annual_revenue'; did you mean 'annualrevenue'?", 1, 9, 8}}},
		{"unknown field without a suggestion", `contact.favourite_colour == "red"`, []Issue{
			{CodeUnknownField, "contact has no field 'favourite_colour'; DiscoverFields lists the fields (refresh it if the field was just created in HubSpot)", 1, 9, 8}}},
		{"unknown variable", `contacts.firstname == "Ada"`, []Issue{
			{CodeUnknownName, "unknown name 'contacts'; a condition can read contact, company, deal and now, and call CEL's functions and daysUntil, withinNextDays, withinLastDays, hasAny and hasAll", 1, 1, 0}}},
		{"number compared with a string", `company.annualrevenue == "big"`, []Issue{
			{CodeTypeMismatch, "annualrevenue is a number, not a string: compare it with a number such as 100000", 1, 23, 22}}},
		{"number ordered against a string", `"100000" < company.annualrevenue`, []Issue{
			{CodeTypeMismatch, "annualrevenue is a number, not a string: compare it with a number such as 100000", 1, 10, 9}}},
		{"bool compared with a quoted bool", `contact.newsletter_opt_in == "true"`, []Issue{
			{CodeTypeMismatch, "newsletter_opt_in is a bool, not a string: compare it with true or false, without quotes", 1, 27, 26}}},
		{"choice compared with a number", `contact.lifecyclestage == 1`, []Issue{
			{CodeTypeMismatch, `lifecyclestage is a choice field, not an integer: compare it with one of its options in quotes, e.g. "subscriber"`, 1, 24, 23}}},
		{"datetime compared with a string", `deal.closedate > "2026-01-01"`, []Issue{
			{CodeTypeMismatch, `closedate is a date and time, not a string: compare it with now or timestamp("2026-11-27T00:00:00Z"), or use daysUntil, withinNextDays or withinLastDays`, 1, 16, 15}}},
		{"multiple choice compared with a string", `contact.interests == "webinars"`, []Issue{
			{CodeTypeMismatch, `interests is a multiple-choice field (a list of options), not a string: test an option with "product_updates" in contact.interests, or use hasAny(contact.interests, [...])`, 1, 19, 18}}},
		{"two fields of different kinds", `contact.firstname == company.annualrevenue`, []Issue{
			{CodeTypeMismatch, "firstname is a string and annualrevenue is a number: '==' cannot combine them", 1, 19, 18}}},
		{"helper given a string field", `withinNextDays(contact.firstname, 7)`, []Issue{
			{CodeTypeMismatch, "withinNextDays's first argument must be a date or datetime (a timestamp), but firstname is a string", 1, 15, 14}}},
		{"helper given a string for days", `withinNextDays(deal.closedate, "7")`, []Issue{
			{CodeTypeMismatch, "withinNextDays's second argument must be a whole number of days, not a string", 1, 15, 14}}},
		{"record indexed like a map", `contact["firstname"] == "Ada"`, []Issue{
			{CodeTypeMismatch, "read a field with a dot, as in contact.fieldname; a record cannot be indexed with []", 1, 8, 7}}},
		{"timestamp ordered against a string", `now > "2026-01-01"`, []Issue{
			{CodeTypeMismatch, "'>' cannot be applied to a timestamp and a string", 1, 5, 4}}},
		{"unknown option", `contact.account_tier == "Platinum"`, []Issue{
			{CodeUnknownOption, `"Platinum" is not an option of contact.account_tier; its options (value and label) are: starter ("Starter"), growth ("Growth"), enterprise ("Enterprise")`, 1, 25, 24}}},
		{"unknown option in a list", `deal.dealstage in ["Closed Won", "Won"]`, []Issue{
			{CodeUnknownOption, `"Won" is not an option of deal.dealstage; its options (value and label) are: appointmentscheduled ("Appointment Scheduled"), qualifiedtobuy ("Qualified To Buy"), contractsent ("Contract Sent"), closedwon ("Closed Won"), closedlost ("Closed Lost")`, 1, 34, 33}}},
		{"unknown option of a multiple-choice field", `"golf" in contact.interests`, []Issue{
			{CodeUnknownOption, `"golf" is not an option of contact.interests; its options (value and label) are: product_updates ("Product updates"), webinars ("Webinars"), vip_events ("VIP events")`, 1, 1, 0}}},
		{"compared with the empty string", `contact.firstname == ""`, []Issue{
			{CodeEmptyComparison, `an empty field has no value, so contact.firstname never equals ""; to test whether it is empty, write !has(contact.firstname)`, 1, 22, 21}}},
		{"compared with null", `null != deal.amount`, []Issue{
			{CodeEmptyComparison, `an empty field has no value, so deal.amount never equals null; to test whether it is empty, write has(deal.amount)`, 1, 1, 0}}},
		{"not a bool", `daysUntil(deal.closedate)`, []Issue{
			{CodeNotBool, "a condition must be true or false, but this one gives an integer", 1, 10, 9}}},
		{"not a bool: a field", `contact.firstname`, []Issue{
			{CodeNotBool, "a condition must be true or false, but this one gives a string", 1, 8, 7}}},
		{"record literal", `hubspot.Contact{firstname: "Ada"}.firstname == "Ada"`, []Issue{
			{CodeInvalid, "a condition reads the contact, company and deal it is given; it cannot create a hubspot.Contact", 1, 16, 15}}},
		{"bad regular expression", `contact.email.matches("(")`, []Issue{
			{CodeInvalid, "error parsing regexp: missing closing ): `(`", 1, 1, 0}}},
		{"too long", `contact.firstname == "` + strings.Repeat("a", 4100) + `"`, []Issue{
			{CodeTooLong, "the condition is 4123 characters long; at most 4096 are allowed", 1, 4097, 4096}}},
		{"too costly: nested loops", nested(3), []Issue{
			{CodeTooCostly, "the condition could cost up to 9141411 units to evaluate, more than the limit of 1000000: loop over fewer or smaller lists, or use fewer nested loops", 1, 1, 0}}},
		{"several problems at once", `deal.closdate < now && contact.account_tier == "Gold"`, []Issue{
			{CodeUnknownField, "deal has no field 'closdate'; did you mean 'closedate'?", 1, 6, 5},
			{CodeUnknownOption, `"Gold" is not an option of contact.account_tier; its options (value and label) are: starter ("Starter"), growth ("Growth"), enterprise ("Enterprise")`, 1, 48, 47}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Compile(testSchemas(), tt.expr, Limits{})
			var cerr *ConditionError
			if !errors.As(err, &cerr) {
				t.Fatalf("Compile(%q) = %v, %v; want a *ConditionError", tt.expr, p, err)
			}
			if !reflect.DeepEqual(cerr.Issues, tt.want) {
				t.Errorf("Compile(%q) issues:\n got  %#v\n want %#v", tt.expr, cerr.Issues, tt.want)
			}
			if cerr.Expression != tt.expr {
				t.Errorf("Expression = %q", cerr.Expression)
			}
		})
	}
}

func TestConditionErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := Compile(testSchemas(), "deal.closdate < now &&\n  company.annualrevenue == \"big\"", Limits{})
	// Unknown fields are reported before types are checked: the checker's view of the rest
	// would be built on a guess.
	const want = "invalid condition: 1:6: deal has no field 'closdate'; did you mean 'closedate'?"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestCompileMetadata(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `withinNextDays(deal.closedate, 7) && contact.lifecyclestage in ["Customer", "evangelist"] && `+
		`has(contact.firstname) && "VIP events" in contact.interests && deal.dealstage != "closed lost"`)
	wantFields := []string{"contact.firstname", "contact.interests", "contact.lifecyclestage", "deal.closedate", "deal.dealstage"}
	if got := p.Fields(); !reflect.DeepEqual(got, wantFields) {
		t.Errorf("Fields() = %v, want %v", got, wantFields)
	}
	if got, want := p.SchemaVersions(), (SchemaVersions{Contacts: 3, Companies: 5, Deals: 7}); got != want {
		t.Errorf("SchemaVersions() = %+v, want %+v", got, want)
	}
	wantTranslations := []Translation{
		{Field: "contact.lifecyclestage", Label: "Customer", Value: "customer"},
		{Field: "contact.interests", Label: "VIP events", Value: "vip_events"},
		{Field: "deal.dealstage", Label: "closed lost", Value: "closedlost"},
	}
	if got := p.Translations(); !reflect.DeepEqual(got, wantTranslations) {
		t.Errorf("Translations() = %+v, want %+v", got, wantTranslations)
	}
}

func TestCompileWithoutSchemas(t *testing.T) {
	t.Parallel()
	schemas := testSchemas()
	delete(schemas, SchemaDeals)
	p, err := Compile(schemas, `contact.lifecyclestage == "customer"`, Limits{})
	if err != nil {
		t.Fatalf("a condition on contacts needs no deal schema: %v", err)
	}
	if got := p.SchemaVersions(); got.Deals != 0 || got.Contacts != 3 {
		t.Errorf("SchemaVersions() = %+v", got)
	}
	_, err = Compile(schemas, `deal.amount > 1`, Limits{})
	const want = "invalid condition: 1:6: deal has no field 'amount': no deal fields have been discovered for this connection"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestCompileLimits(t *testing.T) {
	t.Parallel()
	expr := `contact.firstname == "Ada"`
	_, err := Compile(testSchemas(), expr, Limits{MaxLength: 10})
	var cerr *ConditionError
	if !errors.As(err, &cerr) || cerr.Issues[0].Code != CodeTooLong {
		t.Errorf("MaxLength 10: err = %v, want TOO_LONG", err)
	}
	// A text field can hold 65,536 characters, so a regular expression over it has a real
	// worst case: fine by default, refused under a small limit.
	expr = `contact.message.matches("pric(e|ing)")`
	if _, err := Compile(testSchemas(), expr, Limits{}); err != nil {
		t.Errorf("default limits: %v", err)
	}
	_, err = Compile(testSchemas(), expr, Limits{MaxCost: 1000})
	if !errors.As(err, &cerr) || cerr.Issues[0].Code != CodeTooCostly {
		t.Errorf("MaxCost 1000: err = %v, want TOO_COSTLY", err)
	}
	// A loop over a multiple-choice field is bounded by its number of options.
	if _, err := Compile(testSchemas(), `contact.interests.all(a, contact.interests.all(b, a == b))`, Limits{MaxCost: 1000}); err != nil {
		t.Errorf("loop over options: %v", err)
	}
}

func TestChoiceFieldWithClashingLabel(t *testing.T) {
	t.Parallel()
	// An option's label equal to another option's value: the value wins, as for writes.
	schemas := map[string]*fields.Schema{SchemaContacts: fields.NewSchema("contacts", 1, []fields.Field{
		{Name: "tier", Kind: fields.KindSingleChoice, Options: []fields.Option{
			{Value: "gold", Label: "silver"}, {Value: "silver", Label: "Silver tier"}}},
	})}
	p, err := Compile(schemas, `contact.tier == "silver"`, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Translations()) != 0 {
		t.Errorf("Translations() = %v, want none: silver is a value", p.Translations())
	}
}
