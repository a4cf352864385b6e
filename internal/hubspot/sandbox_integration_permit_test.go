package hubspot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
)

const upsertPath = "/crm/objects/2026-03/contacts/batch/upsert"

func upsertInputs(prefix string, n int) []hubspot.BatchUpsertInput {
	in := make([]hubspot.BatchUpsertInput, n)
	for i := range in {
		in[i] = hubspot.BatchUpsertInput{ID: fmt.Sprintf("%s-%d@example.com", prefix, i), IDProperty: "email",
			Properties: map[string]string{"firstname": prefix}}
	}
	return in
}

// TestBatchUpsertWithPermitSendsUnderThePermit: the first attempt uses the
// caller's permit (no second grant), a retry queues in the limiter again,
// and every refused permit is consumed so its slot does not stay in flight.
func TestBatchUpsertWithPermitSendsUnderThePermit(t *testing.T) {
	t.Parallel()
	env := newSandboxEnv(t, sandbox.Limits{PerWindow: scaledBudget, Window: scaledWindow}, 21)
	c := env.client(t, nil, func(o *hubspot.Options) { o.Retry = hubspot.RetryPolicy{BaseDelay: time.Millisecond} })
	lim := c.Limiter()
	acquire := func(l *hubspot.Limiter) *hubspot.Permit {
		t.Helper()
		p, err := l.Wait(t.Context(), hubspot.KindStandard)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	granted := func() uint64 { return lim.Stats().Standard.Granted }

	t.Run("first attempt", func(t *testing.T) {
		p := acquire(lim)
		before := granted()
		res, err := c.BatchUpsertWithPermit(t.Context(), "contacts", upsertInputs("first", 3), p)
		if err != nil {
			t.Fatal(err)
		}
		if res.Attempts != 1 || res.Failed() != 0 {
			t.Errorf("attempts %d, failed %d; want 1 and 0", res.Attempts, res.Failed())
		}
		if g := granted() - before; g != 0 {
			t.Errorf("the limiter granted %d more permits for a call that brought its own", g)
		}
		if s := lim.Stats().Standard; s.InFlight != 0 {
			t.Errorf("%d permits still in flight after the call", s.InFlight)
		}
	})

	t.Run("retry queues again", func(t *testing.T) {
		if _, err := env.sb.AddFault(sandbox.FaultRule{Path: upsertPath, ErrorRates: map[int]float64{503: 1}, Count: 1}); err != nil {
			t.Fatal(err)
		}
		p := acquire(lim)
		before := granted()
		res, err := c.BatchUpsertWithPermit(t.Context(), "contacts", upsertInputs("retry", 2), p)
		if err != nil {
			t.Fatal(err)
		}
		if res.Attempts != 2 {
			t.Errorf("attempts %d, want 2 (one 503, one retry)", res.Attempts)
		}
		if g := granted() - before; g != 1 {
			t.Errorf("the retry took %d permits from the limiter, want 1", g)
		}
	})

	refusals := []struct {
		name    string
		permit  func() *hubspot.Permit
		inputs  []hubspot.BatchUpsertInput
		limiter *hubspot.Limiter // whose in-flight count must drop back
		want    error
	}{
		{"a permit used twice", func() *hubspot.Permit {
			p := acquire(lim)
			if _, err := c.BatchUpsertWithPermit(t.Context(), "contacts", upsertInputs("twice", 1), p); err != nil {
				t.Fatal(err)
			}
			return p
		}, upsertInputs("twice-again", 1), lim, hubspot.ErrInvalidRequest},
		{"another limiter's permit", nil, upsertInputs("foreign", 1), scaledLimiter(), hubspot.ErrInvalidRequest},
		{"a search permit", nil, upsertInputs("search", 1), lim, hubspot.ErrInvalidRequest},
		{"invalid inputs", nil, []hubspot.BatchUpsertInput{{ID: ""}}, lim, hubspot.ErrInvalidRequest},
		{"too many inputs", nil, upsertInputs("big", 101), lim, hubspot.ErrBatchTooLarge},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			var p *hubspot.Permit
			switch {
			case tc.permit != nil:
				p = tc.permit()
			case tc.name == "a search permit":
				var err error
				if p, err = lim.Wait(t.Context(), hubspot.KindSearch); err != nil {
					t.Fatal(err)
				}
			default:
				p = acquire(tc.limiter)
			}
			sent := requests(env.sb.Counters(), "POST "+upsertPath)
			_, err := c.BatchUpsertWithPermit(t.Context(), "contacts", tc.inputs, p)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if n := requests(env.sb.Counters(), "POST "+upsertPath) - sent; n != 0 {
				t.Errorf("%d requests sent", n)
			}
			st := tc.limiter.Stats()
			if st.Standard.InFlight != 0 || st.Search.InFlight != 0 {
				t.Errorf("a refused permit is still in flight: %+v", st)
			}
		})
	}
}

