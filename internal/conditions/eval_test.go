package conditions

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/fields"
)

// mustCompile compiles against the test schemas or fails the test.
func mustCompile(t testing.TB, expr string) *Program {
	t.Helper()
	p, err := Compile(testSchemas(), expr, Limits{})
	if err != nil {
		t.Fatalf("Compile(%q): %v", expr, err)
	}
	return p
}

func TestGuideExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		expr    string
		records Records
		want    bool
	}{
		{"lifecycle stage is Customer", `contact.lifecyclestage == "customer"`,
			Records{Contact: map[string]string{"lifecyclestage": "customer"}}, true},
		{"lifecycle stage is not Customer", `contact.lifecyclestage == "customer"`,
			Records{Contact: map[string]string{"lifecyclestage": "lead"}}, false},
		{"lifecycle stage by label", `contact.lifecyclestage == "Customer"`,
			Records{Contact: map[string]string{"lifecyclestage": "customer"}}, true},
		{"annual revenue greater than 100,000", `company.annualrevenue > 100000`,
			Records{Company: map[string]string{"annualrevenue": "150000"}}, true},
		{"annual revenue exactly 100,000 is not greater", `company.annualrevenue > 100000`,
			Records{Company: map[string]string{"annualrevenue": "100000"}}, false},
		{"close date within the next 7 days", `withinNextDays(deal.closedate, 7)`,
			Records{Deal: map[string]string{"closedate": "2026-11-25T17:00:00.000Z"}}, true},
		{"close date in 10 days", `withinNextDays(deal.closedate, 7)`,
			Records{Deal: map[string]string{"closedate": "2026-11-30T17:00:00.000Z"}}, false},
		{"close date with daysUntil", `daysUntil(deal.closedate) <= 7`,
			Records{Deal: map[string]string{"closedate": "2026-11-25T17:00:00.000Z"}}, true},
		{"account tier is Enterprise", `contact.account_tier == "Enterprise"`,
			Records{Contact: map[string]string{"account_tier": "enterprise"}}, true},
		{"account tier is Growth", `contact.account_tier == "Enterprise"`,
			Records{Contact: map[string]string{"account_tier": "growth"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := mustCompile(t, tt.expr).Eval(context.Background(), tt.records, testNow())
			if err != nil {
				t.Fatal(err)
			}
			if got.Matched != tt.want || got.DependsOnEmpty {
				t.Errorf("%s = %+v, want Matched %v", tt.expr, got, tt.want)
			}
		})
	}
}

