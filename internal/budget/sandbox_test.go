package budget_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/budget"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
)

// HubSpot's Free budget, 100 requests per rolling window, with the window shrunk from 10 s to
// 1 s so that a test pushes several windows through in seconds; searches keep their real
// 5 per second.
const (
	freeBudget = 100
	testWindow = time.Second
)

// fleet is how the replicas under test share (or do not share) the budget.
type fleet struct {
	name string
	// windows returns each replica's shared window of the budget key, or nil for a
	// replica keeping the budget to itself.
	windows func(t *testing.T, key string, n int) []hubspot.SharedWindow
}

var sharedFleets = []fleet{
	{"memory ledger", func(t *testing.T, key string, n int) []hubspot.SharedWindow {
		m := budget.NewMemory(0, nil)
		out := make([]hubspot.SharedWindow, n)
		for i := range out {
			out[i] = m.Window(key)
		}
		return out
	}},
	{"postgres ledger", func(t *testing.T, key string, n int) []hubspot.SharedWindow {
		dsn := testPostgres(t)
		out := make([]hubspot.SharedWindow, n)
		for i := range out {
			out[i] = budget.NewPostgres(openPostgres(t, dsn), 0).Window(key)
		}
		return out
	}},
}

// loadResult is what the sandbox saw of one run.
type loadResult struct {
	failed       int64
	received     int // counted (non-search) requests
	searches     int
	maxInWindow  int
	maxSearches  int
	measured     time.Duration // first to last counted receipt
	rateLimited  map[string]int
	firstFailure error
}

// runReplicas sends, from each of the replicas' limiters at once, perReplica reads and
// searches searches (one goroutine each) to one app's budget at the sandbox.
func runReplicas(t *testing.T, windows []hubspot.SharedWindow, perReplica, searches int) loadResult {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Seed: 17, Limits: sandbox.Limits{PerWindow: freeBudget, Window: testWindow}})
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierFree})
	if err != nil {
		t.Fatal(err)
	}
	seed, err := sb.SeedSampleData(acct.HubID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb) // 127.0.0.1:0
	t.Cleanup(srv.Close)
	parsed, err := hubspot.ParseToken(tok.Token)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var res loadResult
	var failMu sync.Mutex
	fail := func(err error) {
		if atomic.AddInt64(&res.failed, 1) == 1 {
			failMu.Lock()
			res.firstFailure = err
			failMu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for _, shared := range windows {
		limiter := hubspot.NewLimiter(hubspot.LimiterConfig{Budget: freeBudget, Window: testWindow, Shared: shared})
		c, err := hubspot.NewClient(hubspot.Options{BaseURL: srv.URL, Token: parsed, Limiter: limiter, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		for i := range perReplica {
			wg.Go(func() {
				id := seed.Contacts[i%len(seed.Contacts)]
				if _, err := c.GetObject(ctx, "contacts", id, hubspot.GetObjectOptions{Properties: []string{"email"}}); err != nil {
					fail(err)
				}
			})
		}
		for range searches {
			wg.Go(func() {
				_, err := c.Search(ctx, "contacts", hubspot.SearchRequest{
					FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "lifecyclestage", Operator: hubspot.OpEQ, Value: "lead"}}}},
					Limit:        5,
				})
				if err != nil {
					fail(err)
				}
			})
		}
	}
	wg.Wait()
	cs := sb.Counters()
	receipts, searchReceipts := cs.ReceiptTimes[tok.AppID], cs.SearchReceiptTimes[acct.HubID]
	res.received, res.searches = len(receipts), len(searchReceipts)
	res.maxInWindow = sandbox.MaxInWindow(receipts, testWindow)
	if len(receipts) > 1 {
		res.measured = receipts[len(receipts)-1].Sub(receipts[0])
	}
	res.maxSearches = sandbox.MaxInWindow(searchReceipts, time.Second)
	res.rateLimited = cs.RateLimited
	return res
}

// TestReplicasShareOneBudget: three limiters, as three replicas would hold for one HubSpot
// app, each loaded by its own callers at once, claim their slots from one ledger. HubSpot
// (the sandbox) then sees what one process would send: no rolling window over the budget,
// no more than 5 searches in a second, and not one 429, with every call answered first time.
func TestReplicasShareOneBudget(t *testing.T) {
	const replicas, perReplica, searches = 3, 150, 4
	for _, f := range sharedFleets {
		t.Run(f.name, func(t *testing.T) {
			r := runReplicas(t, f.windows(t, "app:shared", replicas), perReplica, searches)
			// The least time the window allows is a speed figure, logged and never asserted.
			minimum := time.Duration((replicas*perReplica+freeBudget-1)/freeBudget-1) * testWindow
			t.Logf("%d requests and %d searches: max %d in any %v (budget %d), max %d searches in any 1s, 429s %v; minimum %v / measured %v = %.2f",
				r.received, r.searches, r.maxInWindow, testWindow, freeBudget, r.maxSearches, r.rateLimited,
				minimum, r.measured.Round(time.Millisecond), float64(minimum)/float64(max(r.measured, 1)))
			if r.failed != 0 {
				t.Errorf("%d calls failed, the first: %v", r.failed, r.firstFailure)
			}
			if len(r.rateLimited) != 0 {
				t.Errorf("the sandbox answered 429s: %v", r.rateLimited)
			}
			if r.maxInWindow > freeBudget {
				t.Errorf("the sandbox received %d requests in one %v window, budget %d", r.maxInWindow, testWindow, freeBudget)
			}
			if r.maxSearches > 5 {
				t.Errorf("the sandbox received %d searches in one second, budget 5", r.maxSearches)
			}
			if want := replicas * perReplica; r.received != want {
				t.Errorf("the sandbox counted %d requests, want %d: one per call, no retries", r.received, want)
			}
			if want := replicas * searches; r.searches != want {
				t.Errorf("the sandbox admitted %d searches, want %d", r.searches, want)
			}
		})
	}
}

// TestReplicasWithoutALedgerCollide is the control that shows the test above can fail: the
// same three limiters each keeping the budget to themselves send three budgets at once, and
// HubSpot answers 429.
func TestReplicasWithoutALedgerCollide(t *testing.T) {
	r := runReplicas(t, make([]hubspot.SharedWindow, 3), freeBudget, 0)
	t.Logf("%d requests: max %d in any %v, 429s %v", r.received, r.maxInWindow, testWindow, r.rateLimited)
	if r.rateLimited[string(hubspot.PolicyTenSecondlyRolling)] == 0 {
		t.Errorf("three unshared limiters drew no TEN_SECONDLY_ROLLING 429 (%v): the sandbox or the load is not what the shared test needs", r.rateLimited)
	}
}
