package conditions

import (
	"context"
	"testing"
)

// BenchmarkEval measures one evaluation of a cached program with the records already
// fetched: the per-record cost a workflow pays for a condition.
func BenchmarkEval(b *testing.B) {
	cache := NewCache(16, Limits{})
	expr := `contact.lifecyclestage == "Customer" && company.annualrevenue > 100000 && withinNextDays(deal.closedate, 7)`
	if _, err := cache.Compile("workspaces/w/connections/c", testSchemas(), expr); err != nil {
		b.Fatal(err)
	}
	records := Records{
		Contact: map[string]string{"lifecyclestage": "customer", "firstname": "Ada"},
		Company: map[string]string{"annualrevenue": "150000"},
		Deal:    map[string]string{"closedate": "2026-11-25T10:00:00.000Z"},
	}
	schemas := testSchemas()
	ctx, now := context.Background(), testNow()
	b.ReportAllocs()
	for b.Loop() {
		p, err := cache.Compile("workspaces/w/connections/c", schemas, expr)
		if err != nil {
			b.Fatal(err)
		}
		res, err := p.Eval(ctx, records, now)
		if err != nil || !res.Matched {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}

// BenchmarkCompile measures a cache miss: building the environment from the schemas,
// parsing, checking and planning.
func BenchmarkCompile(b *testing.B) {
	schemas := testSchemas()
	for b.Loop() {
		if _, err := Compile(schemas, `contact.lifecyclestage == "Customer" && withinNextDays(deal.closedate, 7)`, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