func TestEvalFieldKinds(t *testing.T) {
	t.Parallel()
	contact := map[string]string{
		"firstname": "Ada", "email": "ada@acme.com", "phone": "+1 617 555 0100",
		"message": "Asked about pricing for 40 seats", "lifecyclestage": "opportunity",
		"account_tier": "enterprise", "interests": "webinars;vip_events", "newsletter_opt_in": "true",
		"renewal_date": "2026-12-01", "notes_last_contacted": "1795219200000", // 2026-11-19T00:00:00Z
	}
	company := map[string]string{"annualrevenue": "2500000.50", "numberofemployees": "40", "name": "Acme", "industry": "RETAIL"}
	deal := map[string]string{"amount": "1200", "dealstage": "closedwon", "closedate": "2026-11-24T09:00:00Z", "contract_start": "2026-11-20"}
	records := Records{Contact: contact, Company: company, Deal: deal}
	tests := []struct {
		name string
		expr string
		want bool
	}{
		{"number greater than a double", `company.annualrevenue > 2500000.25`, true},
		{"number equals an int literal", `company.numberofemployees == 40`, true},
		{"number not equal to a negative int", `company.numberofemployees != -40`, true},
		{"number in a list of ints", `company.numberofemployees in [10, 40, 100]`, true},
		{"number arithmetic with an int", `deal.amount * 2 >= 2400`, true},
		{"number against an int expression", `daysUntil(deal.closedate) < company.numberofemployees`, true},
		{"string equality", `contact.firstname == "Ada"`, true},
		{"string function", `contact.email.endsWith("@acme.com")`, true},
		{"string regular expression", `contact.email.matches("^[a-z]+@acme[.]com$")`, true},
		{"text contains", `contact.message.contains("pricing")`, true},
		{"phone prefix", `contact.phone.startsWith("+1")`, true},
		{"bool as a condition", `contact.newsletter_opt_in`, true},
		{"bool compared with false", `contact.newsletter_opt_in == false`, false},
		{"single choice by value", `deal.dealstage == "closedwon"`, true},
		{"single choice by label", `deal.dealstage == "Closed Won"`, true},
		{"single choice by label ignoring case", `deal.dealstage == "closed won"`, true},
		{"single choice not equal by label", `deal.dealstage != "Closed Lost"`, true},
		{"single choice in labels and values", `contact.lifecyclestage in ["Sales Qualified Lead", "opportunity"]`, true},
		{"single choice with an upper-case value", `company.industry == "Retail"`, true},
		{"multiple choice holds a value", `"webinars" in contact.interests`, true},
		{"multiple choice holds a label", `"VIP events" in contact.interests`, true},
		{"multiple choice lacks an option", `"product_updates" in contact.interests`, false},
		{"multiple choice hasAny by label", `hasAny(contact.interests, ["Product updates", "Webinars"])`, true},
		{"multiple choice hasAll", `hasAll(contact.interests, ["webinars", "product_updates"])`, false},
		{"multiple choice size", `size(contact.interests) == 2`, true},
		{"multiple choice exists", `contact.interests.exists(i, i.startsWith("vip"))`, true},
		{"date before now", `contact.renewal_date > now`, true},
		{"date is today", `daysUntil(deal.contract_start) == 0`, true},
		{"date within next days", `withinNextDays(contact.renewal_date, 11)`, true},
		{"date not within fewer days", `withinNextDays(contact.renewal_date, 10)`, false},
		{"datetime from epoch milliseconds", `withinLastDays(contact.notes_last_contacted, 1)`, true},
		{"datetime against a timestamp literal", `deal.closedate > timestamp("2026-11-24T08:59:59Z")`, true},
		{"datetime against now plus a duration", `deal.closedate < now + duration("96h")`, true},
		{"fields of several objects", `contact.lifecyclestage == "Opportunity" && company.annualrevenue > 100000 && deal.amount >= 1000`, true},
		{"a comprehension variable named like an object", `[1, 2].exists(deal, deal == 2)`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := mustCompile(t, tt.expr).Eval(context.Background(), records, testNow())
			if err != nil {
				t.Fatal(err)
			}
			if got.Matched != tt.want || got.DependsOnEmpty {
				t.Errorf("%s = %+v, want Matched %v", tt.expr, got, tt.want)
			}
		})
	}
}

