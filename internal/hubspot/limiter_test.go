package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeClock only moves when Advance is called.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

// newFakeClock starts at time.Now(), so context deadlines (which are
// instants of time.Now's clock) can be compared with it.
func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

func newTestLimiter(clock *fakeClock, budget int, window time.Duration) *Limiter {
	return NewLimiter(LimiterConfig{Budget: budget, Window: window, SearchPerSecond: 5, SafetyMargin: -1, Clock: clock})
}

// inBubble runs a limiter test in a synctest bubble. Waiters run on goroutines of their own;
// synctest.Wait returns once every one of them is blocked (queued for a slot, or waiting for
// the fake clock), which is the moment a test may look at the queue or move the clock. Inside
// the bubble, time.Now, timers and context deadlines use synctest's clock, which moves only
// when every goroutine is blocked: a context deadline fires without real waiting, and a grant
// that never comes fails the test at once instead of after a real timeout.
func inBubble(t *testing.T, test func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, test)
}

// mustGrant returns the value a waiter sent once the limiter has done all it can (every
// goroutine is blocked), failing if there is none.
func mustGrant[T any](t *testing.T, ch <-chan T, what string, stats func() string) T {
	t.Helper()
	synctest.Wait()
	select {
	case v := <-ch:
		return v
	default:
		t.Fatalf("%s: no grant; %s", what, stats())
		var none T
		return none
	}
}

func mustWait(t *testing.T, l *Limiter, kind RequestKind) *Permit {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	p, err := l.Wait(ctx, kind)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return p
}

func TestLimiterReusesASlotOnlyAWindowAfterItsResponse(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock()
		l := newTestLimiter(clock, 2, 10*time.Second)
		a, b := mustWait(t, l, KindStandard), mustWait(t, l, KindStandard)
		clock.Advance(3 * time.Second)
		a.Done(nil) // a's response arrived at t=3s: HubSpot saw it at most then
		clock.Advance(time.Second)
		b.Done(nil)

		// The window is full; the first slot frees at 3s+10s, however early a was sent.
		if got, want := l.RetryAt(KindStandard), a.GrantedAt().Add(13*time.Second); !got.Equal(want) {
			t.Fatalf("RetryAt = %v after grant, want %v", got.Sub(a.GrantedAt()), want.Sub(a.GrantedAt()))
		}
		if s := l.Stats().Standard; s.InWindow != 2 || s.Headroom != 0 || s.Granted != 2 {
			t.Fatalf("stats %+v", s)
		}
		clock.Advance(9 * time.Second) // t=13s
		mustWait(t, l, KindStandard)
		ctx, cancel := context.WithDeadline(t.Context(), clock.Now().Add(500*time.Millisecond))
		defer cancel()
		if _, err := l.Wait(ctx, KindStandard); !errors.Is(err, ErrRateLimited) {
			t.Fatalf("third request within the window: err = %v, want ErrRateLimited", err)
		}
	})
}

func TestLimiterDeadlineBeforeEarliestGrantFailsFast(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock()
		l := newTestLimiter(clock, 1, 10*time.Second)
		mustWait(t, l, KindStandard).Done(nil)

		ctx, cancel := context.WithDeadline(t.Context(), clock.Now().Add(4*time.Second))
		defer cancel()
		start := time.Now() // the bubble's clock: it moves only if Wait blocks
		_, err := l.Wait(ctx, KindStandard)
		var rl *RateLimitError
		if !errors.As(err, &rl) || rl.FromHubSpot {
			t.Fatalf("err = %v, want a local *RateLimitError", err)
		}
		if rl.RetryAfter != 10*time.Second || rl.Policy != PolicyTenSecondlyRolling {
			t.Fatalf("RetryAfter = %v policy %s, want 10s TEN_SECONDLY_ROLLING", rl.RetryAfter, rl.Policy)
		}
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("refused after blocking for %v, want at once", waited)
		}
		if l.Stats().Standard.Waiting != 0 {
			t.Fatal("refused caller stayed in the queue")
		}
	})
}

func TestLimiterServesWaitersInArrivalOrder(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock()
		l := newTestLimiter(clock, 1, time.Second)
		held := mustWait(t, l, KindStandard)

		const n = 5
		order := make(chan int, n)
		for i := range n {
			go func() {
				p, err := l.Wait(t.Context(), KindStandard)
				if err != nil {
					t.Error(err)
					return
				}
				order <- i
				p.Done(nil)
			}()
			synctest.Wait() // waiter i has queued before the next one arrives
		}
		if s := l.Stats().Standard; s.Waiting != n {
			t.Fatalf("stats %+v, want %d waiting", s, n)
		}
		held.Done(nil)
		stats := func() string { return fmt.Sprintf("stats %+v", l.Stats().Standard) }
		for want := range n {
			synctest.Wait() // the head is waiting for the clock
			clock.Advance(time.Second)
			if got := mustGrant(t, order, fmt.Sprintf("waiter %d", want), stats); got != want {
				t.Fatalf("granted waiter %d, want %d (FIFO)", got, want)
			}
		}
	})
}

