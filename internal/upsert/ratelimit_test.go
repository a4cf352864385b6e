package upsert_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/upsert"
)

// TestBatchKeepsFillingWhileItWaitsForASlot: when the window is spent, the
// open batch keeps taking callers until the limiter grants a slot, and is
// cut at that moment: a trickle of 150 callers during the wait goes out as
// two requests, not 150.
func TestBatchKeepsFillingWhileItWaitsForASlot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 40})
	// Spend the whole window, as a burst of other calls would.
	for range scaledBudget {
		p, err := e.client.Limiter().Wait(t.Context(), hubspot.KindStandard)
		if err != nil {
			t.Fatal(err)
		}
		p.Done(nil)
	}
	b := e.batcher(t, upsert.Config{Linger: time.Millisecond})
	var wg sync.WaitGroup
	errs := make([]error, 150)
	start := time.Now()
	for i := range errs {
		wg.Go(func() { _, errs[i] = b.Upsert(t.Context(), email("trickle", i), nil) })
		time.Sleep(300 * time.Microsecond)
	}
	trickle := time.Since(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	reqs := e.upsertRequests()
	t.Logf("150 callers over %v while the window was spent: %d requests", trickle.Round(time.Millisecond), reqs)
	if trickle < scaledWindow && reqs != 2 {
		t.Errorf("%d requests, want 2 (100 + 50 cut when slots were granted)", reqs)
	}
}

// TestDeadlinesAreHonouredUnderLoad: a burst needing three windows, with
// callers whose deadline allows little more than one: callers that cannot
// get a slot in time fail at once with a rate-limit error saying how long
// they would have needed, nobody returns late, and the window is never
// exceeded.
//
// Not parallel: it measures how fast callers return, so it runs alone.
func TestDeadlinesAreHonouredUnderLoad(t *testing.T) {
	// Two requests per window and 600 callers keep the burst small enough for a loaded
	// machine running the race detector beside other packages' tests.
	const perWindow = 2
	e := newEnv(t, envOptions{seed: 41, limits: sandbox.Limits{PerWindow: perWindow, Window: scaledWindow}})
	b := e.batcher(t, upsert.Config{})

	const n = 600 // 6 batches: three windows
	const budget = 250 * time.Millisecond
	type outcome struct {
		err  error
		took time.Duration
	}
	out := make([]outcome, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), budget)
			defer cancel()
			began := time.Now()
			_, err := b.Upsert(ctx, email("deadline", i), nil)
			out[i] = outcome{err, time.Since(began)}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var ok, fastFail, queuedOut, inFlight, late int
	var worst, slowestFastFail time.Duration
	slowFastFails := 0
	for i, o := range out {
		worst = max(worst, o.took)
		// The bounds below are generous on purpose: the test runs beside every other package
		// under the race detector on two shared cores, where 1,500 goroutines wait their turn
		// for a CPU. A batcher that waited for HubSpot or for the next window would miss them
		// by whole windows, not by milliseconds.
		if o.took > 2*budget {
			late++
		}
		switch rl, isRL := errors.AsType[*hubspot.RateLimitError](o.err); {
		case o.err == nil:
			ok++
		case isRL && errors.Is(o.err, context.DeadlineExceeded):
			queuedOut++
		case isRL:
			if rl.RetryAfter <= 0 || rl.Policy != hubspot.PolicyTenSecondlyRolling {
				t.Errorf("caller %d: rate-limit error without a wait: %+v", i, rl)
			}
			fastFail++
			slowestFastFail = max(slowestFastFail, o.took)
			if o.took >= budget {
				slowFastFails++
			}
		case errors.Is(o.err, upsert.ErrOutcomeUnknown) && errors.Is(o.err, context.DeadlineExceeded):
			inFlight++
		default:
			t.Errorf("caller %d: unexpected error %v", i, o.err)
		}
	}
	c := e.sb.Counters()
	receipts := c.ReceiptTimes[firstApp(c)]
	maxWin := sandbox.MaxInWindow(receipts, scaledWindow)
	t.Logf("%d callers with a %v deadline, %v in all: %d ok, %d failed fast, %d left the queue at their deadline, %d in flight at it; slowest return %v; %d requests, max %d in a %v window",
		n, budget, elapsed.Round(time.Millisecond), ok, fastFail, queuedOut, inFlight, worst.Round(time.Millisecond), len(receipts), maxWin, scaledWindow)
	t.Logf("slowest fast failure %v", slowestFastFail.Round(time.Millisecond))
	if slowFastFails > 0 {
		t.Errorf("%d callers that could never make their deadline were refused only at it or later (slowest after %v)", slowFastFails, slowestFastFail)
	}
	if late > 0 {
		t.Errorf("%d callers returned more than %v after their deadline (slowest %v)", late, budget, worst)
	}
	// Sent, not answered: whether the sandbox answers within the deadline, and how callers
	// spread over the windows, depend on how loaded the machine is, not on the batcher.
	if ok+inFlight == 0 {
		t.Errorf("no caller was sent to HubSpot: the first window's batches should have gone")
	}
	if fastFail < n/4 { // the third window's n/3 can never make it
		t.Errorf("only %d callers failed fast; the last batches could never make a %v deadline", fastFail, budget)
	}
	if maxWin > perWindow || total(c.RateLimited) != 0 {
		t.Errorf("sandbox saw %d requests in one window (budget %d) and 429s %v", maxWin, perWindow, c.RateLimited)
	}
	if st := b.Stats(); st.Queued != 0 {
		t.Errorf("%d callers still queued after everyone returned", st.Queued)
	}
}