// TestEmptyFields pins the one rule for empty fields: a condition whose value depends on an
// empty field is false; && and || absorb it as they absorb errors.
func TestEmptyFields(t *testing.T) {
	t.Parallel()
	records := Records{
		Contact: map[string]string{"firstname": "", "lifecyclestage": "", "interests": ";", "email": "ada@acme.com"},
		Company: nil,                 // no associated company
		Deal:    map[string]string{}, // every property missing
	}
	tests := []struct {
		name    string
		expr    string
		matched bool
		empty   []string // the empty fields the value depends on; DependsOnEmpty when any
	}{
		{"equality", `contact.lifecyclestage == "customer"`, false, []string{"contact.lifecyclestage"}},
		{"inequality", `contact.lifecyclestage != "customer"`, false, []string{"contact.lifecyclestage"}},
		{"negated equality", `!(contact.lifecyclestage == "customer")`, false, []string{"contact.lifecyclestage"}},
		{"has", `has(contact.firstname)`, false, nil},
		{"not has", `!has(contact.firstname)`, true, nil},
		{"empty made explicit", `!has(contact.lifecyclestage) || contact.lifecyclestage != "customer"`, true, nil},
		{"false and empty", `contact.email == "x@y.z" && contact.lifecyclestage == "customer"`, false, nil},
		{"empty and false", `contact.lifecyclestage == "customer" && contact.email == "x@y.z"`, false, nil},
		{"true or empty", `contact.email == "ada@acme.com" || company.annualrevenue > 1`, true, nil},
		{"empty or true", `company.annualrevenue > 1 || contact.email == "ada@acme.com"`, true, nil},
		{"empty or false", `company.annualrevenue > 1 || contact.email == "x@y.z"`, false, []string{"company.annualrevenue"}},
		{"empty and empty", `contact.lifecyclestage == "lead" && deal.amount > 1`, false, []string{"contact.lifecyclestage", "deal.amount"}},
		{"empty and true", `contact.lifecyclestage == "lead" && contact.email == "ada@acme.com"`, false, []string{"contact.lifecyclestage"}},
		{"missing record", `company.annualrevenue <= 100000`, false, []string{"company.annualrevenue"}},
		{"missing property", `withinNextDays(deal.closedate, 7)`, false, []string{"deal.closedate"}},
		{"helper on empty", `daysUntil(deal.closedate) > 0`, false, []string{"deal.closedate"}},
		{"multiple choice with no option", `"webinars" in contact.interests`, false, []string{"contact.interests"}},
		{"negated membership", `!("webinars" in contact.interests)`, false, []string{"contact.interests"}},
		{"has on empty multiple choice", `has(contact.interests)`, false, nil},
		{"conditional on empty", `contact.firstname == "Ada" ? true : true`, false, []string{"contact.firstname"}},
		{"string function on empty", `contact.firstname.startsWith("A")`, false, []string{"contact.firstname"}},
		{"comprehension reading an empty field", `["a", "b"].exists(v, contact.firstname == v)`, false, []string{"contact.firstname"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := mustCompile(t, tt.expr).Eval(context.Background(), records, testNow())
			if err != nil {
				t.Fatal(err)
			}
			if got.Matched != tt.matched || got.DependsOnEmpty != (len(tt.empty) > 0) {
				t.Errorf("%s = %+v, want Matched %v, DependsOnEmpty %v", tt.expr, got, tt.matched, len(tt.empty) > 0)
			}
			if diff := cmp.Diff(tt.empty, got.EmptyFields); diff != "" {
				t.Errorf("%s: EmptyFields (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

// TestDayBoundaries counts calendar days in now's time zone (New York, UTC-5 in November),
// not in UTC.
func TestDayBoundaries(t *testing.T) {
	t.Parallel()
	ny := newYork()
	tests := []struct {
		name      string
		closedate string
		now       time.Time
		days      int64
		within7   bool
	}{
		{"end of the 7th day in New York", "2026-11-27T23:59:59-05:00", testNow(), 7, true},
		{"same instant written in UTC", "2026-11-28T04:59:59Z", testNow(), 7, true},
		{"start of the 8th day in New York", "2026-11-28T05:00:00Z", testNow(), 8, false},
		{"midnight today", "2026-11-20T05:00:00Z", testNow(), 0, true},
		{"earlier today counts as today", "2026-11-20T14:00:00Z", testNow(), 0, true},
		{"one second before midnight today", "2026-11-20T04:59:59Z", testNow(), -1, false},
		{"tomorrow in UTC is still today in New York", "2026-11-21T02:00:00Z", testNow(), 0, true},
		{"the same instant from a UTC now", "2026-11-21T02:00:00Z", testNow().UTC(), 1, true},
		{"across the end of daylight saving time", "2026-11-02T12:00:00-05:00",
			time.Date(2026, 10, 31, 12, 0, 0, 0, ny), 2, true},
		{"far future", "9999-12-31T00:00:00Z", testNow(), 2912118, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			records := Records{Deal: map[string]string{"closedate": tt.closedate}}
			for expr, want := range map[string]bool{
				"daysUntil(deal.closedate) == " + strconv.FormatInt(tt.days, 10): true,
				"withinNextDays(deal.closedate, 7)":                              tt.within7,
				"withinLastDays(deal.closedate, 1)":                              tt.days == 0 || tt.days == -1,
			} {
				got, err := mustCompile(t, expr).Eval(context.Background(), records, tt.now)
				if err != nil {
					t.Fatal(err)
				}
				if got.Matched != want {
					t.Errorf("%s with closedate %s, now %v = %v, want %v", expr, tt.closedate, tt.now, got.Matched, want)
				}
			}
		})
	}
}

// TestDateFields reads a date as a calendar day in now's zone, whatever form HubSpot gives.
func TestDateFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stored string
		days         int64
	}{
		{"ISO date", "2026-11-27", 7},
		{"midnight UTC as epoch milliseconds", "1795737600000", 7},
		{"midnight UTC as RFC 3339", "2026-11-27T00:00:00Z", 7},
		{"today", "2026-11-20", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustCompile(t, "daysUntil(contact.renewal_date) == "+strconv.FormatInt(tt.days, 10))
			got, err := p.Eval(context.Background(), Records{Contact: map[string]string{"renewal_date": tt.stored}}, testNow())
			if err != nil {
				t.Fatal(err)
			}
			if !got.Matched {
				t.Errorf("renewal_date %q: want %d days, got %+v", tt.stored, tt.days, got)
			}
			want := time.Date(2026, 11, 20+int(tt.days), 0, 0, 0, 0, newYork())
			if v, ok := got.Reads[0].Value.(time.Time); !ok || !v.Equal(want) {
				t.Errorf("read %v, want %v", got.Reads[0].Value, want)
			}
		})
	}
}

func TestEvalReportsReads(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `contact.lifecyclestage == "Customer" && hasAny(contact.interests, ["Webinars"]) && (has(contact.firstname) || deal.amount > 10 || company.annualrevenue > 5)`)
	records := Records{
		Contact: map[string]string{"lifecyclestage": "customer", "interests": "webinars", "firstname": ""},
		Deal:    map[string]string{"amount": "12.5"},
		Company: map[string]string{"annualrevenue": "1"},
	}
	got, err := p.Eval(context.Background(), records, testNow())
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Matched: true, Reads: []FieldRead{
		{Field: "contact.firstname", Kind: testSchemaKind(t, "contacts", "firstname"), Empty: true},
		{Field: "contact.interests", Kind: testSchemaKind(t, "contacts", "interests"), Value: []string{"webinars"}, Raw: "webinars"},
		{Field: "contact.lifecyclestage", Kind: testSchemaKind(t, "contacts", "lifecyclestage"), Value: "customer", Raw: "customer"},
		{Field: "deal.amount", Kind: testSchemaKind(t, "deals", "amount"), Value: 12.5, Raw: "12.5"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v (company.annualrevenue must not be read: || stopped at deal.amount)", got, want)
	}
}

func testSchemaKind(t *testing.T, object, field string) fields.Kind {
	t.Helper()
	f, ok := testSchemas()[object].Field(field)
	if !ok {
		t.Fatalf("no %s.%s", object, field)
	}
	return f.Kind
}

func TestEvalBadStoredValue(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `company.annualrevenue > 100000`)
	_, err := p.Eval(context.Background(), Records{Company: map[string]string{"annualrevenue": "n/a"}}, testNow())
	var bad *BadValueError
	if !errors.As(err, &bad) {
		t.Fatalf("err = %v, want *BadValueError", err)
	}
	const want = `company.annualrevenue is a number field but HubSpot holds "n/a" for it, which is not a number`
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestEvalTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	list := "[" + strings.Repeat("1, ", 499) + "1]"
	expr := list + ".all(x, x > 0)"
	p, err := Compile(testSchemas(), expr, Limits{Timeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Eval(context.Background(), Records{}, testNow()); !errors.Is(err, ErrTimeout) {
		t.Errorf("with a 1ns timeout: err = %v, want ErrTimeout", err)
	}
	// The same program with room to finish (not the 100 ms default: under -race on a busy
	// machine 500 iterations can take longer, and this checks the result, not the speed).
	p, err = Compile(testSchemas(), expr, Limits{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p.Eval(context.Background(), Records{}, testNow()); err != nil || !got.Matched {
		t.Errorf("with a one-minute timeout: %+v, %v", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Eval(ctx, Records{}, testNow()); !errors.Is(err, context.Canceled) {
		t.Errorf("with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestEvalRuntimeError(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `company.numberofemployees > 0.0 && 10 / (daysUntil(deal.closedate) - 4) > 1`)
	_, err := p.Eval(context.Background(), Records{
		Company: map[string]string{"numberofemployees": "3"},
		Deal:    map[string]string{"closedate": "2026-11-24T12:00:00Z"},
	}, testNow())
	var evalErr *EvalError
	if !errors.As(err, &evalErr) || evalErr.Message != "division by zero" {
		t.Errorf("err = %#v, want EvalError division by zero", err)
	}
}

func TestEvalConcurrently(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `contact.lifecyclestage == "Customer" && company.annualrevenue > 100000`)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				revenue := "50000"
				if (g+i)%2 == 0 {
					revenue = "150000"
				}
				got, err := p.Eval(context.Background(), Records{
					Contact: map[string]string{"lifecyclestage": "customer"},
					Company: map[string]string{"annualrevenue": revenue},
				}, testNow())
				if err != nil || got.Matched != ((g+i)%2 == 0) {
					t.Errorf("goroutine %d, eval %d: %+v, %v", g, i, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestBadValueErrorQuotesWholeCharacters: a long stored value is quoted shortened, never with
// a character cut in two.
func TestBadValueErrorQuotesWholeCharacters(t *testing.T) {
	t.Parallel()
	err := &BadValueError{Field: "company.annualrevenue", Kind: fields.KindNumber, Raw: strings.Repeat("a", 38) + strings.Repeat("€", 10)}
	if msg := err.Error(); strings.Contains(msg, `\x`) || !strings.Contains(msg, `aaa…"`) {
		t.Errorf("BadValueError = %q; want the raw value quoted with whole characters, shortened with …", msg)
	}
}