func TestLimiterCancelledWaiterLeavesWithoutTakingASlot(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock()
		l := newTestLimiter(clock, 1, time.Second)
		held := mustWait(t, l, KindStandard)

		ctxA, cancelA := context.WithCancel(t.Context())
		errA := make(chan error, 1)
		go func() { _, err := l.Wait(ctxA, KindStandard); errA <- err }()
		synctest.Wait()
		grantedB := make(chan *Permit, 1)
		go func() {
			p, err := l.Wait(t.Context(), KindStandard)
			if err != nil {
				t.Error(err)
			}
			grantedB <- p
		}()
		synctest.Wait()
		if s := l.Stats().Standard; s.Waiting != 2 {
			t.Fatalf("stats %+v, want A and B waiting", s)
		}

		cancelA()
		if err := <-errA; !errors.Is(err, context.Canceled) {
			t.Fatalf("A: err = %v, want context.Canceled", err)
		}
		held.Done(nil)
		synctest.Wait()
		clock.Advance(time.Second) // the one slot frees: it must go to B
		p := mustGrant(t, grantedB, "B, after A gave its place up", func() string { return fmt.Sprintf("stats %+v", l.Stats().Standard) })
		if s := l.Stats().Standard; s.Granted != 2 || s.Waiting != 0 {
			t.Fatalf("stats %+v: A must not have consumed a grant", s)
		}
		p.Done(nil)
	})
}

func TestLimiterSearchHasItsOwnBudget(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock()
		l := newTestLimiter(clock, 1, 10*time.Second)
		mustWait(t, l, KindStandard) // the rolling window is now full
		for range 5 {
			mustWait(t, l, KindSearch).Done(nil)
		}
		ctx, cancel := context.WithDeadline(t.Context(), clock.Now().Add(100*time.Millisecond))
		defer cancel()
		_, err := l.Wait(ctx, KindSearch)
		var rl *RateLimitError
		if !errors.As(err, &rl) || rl.Policy != PolicySecondly || rl.RetryAfter != time.Second {
			t.Fatalf("sixth search in a second: %v, want SECONDLY retry after 1s", err)
		}
		if s := l.Stats(); s.Standard.Granted != 1 || s.Search.Granted != 5 {
			t.Fatalf("searches counted against the rolling window: %+v", s)
		}
	})
}

func TestLimiterDailyBudgetFailsFastUntilMidnight(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock()
		loc := time.FixedZone("UTC-5", -5*3600)
		l := NewLimiter(LimiterConfig{Budget: 100, Window: time.Second, SafetyMargin: -1, Clock: clock, DailyResetLocation: loc})
		mustWait(t, l, KindStandard).Done(http.Header{"X-Hubspot-Ratelimit-Daily-Remaining": {"1"}})
		mustWait(t, l, KindStandard).Done(nil) // spends the last one

		wantReset := nextMidnight(clock.Now(), loc)
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		for _, kind := range []RequestKind{KindStandard, KindSearch} {
			_, err := l.Wait(ctx, kind)
			var rl *RateLimitError
			if !errors.As(err, &rl) || !errors.Is(err, ErrDailyLimitExhausted) || !rl.RetryAt.Equal(wantReset) {
				t.Fatalf("%s: err = %v, want daily exhaustion until %v", kind, err, wantReset)
			}
			if h, _, _ := rl.RetryAt.In(loc).Clock(); h != 0 {
				t.Fatalf("reset %v is not midnight in the account's zone", rl.RetryAt.In(loc))
			}
		}
		clock.Advance(wantReset.Sub(clock.Now()))
		mustWait(t, l, KindStandard)
		if s := l.Stats(); s.DailyRemaining != -1 {
			t.Fatalf("after reset DailyRemaining = %d, want unknown (-1)", s.DailyRemaining)
		}

		// A DAILY 429 blocks too, without waiting for headers.
		l.Throttled(KindStandard, PolicyDaily)
		if _, err := l.Wait(ctx, KindStandard); !errors.Is(err, ErrDailyLimitExhausted) {
			t.Fatalf("after a DAILY 429: %v", err)
		}
	})
}

func TestLimiterAdoptsHubSpotHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		header       http.Header
		wantBudget   int
		wantWindow   time.Duration
		wantHeadroom int
		wantDaily    int64 // LimiterStats.DailyLimit; 0 when no daily header came
	}{
		{"adopts a larger budget and window", http.Header{"X-Hubspot-Ratelimit-Max": {"190"}, "X-Hubspot-Ratelimit-Interval-Milliseconds": {"10000"}, "X-Hubspot-Ratelimit-Remaining": {"189"}}, 190, 10 * time.Second, 189, 0},
		{"adopts an API limit increase: 250 per 10 s, two packs a day", http.Header{"X-Hubspot-Ratelimit-Max": {"250"}, "X-Hubspot-Ratelimit-Interval-Milliseconds": {"10000"}, "X-Hubspot-Ratelimit-Remaining": {"249"},
			"X-Hubspot-Ratelimit-Daily": {"3000000"}, "X-Hubspot-Ratelimit-Daily-Remaining": {"2999999"}}, 250, 10 * time.Second, 249, 3_000_000},
		{"shrinks the budget", http.Header{"X-Hubspot-Ratelimit-Max": {"5"}, "X-Hubspot-Ratelimit-Remaining": {"4"}}, 5, 2 * time.Second, 4, 0},
		{"someone else used part of the window", http.Header{"X-Hubspot-Ratelimit-Max": {"10"}, "X-Hubspot-Ratelimit-Remaining": {"3"}}, 10, 2 * time.Second, 3, 0},
		{"more remaining than we think changes nothing", http.Header{"X-Hubspot-Ratelimit-Remaining": {"10"}}, 10, 2 * time.Second, 9, 0},
		{"garbage is ignored", http.Header{"X-Hubspot-Ratelimit-Max": {"lots"}, "X-Hubspot-Ratelimit-Interval-Milliseconds": {"-5"}}, 10, 2 * time.Second, 9, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			l := newTestLimiter(clock, 10, 2*time.Second)
			mustWait(t, l, KindStandard).Done(tt.header)
			stats := l.Stats()
			s := stats.Standard
			if s.Budget != tt.wantBudget || s.Window != tt.wantWindow || s.Headroom != tt.wantHeadroom || stats.DailyLimit != tt.wantDaily {
				t.Fatalf("budget %d window %v headroom %d daily %d, want %d %v %d %d", s.Budget, s.Window, s.Headroom, stats.DailyLimit,
					tt.wantBudget, tt.wantWindow, tt.wantHeadroom, tt.wantDaily)
			}
		})
	}
}

func TestLimiterRemainingIsComparedAtSendTime(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := newTestLimiter(clock, 10, 2*time.Second)
	for range 3 {
		mustWait(t, l, KindStandard).Done(nil)
	}
	clock.Advance(1900 * time.Millisecond)
	a := mustWait(t, l, KindStandard)
	clock.Advance(200 * time.Millisecond) // the three early requests leave the window meanwhile
	// HubSpot counted the three early requests plus a when a arrived.
	a.Done(http.Header{"X-Hubspot-Ratelimit-Max": {"10"}, "X-Hubspot-Ratelimit-Remaining": {"6"}})
	if s := l.Stats().Standard; s.Headroom != 9 {
		t.Fatalf("headroom %d, want 9: requests that expired in transit are ours, not someone else's", s.Headroom)
	}
}

func TestLimiterTenSecondly429FillsTheWindow(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := newTestLimiter(clock, 10, 10*time.Second)
	mustWait(t, l, KindStandard).Done(nil)
	retryAt := l.Throttled(KindStandard, PolicyTenSecondlyRolling)
	if got := retryAt.Sub(clock.Now()); got != 10*time.Second {
		t.Fatalf("retry in %v, want a full window", got)
	}
	if s := l.Stats(); s.Standard.Headroom != 0 || s.Throttled != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestLimiterDeadlinePassingInTheQueueIsARateLimit(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock() // never advanced: the held slot never frees
		l := newTestLimiter(clock, 1, 100*time.Millisecond)
		mustWait(t, l, KindStandard) // in flight; could complete any moment
		// The deadline passes on the bubble's clock once the caller is blocked in the queue.
		ctx, cancel := context.WithDeadline(t.Context(), clock.Now().Add(200*time.Millisecond))
		defer cancel()
		_, err := l.Wait(ctx, KindStandard)
		var rl *RateLimitError
		if !errors.As(err, &rl) || !errors.Is(err, context.DeadlineExceeded) || rl.FromHubSpot {
			t.Fatalf("err = %v, want a local rate limit that is also DeadlineExceeded", err)
		}
		if s := l.Stats().Standard; s.Waiting != 0 || s.Granted != 1 {
			t.Fatalf("stats %+v: the caller must leave the queue without a grant", s)
		}
	})
}

