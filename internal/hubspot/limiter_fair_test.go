package hubspot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// arrival is a burst of requests one caller queues.
type arrival struct {
	caller string
	n      int
}

// grantOrder fills a limiter's budget, queues the arrivals in order (each burst fully queued
// before the next starts), then frees the budget one window at a time and returns the callers
// of the first `grants` grants, in grant order ("-" for a request without a caller). Each
// window frees exactly `budget` slots, so a slot left unused (a limiter that is not
// work-conserving) shows up as a grant that never comes. It runs inside a synctest bubble.
func grantOrder(t *testing.T, budget int, arrivals []arrival, grants int) string {
	t.Helper()
	clock := newFakeClock()
	l := newTestLimiter(clock, budget, time.Second)
	for range budget {
		mustWait(t, l, KindStandard).Done(nil)
	}

	type grant struct {
		caller string
		permit *Permit
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	granted := make(chan grant, grants)
	queued := 0
	for _, a := range arrivals {
		for range a.n {
			wg.Go(func() {
				p, err := l.Wait(WithCaller(ctx, a.caller), KindStandard)
				if err != nil {
					return // the test is over: the rest of the queue leaves
				}
				granted <- grant{a.caller, p}
			})
		}
		queued += a.n
		synctest.Wait() // the whole burst has queued before the next arrives
		if s := l.Stats().Standard; s.Waiting != queued {
			t.Fatalf("after %s's requests: stats %+v, want %d waiting", a.caller, s, queued)
		}
	}

	var order strings.Builder
	stats := func() string {
		return fmt.Sprintf("granted so far %q; stats %+v", order.String(), l.Stats().Standard)
	}
	for i := range grants {
		if i%budget == 0 {
			synctest.Wait()            // the head waits for the clock, not for a wake-up in flight
			clock.Advance(time.Second) // the window passes: every slot is free again
		}
		g := mustGrant(t, granted, fmt.Sprintf("grant %d", i+1), stats)
		g.permit.Done(nil)
		order.WriteString(cmp.Or(g.caller, "-"))
	}
	return order.String()
}

func TestLimiterSharesTheBudgetFairlyAmongCallers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		budget   int
		arrivals []arrival
		want     string // callers of the first grants, in grant order
	}{
		{
			name:     "a flooding caller does not hold up one that arrives later",
			budget:   1,
			arrivals: []arrival{{"A", 500}, {"B", 5}},
			want:     "ABABABABABAA",
		},
		{
			name:     "a caller alone gets the whole budget, window after window",
			budget:   10,
			arrivals: []arrival{{"A", 40}},
			want:     strings.Repeat("A", 30),
		},
		{
			name:     "several budget slots at once go round the callers",
			budget:   4,
			arrivals: []arrival{{"A", 50}, {"B", 50}, {"C", 2}},
			want:     "ABCA" + "BCAB" + "ABAB",
		},
		{
			name:     "callers that start waiting later take the last turn",
			budget:   1,
			arrivals: []arrival{{"A", 3}, {"B", 1}, {"C", 2}},
			want:     "ABCACA",
		},
		{
			name:     "requests without a caller share one turn",
			budget:   1,
			arrivals: []arrival{{"", 20}, {"B", 2}},
			want:     "-B-B--",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inBubble(t, func(t *testing.T) {
				got := grantOrder(t, tt.budget, tt.arrivals, len(tt.want))
				if got != tt.want {
					t.Errorf("grant order %q, want %q", got, tt.want)
				}
			})
		})
	}
}

func TestLimiterNewCallerDeadlineCountsItsTurnNotTheWholeQueue(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock()
		l := newTestLimiter(clock, 1, 10*time.Second)
		mustWait(t, l, KindStandard).Done(nil)
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		for range 50 {
			wg.Go(func() {
				if p, err := l.Wait(WithCaller(ctx, "A"), KindStandard); err == nil {
					p.Done(nil)
				}
			})
		}
		synctest.Wait()
		if s := l.Stats().Standard; s.Waiting != 50 {
			t.Fatalf("stats %+v, want A's 50 requests queued", s)
		}

		// B is second in turn: one of A's requests, then B's, two windows from now. In a single
		// line it would be 51st, more than eight minutes away, and refused at once.
		deadline := clock.Now().Add(25 * time.Second)
		bctx, bcancel := context.WithDeadline(WithCaller(t.Context(), "B"), deadline)
		defer bcancel()
		if at, _ := l.EarliestGrant(KindStandard, 1); !at.Before(deadline) {
			t.Fatalf("test setup: B's turn at %v is past its deadline", at.Sub(clock.Now()))
		}
		granted := make(chan error, 1)
		go func() {
			p, err := l.Wait(bctx, KindStandard)
			if err == nil {
				p.Done(nil)
			}
			granted <- err
		}()
		synctest.Wait()
		if len(granted) > 0 {
			t.Fatalf("B was refused at once: %v", <-granted)
		}
		if s := l.Stats().Standard; s.Callers != 2 {
			t.Fatalf("stats %+v, want B queued beside A", s)
		}
		clock.Advance(10 * time.Second) // A's turn
		synctest.Wait()
		if s := l.Stats().Standard; s.Granted != 2 || len(granted) > 0 {
			t.Fatalf("stats %+v after one window: want one grant, to A", s)
		}
		clock.Advance(10 * time.Second) // B's turn
		err := mustGrant(t, granted, "B in its turn", func() string { return fmt.Sprintf("stats %+v", l.Stats().Standard) })
		if err != nil {
			t.Fatalf("B: %v, want a grant in its turn", err)
		}
	})
}

