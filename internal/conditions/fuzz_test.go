package conditions

import (
	"context"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzCompile compiles arbitrary text: it must never panic, every failure must be a
// *ConditionError placed inside the expression, and whatever compiles must evaluate without
// panicking on empty and on filled records.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`contact.lifecyclestage == "Customer"`,
		`company.annualrevenue > 100000`,
		`withinNextDays(deal.closedate, 7) && daysUntil(deal.closedate) >= 0`,
		`"VIP events" in contact.interests || hasAny(contact.interests, ["webinars"])`,
		`!has(contact.firstname) || contact.firstname.matches("^A")`,
		`[1, 2].exists(deal, deal == 2)`,
		`contact.account_tier in ["Enterprise", "growth"] ? true : false`,
		`deal.closdate < now`,
		"contact.`firstname` == \"Ada\"",
		`((((`,
		`"\u00e9" == contact.email`,
	} {
		f.Add(seed)
	}
	schemas := testSchemas()
	records := Records{
		Contact: map[string]string{"lifecyclestage": "customer", "interests": "webinars", "firstname": "Ada", "renewal_date": "2026-12-01"},
		Company: map[string]string{"annualrevenue": "150000"},
		Deal:    map[string]string{"closedate": "2026-11-25T10:00:00Z", "amount": "0"},
	}
	f.Fuzz(func(t *testing.T, expr string) {
		p, err := Compile(schemas, expr, Limits{})
		if err != nil {
			var cerr *ConditionError
			if !errors.As(err, &cerr) || len(cerr.Issues) == 0 {
				t.Fatalf("Compile(%q) = %v, want a *ConditionError with issues", expr, err)
			}
			n := utf8.RuneCountInString(expr)
			for _, is := range cerr.Issues {
				if is.Offset < 0 || is.Offset > n || is.Line < 1 || is.Column < 1 || is.Message == "" {
					t.Fatalf("Compile(%q): issue %+v is outside the expression", expr, is)
				}
			}
			return
		}
		for _, r := range []Records{{}, records} {
			p.Eval(context.Background(), r, testNow()) // any result or error, no panic
		}
	})
}