// TestACancelledCallerLeavesTheQueue: a caller whose context ends while
// queued returns at once, is taken out of the pending batch and never
// reaches HubSpot; the others are not held up.
func TestACancelledCallerLeavesTheQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 42})
	b := e.batcher(t, upsert.Config{Linger: 150 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	gone := make(chan error, 1)
	go func() {
		_, err := b.Upsert(ctx, "leaver@example.com", nil)
		gone <- err
	}()
	waitFor(t, "the leaver to queue", func() bool { return b.Stats().Queued == 1 })
	stay := make(chan error, 1)
	go func() {
		_, err := b.Upsert(t.Context(), "stayer@example.com", nil)
		stay <- err
	}()
	waitFor(t, "the stayer to queue", func() bool { return b.Stats().Queued == 2 })
	cancel()
	select {
	case err := <-gone:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled caller: err %v, want context.Canceled", err)
		}
	case <-time.After(50 * time.Millisecond):
		t.Fatal("a cancelled caller did not return at once")
	}
	if q := b.Stats().Queued; q != 1 {
		t.Errorf("%d queued after the cancel, want 1", q)
	}
	if err := <-stay; err != nil {
		t.Fatal(err)
	}
	if n := e.contactCount(); n != 1 {
		t.Errorf("sandbox holds %d contacts, want only the stayer", n)
	}
}

// TestDailyLimitFailsEveryQueuedCallerFast: once the account's daily budget
// is spent, queued callers fail at once with the reset time, and callers
// with a deadline are refused before queueing.
func TestDailyLimitFailsEveryQueuedCallerFast(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 43, limits: sandbox.Limits{PerWindow: scaledBudget, Window: scaledWindow, Daily: 2}})
	b := e.batcher(t, upsert.Config{Linger: time.Millisecond})
	for i := range 2 {
		if _, err := b.Upsert(t.Context(), email("daily", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 50)
	start := time.Now()
	for i := range errs {
		wg.Go(func() { _, errs[i] = b.Upsert(context.Background(), email("daily-late", i), nil) })
	}
	wg.Wait()
	took := time.Since(start)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, withDeadline := b.Upsert(ctx, "deadline@example.com", nil)
	for i, err := range append(errs, withDeadline) {
		rl, ok := errors.AsType[*hubspot.RateLimitError](err)
		if !ok || !errors.Is(err, hubspot.ErrDailyLimitExhausted) {
			t.Fatalf("caller %d: err %v, want the daily limit", i, err)
		}
		if !rl.RetryAt.After(time.Now()) || time.Until(rl.RetryAt) > 24*time.Hour {
			t.Errorf("caller %d: retry at %v, want the coming midnight", i, rl.RetryAt)
		}
	}
	if took > time.Second {
		t.Errorf("queued callers took %v to fail", took)
	}
	if n := e.upsertRequests(); n > 3 {
		t.Errorf("%d requests reached HubSpot after the daily budget was spent", n-2)
	}
}

func firstApp(c sandbox.Counters) int64 {
	for app := range c.ReceiptTimes {
		return app
	}
	return 0
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