// TestBatchUpsertWithPermitKeepsTheWindow: callers that acquire permits
// themselves and send under them, concurrently and with network latency,
// never put more than the budget into any rolling window at the sandbox.
func TestBatchUpsertWithPermitKeepsTheWindow(t *testing.T) {
	t.Parallel()
	env := newSandboxEnv(t, sandbox.Limits{PerWindow: scaledBudget, Window: scaledWindow}, 22)
	if _, err := env.sb.AddFault(sandbox.FaultRule{Path: upsertPath, Latency: 2 * time.Millisecond, Jitter: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	c := env.client(t, nil, nil)
	const calls = 3*scaledBudget + 7
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, calls)
	for i := range calls {
		wg.Go(func() {
			p, err := c.Limiter().Wait(ctx, hubspot.KindStandard)
			if err != nil {
				errs[i] = err
				return
			}
			// A batcher cuts its batch here: a little work between grant and send. The pause
			// is the load under test (a late send must not break the window), not a wait for
			// anything.
			time.Sleep(time.Duration(i%3) * time.Millisecond)
			_, errs[i] = c.BatchUpsertWithPermit(ctx, "contacts", upsertInputs(fmt.Sprintf("w%d", i), 2), p)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	counters := env.sb.Counters()
	receipts := counters.ReceiptTimes[env.tok.AppID]
	maxWin := sandbox.MaxInWindow(receipts, scaledWindow)
	t.Logf("%d calls under their own permits: %d receipts, max %d in a %v window", calls, len(receipts), maxWin, scaledWindow)
	if maxWin > scaledBudget || total429s(counters) != 0 {
		t.Errorf("max %d in a window (budget %d), 429s %v", maxWin, scaledBudget, counters.RateLimited)
	}
	if len(receipts) != calls {
		t.Errorf("%d receipts for %d calls", len(receipts), calls)
	}
}

// TestEarliestGrantCountsRequestsAhead: the lower bound a batcher checks
// deadlines against grows by one cycle per budget of requests ahead, and
// says DAILY once the daily budget is spent.
func TestEarliestGrantCountsRequestsAhead(t *testing.T) {
	t.Parallel()
	const window, margin = time.Second, 10 * time.Millisecond
	clock := stoppedClock{at: time.Now()} // nothing here waits: the limiter's time stands still
	l := hubspot.NewLimiter(hubspot.LimiterConfig{Budget: 2, Window: window, SafetyMargin: margin, Clock: clock})
	if at, policy := l.EarliestGrant(hubspot.KindStandard, 1); !at.Equal(clock.at) || policy != hubspot.PolicyTenSecondlyRolling {
		t.Errorf("idle limiter, one ahead: %v (%s), want now", at.Sub(clock.at), policy)
	}
	for range 2 {
		p, err := l.Wait(t.Context(), hubspot.KindStandard)
		if err != nil {
			t.Fatal(err)
		}
		p.Done(nil)
	}
	for ahead, cycles := range []int{1, 1, 2, 2, 3} {
		at, _ := l.EarliestGrant(hubspot.KindStandard, ahead)
		if got, want := at.Sub(clock.at), time.Duration(cycles)*(window+margin); got != want {
			t.Errorf("%d ahead: earliest grant %v after the window filled, want %v", ahead, got, want)
		}
	}
	h := http.Header{}
	h.Set("X-HubSpot-RateLimit-Daily-Remaining", "0")
	daily := hubspot.NewLimiter(hubspot.LimiterConfig{})
	dp, err := daily.Wait(t.Context(), hubspot.KindStandard)
	if err != nil {
		t.Fatal(err)
	}
	dp.Done(h)
	if at, policy := daily.EarliestGrant(hubspot.KindStandard, 0); policy != hubspot.PolicyDaily || !at.After(time.Now()) {
		t.Errorf("daily budget spent: %v (%s), want the reset and DAILY", at, policy)
	}
}

// stoppedClock is a hubspot.Clock whose time does not move; no test using it waits.
type stoppedClock struct{ at time.Time }

func (c stoppedClock) Now() time.Time { return c.at }

func (c stoppedClock) After(time.Duration) <-chan time.Time {
	panic("stoppedClock: nothing in this test may wait")
}
