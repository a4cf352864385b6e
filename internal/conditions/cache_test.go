package conditions

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/connectflo/integrations/internal/fields"
)

func TestCacheReusesPrograms(t *testing.T) {
	t.Parallel()
	c := NewCache(10, Limits{})
	schemas := testSchemas()
	a, err := c.Compile("workspaces/w/connections/c", schemas, `company.annualrevenue > 100000`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Compile("workspaces/w/connections/c", testSchemas(), `company.annualrevenue > 100000`)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("same scope, versions and expression: want the cached program")
	}
	other, err := c.Compile("workspaces/w/connections/other", schemas, `company.annualrevenue > 100000`)
	if err != nil {
		t.Fatal(err)
	}
	if other == a {
		t.Error("another connection with the same versions must not share the program")
	}
	if _, err := c.Compile("workspaces/w/connections/c", schemas, `deal.closdate < now`); !errors.As(err, new(*ConditionError)) {
		t.Errorf("invalid condition through the cache: err = %v", err)
	}
	if c.Len() != 3 {
		t.Errorf("Len() = %d, want 3 (two programs and one compile error)", c.Len())
	}
}

// TestCacheKeepsCompileErrors: a caller repeating an invalid condition gets the error of the
// first compilation back (the same value: nothing was compiled again), and errors count
// against the same bound as programs.
func TestCacheKeepsCompileErrors(t *testing.T) {
	t.Parallel()
	const scope, bad = "workspaces/w/connections/c", `deal.closdate < now`
	c := NewCache(4, Limits{})
	var first *ConditionError
	if _, err := c.Compile(scope, testSchemas(), bad); !errors.As(err, &first) {
		t.Fatalf("invalid condition: err = %v, want a *ConditionError", err)
	}
	for range 3 {
		var again *ConditionError
		if _, err := c.Compile(scope, testSchemas(), bad); !errors.As(err, &again) || again != first {
			t.Fatalf("repeated invalid condition: err = %v (%p), want the cached error %p", err, again, first)
		}
	}
	for i := range 10 {
		c.Compile(scope, testSchemas(), fmt.Sprintf("contact.nosuchfield%d == 1", i))
	}
	if c.Len() != 4 {
		t.Errorf("Len() = %d after 11 distinct invalid conditions, want the bound 4", c.Len())
	}
	var evicted *ConditionError
	if _, err := c.Compile(scope, testSchemas(), bad); !errors.As(err, &evicted) || evicted == first {
		t.Errorf("the oldest error must have been evicted and compiled afresh: got %p, first %p", evicted, first)
	}
}

func TestCacheDropsProgramsOfOldSchemas(t *testing.T) {
	t.Parallel()
	c := NewCache(10, Limits{})
	const scope = "workspaces/w/connections/c"
	old := testSchemas()
	p1, _ := c.Compile(scope, old, `contact.account_tier == "Enterprise"`)
	c.Compile(scope, old, `contact.account_tier == "Growth"`)
	c.Compile("workspaces/w/connections/other", old, `contact.account_tier == "Growth"`)

	// Rediscovery: the tier field gained an option and the contacts schema a new version.
	rediscovered := testSchemas()
	f, _ := old[SchemaContacts].Field("account_tier")
	tier := *f
	tier.Options = append(append([]fields.Option(nil), tier.Options...), fields.Option{Value: "platinum", Label: "Platinum"})
	var contactFields []fields.Field
	for _, cf := range old[SchemaContacts].Fields() {
		if cf.Name == "account_tier" {
			contactFields = append(contactFields, tier)
		} else {
			contactFields = append(contactFields, *cf)
		}
	}
	rediscovered[SchemaContacts] = fields.NewSchema("contacts", 4, contactFields)

	p2, err := c.Compile(scope, rediscovered, `contact.account_tier == "Enterprise"`)
	if err != nil {
		t.Fatal(err)
	}
	if p2 == p1 || p2.SchemaVersions().Contacts != 4 {
		t.Errorf("after rediscovery got the old program (versions %+v)", p2.SchemaVersions())
	}
	if _, err := c.Compile(scope, rediscovered, `contact.account_tier == "Platinum"`); err != nil {
		t.Errorf("the new option must be accepted: %v", err)
	}
	// The two programs of the old version are gone; the other connection's one stays.
	if c.Len() != 3 {
		t.Errorf("Len() = %d, want 3", c.Len())
	}
	c.Invalidate(scope)
	if c.Len() != 1 {
		t.Errorf("after Invalidate: Len() = %d, want 1", c.Len())
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := NewCache(2, Limits{})
	schemas := testSchemas()
	a, _ := c.Compile("s", schemas, `deal.amount > 1`)
	c.Compile("s", schemas, `deal.amount > 2`)
	c.Compile("s", schemas, `deal.amount > 1`) // a is now the most recent
	c.Compile("s", schemas, `deal.amount > 3`) // evicts "> 2"
	if c.Len() != 2 {
		t.Fatalf("Len() = %d, want 2", c.Len())
	}
	if again, _ := c.Compile("s", schemas, `deal.amount > 1`); again != a {
		t.Error("the recently used program was evicted")
	}
}

func TestCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	c := NewCache(8, Limits{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				expr := fmt.Sprintf("deal.amount > %d", (g+i)%12)
				p, err := c.Compile(fmt.Sprintf("conn-%d", i%2), testSchemas(), expr)
				if err != nil || p.Expression() != expr {
					t.Errorf("Compile(%q) = %v, %v", expr, p, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 8 {
		t.Errorf("Len() = %d, over the bound of 8", c.Len())
	}
}
