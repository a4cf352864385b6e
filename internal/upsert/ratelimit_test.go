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
	// Spend the whole window, as a burst of other calls would, and keep those calls in
	// flight: no slot frees, however slow the machine, until they are answered.
	var spent []*hubspot.Permit
	for range scaledBudget {
		p, err := e.client.Limiter().Wait(t.Context(), hubspot.KindStandard)
		if err != nil {
			t.Fatal(err)
		}
		spent = append(spent, p)
	}
	b := e.batcher(t, upsert.Config{Linger: time.Millisecond})
	var wg sync.WaitGroup
	errs := make([]error, 150)
	for i := range errs { // one at a time, each queued before the next arrives
		wg.Go(func() { _, errs[i] = b.Upsert(t.Context(), email("trickle", i), nil) })
		waitForQueue(t, b, "the caller to queue", func() bool { return b.Stats().Accepted == uint64(i+1) })
	}
	if st := b.Stats(); st.Queued != len(errs) || st.BatchesSent != 0 {
		t.Fatalf("stats %+v while the window was spent: want all %d callers queued, nothing sent", st, len(errs))
	}
	for _, p := range spent {
		p.Done(nil) // the burst is answered: its slots free a window from now
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	if reqs := e.upsertRequests(); reqs != 2 {
		t.Errorf("%d requests, want 2 (100 + 50 cut when slots were granted)", reqs)
	}
}

// TestDeadlinesAreHonouredUnderLoad: a burst needing three windows, with
// callers whose deadline allows little more than one: callers that cannot
// get a slot in time fail at once with a rate-limit error saying how long
// they would have needed, and the window is never exceeded. How long after
// their deadline callers return depends on the machine (1,500 goroutines on
// shared cores under the race detector): it is logged, not asserted; the
// outcomes say whether a caller was refused up front, left the queue at its
// deadline or was detached from its batch in flight.
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

	var ok, fastFail, queuedOut, inFlight int
	var worst, slowestFastFail time.Duration
	for i, o := range out {
		worst = max(worst, o.took)
		switch rl, isRL := errors.AsType[*hubspot.RateLimitError](o.err); {
		case o.err == nil:
			ok++
		case isRL && errors.Is(o.err, context.DeadlineExceeded):
			queuedOut++
		case isRL:
			if rl.RetryAfter <= 0 || rl.Policy != hubspot.PolicyTenSecondlyRolling {
				t.Errorf("caller %d: rate-limit error without a wait: %+v", i, rl)
			}
			fastFail++ // refused before queueing: the error does not wrap the deadline
			slowestFastFail = max(slowestFastFail, o.took)
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
	// Nothing is sent before Close: the leaver returns while its batch is still open.
	b := e.batcher(t, upsert.Config{Linger: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	gone := make(chan error, 1)
	go func() {
		_, err := b.Upsert(ctx, "leaver@example.com", nil)
		gone <- err
	}()
	waitForQueue(t, b, "the leaver to queue", func() bool { return b.Stats().Queued == 1 })
	stay := make(chan error, 1)
	go func() {
		_, err := b.Upsert(t.Context(), "stayer@example.com", nil)
		stay <- err
	}()
	waitForQueue(t, b, "the stayer to queue", func() bool { return b.Stats().Queued == 2 })
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: err %v, want context.Canceled", err)
	}
	if st := b.Stats(); st.Queued != 1 || st.BatchesSent != 0 {
		t.Errorf("stats %+v after the cancel, want the stayer alone queued and nothing sent", st)
	}
	b.Close() // sends what is queued
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
	// Without a deadline, a caller that waited for the reset would hold the test until
	// midnight: every one returning is the fast failure.
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Go(func() { _, errs[i] = b.Upsert(context.Background(), email("daily-late", i), nil) })
	}
	wg.Wait()
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