func TestLimiterCallerWhoseWaitersAllLeaveIsForgotten(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock()
		l := newTestLimiter(clock, 1, time.Second)
		held := mustWait(t, l, KindStandard)

		actx, acancel := context.WithCancel(t.Context())
		defer acancel()
		aGranted := make(chan error, 3)
		for range 3 {
			go func() {
				p, err := l.Wait(WithCaller(actx, "A"), KindStandard)
				if err == nil {
					p.Done(nil)
				}
				aGranted <- err
			}()
		}
		synctest.Wait()
		bctx, bcancel := context.WithCancel(WithCaller(t.Context(), "B"))
		bErrs := make(chan error, 2)
		for range 2 {
			go func() { _, err := l.Wait(bctx, KindStandard); bErrs <- err }()
		}
		synctest.Wait()
		if s := l.Stats().Standard; s.Waiting != 5 || s.Callers != 2 {
			t.Fatalf("stats %+v, want 5 requests of 2 callers queued", s)
		}

		bcancel()
		for range 2 {
			if err := <-bErrs; !errors.Is(err, context.Canceled) {
				t.Fatalf("B: err = %v, want context.Canceled", err)
			}
		}
		if s := l.Stats().Standard; s.Waiting != 3 || s.Callers != 1 || s.Granted != 1 {
			t.Fatalf("stats %+v after B left: want A's 3 requests, 1 caller, no grant to B", s)
		}
		held.Done(nil)
		stats := func() string { return fmt.Sprintf("stats %+v", l.Stats().Standard) }
		for i := range 3 { // every slot goes to A: B's turn left with B
			synctest.Wait()
			clock.Advance(time.Second)
			if err := mustGrant(t, aGranted, fmt.Sprintf("A's request %d", i+1), stats); err != nil {
				t.Fatalf("A: %v", err)
			}
		}
		if s := l.Stats().Standard; s.Waiting != 0 || s.Callers != 0 || s.Granted != 4 {
			t.Fatalf("stats %+v, want an empty queue after 4 grants", s)
		}
	})
}

// TestFairQueueAhead checks the place the limiter reports to a deadline, against the order in
// which the queue actually grants.
func TestFairQueueAhead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []arrival // joined in this order
	}{
		{"one caller", []arrival{{"A", 4}}},
		{"a long line and a short one", []arrival{{"A", 6}, {"B", 2}}},
		{"three callers", []arrival{{"A", 3}, {"B", 5}, {"C", 1}}},
		{"interleaved arrivals", []arrival{{"A", 1}, {"B", 2}, {"A", 2}, {"C", 3}, {"B", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var q fairQueue
			var all []*waiter
			for _, a := range tt.lines {
				for range a.n {
					w := newWaiter(a.caller)
					q.join(w)
					all = append(all, w)
				}
			}
			// Where a newcomer (of a new caller, or of one already queued) would stand before
			// joining is where it stands once it has; later arrivals can only add to that.
			predicted := map[*waiter]int{}
			for _, caller := range []string{"Z", "A", "B", "C"} {
				w := newWaiter(caller)
				predicted[w] = q.ahead(w, false)
				q.join(w)
				if got := q.ahead(w, true); got != predicted[w] {
					t.Errorf("a newcomer of %s: ahead before joining = %d, after = %d", caller, predicted[w], got)
				}
				all = append(all, w)
			}
			places := map[*waiter]int{}
			for _, w := range all {
				places[w] = q.ahead(w, true)
			}
			granted := map[*waiter]int{}
			var order []string
			for n := 0; q.head() != nil; n++ {
				h := q.head()
				granted[h] = n
				order = append(order, h.caller)
				q.granted(h)
			}
			for _, w := range all {
				if places[w] != granted[w] {
					t.Errorf("a waiter of %s: ahead = %d, granted %d-th (order %v)", w.caller, places[w], granted[w], order)
				}
			}
			for w, p := range predicted {
				if p > places[w] {
					t.Errorf("a newcomer of %s: ahead %d on joining, %d after others joined: arrivals took a place from it", w.caller, p, places[w])
				}
			}
			if q.len() != 0 || q.callers() != 0 || len(q.byName) != 0 {
				t.Errorf("drained queue keeps %d waiters, %d callers, %d lines", q.len(), q.callers(), len(q.byName))
			}
		})
	}
}