func TestReservationForOthersGrowsOnThrottlesAndDecays(t *testing.T) {
	w := newRollingWindow(PolicyTenSecondlyRolling, 20, time.Second, 0)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	w.reserveForOthers(now)
	if w.reserved != 4 || len(w.slots) != 16 {
		t.Fatalf("after one 429: reserved %d, %d slots; want 4 and 16", w.reserved, len(w.slots))
	}
	w.reserveForOthers(now.Add(100 * time.Millisecond)) // the same burst of 429s
	if w.reserved != 4 {
		t.Errorf("a second 429 in the same window grew the reservation to %d", w.reserved)
	}
	w.reserveForOthers(now.Add(1200 * time.Millisecond)) // a collision in a later window
	if w.reserved != 8 || len(w.slots) != 12 {
		t.Errorf("after a second collision: reserved %d, %d slots; want 8 and 12", w.reserved, len(w.slots))
	}
	w.setBudget(10) // HubSpot states a smaller budget: the share reserved scales with it
	if w.reserved != 4 || len(w.slots) != 6 {
		t.Errorf("after the budget halved: reserved %d, %d slots; want 4 and 6", w.reserved, len(w.slots))
	}
	w.decay(now.Add(1200*time.Millisecond + 4*time.Second)) // two quiet double-windows
	if w.reserved != 2 || len(w.slots) != 8 {
		t.Errorf("after 4 quiet windows: reserved %d, %d slots; want 2 and 8", w.reserved, len(w.slots))
	}
	now = now.Add(10 * time.Second)
	for range 20 { // a collision every 1.5 windows: faster than the decay gives back
		now = now.Add(1500 * time.Millisecond)
		w.reserveForOthers(now)
	}
	if w.reserved != w.declared-1 {
		t.Errorf("the reservation must leave us at least one slot: reserved %d of %d", w.reserved, w.declared)
	}
}

// TestLimiterCanGrantByAgreesWithEarliestGrant: CanGrantBy answers what comparing a deadline
// with EarliestGrant answers, for each state of the window (fresh, spent and in flight,
// spent and answered, daily budget spent), each count ahead and deadlines on both sides of
// every bound, and names the same time and policy when it refuses.
func TestLimiterCanGrantByAgreesWithEarliestGrant(t *testing.T) {
	t.Parallel()
	states := []struct {
		name  string
		setup func(t *testing.T, l *Limiter, clock *fakeClock)
	}{
		{"fresh", func(*testing.T, *Limiter, *fakeClock) {}},
		{"spent, in flight", func(t *testing.T, l *Limiter, _ *fakeClock) {
			mustWait(t, l, KindStandard)
			mustWait(t, l, KindStandard)
		}},
		{"spent, answered at different times", func(t *testing.T, l *Limiter, clock *fakeClock) {
			mustWait(t, l, KindStandard).Done(nil)
			clock.Advance(300 * time.Millisecond)
			mustWait(t, l, KindStandard).Done(nil)
			clock.Advance(100 * time.Millisecond)
		}},
		{"daily budget spent", func(_ *testing.T, l *Limiter, _ *fakeClock) { l.Throttled(KindStandard, PolicyDaily) }},
	}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			l := newTestLimiter(clock, 2, time.Second)
			st.setup(t, l, clock)
			now := clock.Now()
			for ahead := range 6 {
				wantAt, wantPolicy := l.EarliestGrant(KindStandard, ahead)
				for _, deadline := range []time.Time{now, wantAt.Add(-time.Millisecond), wantAt, wantAt.Add(time.Millisecond), now.Add(10 * time.Second), now.Add(48 * time.Hour)} {
					ok, at, policy := l.CanGrantBy(KindStandard, ahead, deadline)
					if want := !deadline.Before(wantAt); ok != want {
						t.Errorf("ahead %d, deadline now+%v: ok = %v, want %v (earliest grant now+%v)", ahead, deadline.Sub(now), ok, want, wantAt.Sub(now))
					}
					if !ok && (!at.Equal(wantAt) || policy != wantPolicy) {
						t.Errorf("ahead %d, deadline now+%v: refused with %v %s, want now+%v %s", ahead, deadline.Sub(now), at.Sub(now), policy, wantAt.Sub(now), wantPolicy)
					}
				}
			}
		})
	}
}
