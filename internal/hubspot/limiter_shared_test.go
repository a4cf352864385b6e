package hubspot

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// scriptedLedger is a SharedWindow that answers claims from a script (then grants), and
// records what the limiter asked of it.
type scriptedLedger struct {
	mu          sync.Mutex
	answers     []SlotClaim // the next claims' answers; granted with the next Seq once used up
	claimErr    error
	failFirst   int // with claimErr: only the first failFirst claims fail (0: every claim)
	usage       SlotUsage
	completeErr error
	inWindow    int // what InWindow answers, with inWindowErr
	inWindowErr error
	seq         uint64
	requests    []SlotRequest
	completed   []SlotClaim
}

func (s *scriptedLedger) Claim(_ context.Context, r SlotRequest) (SlotClaim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	if s.claimErr != nil && (s.failFirst == 0 || len(s.requests) <= s.failFirst) {
		return SlotClaim{}, s.claimErr
	}
	if len(s.answers) > 0 {
		a := s.answers[0]
		s.answers = s.answers[1:]
		a.Kind, a.Cycle = r.Kind, r.Cycle
		if a.Granted {
			s.seq = a.Seq
		}
		return a, nil
	}
	s.seq++
	return SlotClaim{Granted: true, Kind: r.Kind, Cycle: r.Cycle, Seq: s.seq}, nil
}

func (s *scriptedLedger) InWindow(context.Context, RequestKind, time.Duration) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inWindow, s.inWindowErr
}

func (s *scriptedLedger) Complete(_ context.Context, c SlotClaim) (SlotUsage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.completed = append(s.completed, c)
	return s.usage, s.completeErr
}

func sharedTestLimiter(clock *fakeClock, ledger *scriptedLedger) *Limiter {
	return NewLimiter(LimiterConfig{Budget: 10, Window: 2 * time.Second, SafetyMargin: -1, Clock: clock, Shared: ledger})
}

// TestLimiterSharedRefusalWaitsForTheLedger: a slot free here but taken fleet-wide is given
// back, and the waiter claims again when the ledger said a slot may free, not before.
func TestLimiterSharedRefusalWaitsForTheLedger(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock()
		ledger := &scriptedLedger{answers: []SlotClaim{{RetryAfter: 3 * time.Second, Seq: 40}}}
		l := sharedTestLimiter(clock, ledger)
		granted := make(chan *Permit, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			p, err := l.Wait(ctx, KindStandard)
			if err != nil {
				t.Error(err)
			}
			granted <- p
		}()
		synctest.Wait()
		if s := l.Stats().Standard; s.InWindow != 0 || s.Granted != 0 || s.Waiting != 1 {
			t.Fatalf("while the ledger refuses: %+v, want the local slot given back and one waiter", s)
		}
		clock.Advance(3*time.Second - time.Millisecond)
		synctest.Wait()
		if n := len(ledger.requests); n != 1 {
			t.Fatalf("%d claims before the time the ledger named, want 1", n)
		}
		clock.Advance(time.Millisecond)
		p := mustGrant(t, granted, "after the ledger's time", func() string { return "" })
		want := []SlotRequest{{Kind: KindStandard, Budget: 10, Cycle: 2 * time.Second}, {Kind: KindStandard, Budget: 10, Cycle: 2 * time.Second}}
		if diff := cmp.Diff(want, ledger.requests); diff != "" {
			t.Fatalf("claims (-want +got):\n%s", diff)
		}
		p.Done(nil)
		if diff := cmp.Diff([]SlotClaim{*p.claim}, ledger.completed); diff != "" {
			t.Fatalf("completions (-want +got):\n%s", diff)
		}
	})
}

// TestLimiterSharedRefusalPastTheDeadlineFailsFast: when the ledger's time is after the
// caller's deadline, the caller is refused at once with that time, as for a full local window.
func TestLimiterSharedRefusalPastTheDeadlineFailsFast(t *testing.T) {
	t.Parallel()
	inBubble(t, func(t *testing.T) {
		clock := newFakeClock()
		ledger := &scriptedLedger{answers: []SlotClaim{{RetryAfter: 5 * time.Second}}}
		l := sharedTestLimiter(clock, ledger)
		ctx, cancel := context.WithDeadline(t.Context(), clock.Now().Add(time.Second))
		defer cancel()
		start := time.Now()
		_, err := l.Wait(ctx, KindStandard)
		var rl *RateLimitError
		if !errors.As(err, &rl) || rl.RetryAfter != 5*time.Second {
			t.Fatalf("err = %v, want a *RateLimitError retrying after 5s", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("refused after %v, want at once", waited)
		}
		if s := l.Stats().Standard; s.InWindow != 0 || s.Waiting != 0 {
			t.Fatalf("after the refusal: %+v, want no slot taken and nobody queued", s)
		}
	})
}

// TestLimiterSharedLedgerFailures: a claim that fails (a slow or lost database) is made again
// after a growing pause, up to maxClaimFailures failures; a ledger that keeps failing fails the
// request as unavailable (worth retrying) and leaves no slot taken. Time is synctest's.
func TestLimiterSharedLedgerFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		failFirst  int // 0: every claim fails
		wantErr    error
		wantClaims int
		wantWait   time.Duration
	}{
		{"one failure, then granted", 1, nil, 2, claimRetryPause},
		{"three failures, then granted", 3, nil, 4, 6 * claimRetryPause},
		{"the ledger keeps failing", 0, ErrUnavailable, maxClaimFailures + 1, 6 * claimRetryPause},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ledger := &scriptedLedger{claimErr: errors.New("connection refused"), failFirst: tc.failFirst}
				l := NewLimiter(LimiterConfig{Budget: 10, Window: 2 * time.Second, SafetyMargin: -1, Shared: ledger})
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				start := time.Now()
				p, err := l.Wait(ctx, KindStandard)
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if waited := time.Since(start); waited != tc.wantWait {
					t.Errorf("waited %v, want %v", waited, tc.wantWait)
				}
				if got := len(ledger.requests); got != tc.wantClaims {
					t.Errorf("%d claims, want %d", got, tc.wantClaims)
				}
				want := WindowStats{Budget: 10, Window: 2 * time.Second, Headroom: 10}
				if p != nil {
					p.Done(nil)
					want.Granted, want.InWindow, want.Headroom = 1, 1, 9
				}
				if diff := cmp.Diff(want, l.Stats().Standard); diff != "" {
					t.Errorf("after the claims (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestLimiterSharedRemainingCountsTheFleet: HubSpot's Remaining counts every replica's
// requests; only what it reports beyond the fleet's usage, as the ledger counts it, is
// someone else's and fills this replica's window. The headroom is also bounded by the fleet's
// usage as the ledger last counted it, since this replica's slots show only its share.
func TestLimiterSharedRemainingCountsTheFleet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		usage        SlotUsage
		completeErr  error
		wantInWindow int // this replica's slots: its request, and foreign usage
		wantHeadroom int
	}{
		{"the fleet's requests are not foreign; the fleet leaves 3", SlotUsage{Seq: 1, CountedAtClaim: 7}, nil, 1, 3},
		{"beyond the fleet's is foreign", SlotUsage{Seq: 1, CountedAtClaim: 4}, nil, 4, 6},
		{"an unknown fleet count falls back on this replica's", SlotUsage{Seq: 1, CountedAtClaim: -1}, nil, 7, 3},
		{"a failed completion falls back on this replica's", SlotUsage{}, errors.New("timeout"), 7, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ledger := &scriptedLedger{usage: tt.usage, completeErr: tt.completeErr}
			l := sharedTestLimiter(newFakeClock(), ledger)
			// HubSpot saw 7 requests in the window when this one arrived, this one included.
			mustWait(t, l, KindStandard).Done(http.Header{"X-Hubspot-Ratelimit-Max": {"10"}, "X-Hubspot-Ratelimit-Remaining": {"3"}})
			if s := l.Stats().Standard; s.InWindow != tt.wantInWindow || s.Headroom != tt.wantHeadroom {
				t.Fatalf("in window %d, headroom %d; want %d, %d", s.InWindow, s.Headroom, tt.wantInWindow, tt.wantHeadroom)
			}
		})
	}
}

// TestLimiterSharedHeadroomForgetsAStaleFleetCount: the fleet's count bounds the headroom for
// one cycle after it was learned; then this replica's own slots speak alone again.
func TestLimiterSharedHeadroomForgetsAStaleFleetCount(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := sharedTestLimiter(clock, &scriptedLedger{usage: SlotUsage{Seq: 1, CountedAtClaim: 9}})
	mustWait(t, l, KindStandard).Done(nil)
	if h := l.Stats().Standard.Headroom; h != 1 {
		t.Errorf("headroom %d right after the fleet counted 9 of 10; want 1", h)
	}
	clock.Advance(2*time.Second + time.Millisecond) // one cycle: the window, no margin
	if h := l.Stats().Standard.Headroom; h != 10 {
		t.Errorf("headroom %d a cycle later; want 10 (this replica's own slot is free too)", h)
	}
}

// TestLimiterSharedDailyCountsTheFleet: the daily estimate is aged by every replica's grants,
// which the ledger's grant count carries, not only this one's.
func TestLimiterSharedDailyCountsTheFleet(t *testing.T) {
	t.Parallel()
	ledger := &scriptedLedger{usage: SlotUsage{Seq: 1, CountedAtClaim: 1}}
	l := sharedTestLimiter(newFakeClock(), ledger)
	mustWait(t, l, KindStandard).Done(http.Header{"X-Hubspot-Ratelimit-Daily-Remaining": {"1000"}})
	ledger.mu.Lock()
	ledger.seq = 50 // other replicas made 49 grants meanwhile; the next claim is the 51st
	ledger.usage.Seq = 60
	ledger.mu.Unlock()
	if got := l.Stats().DailyRemaining; got != 1000 {
		t.Fatalf("daily remaining %d after the report, want 1000", got)
	}
	p := mustWait(t, l, KindSearch)
	if got := l.Stats().DailyRemaining; got != 950 {
		t.Fatalf("daily remaining %d after the 51st grant, want 950", got)
	}
	// The completion says the budget's count is now 60: nine more grants elsewhere.
	p.Done(nil)
	if got := l.Stats().DailyRemaining; got != 941 {
		t.Fatalf("daily remaining %d after learning of 60 grants, want 941", got)
	}
}

// FleetInWindow is the ledger's count of the window's requests across every process sharing
// the budget, so that any replica shows the same; without a ledger there is none.
func TestLimiterFleetInWindow(t *testing.T) {
	down := errors.New("connection refused")
	tests := []struct {
		name       string
		ledger     *scriptedLedger // nil: no SharedWindow
		wantN      int
		wantShared bool
		wantErr    error
	}{
		{"one process", nil, 0, false, nil},
		{"the ledger's count", &scriptedLedger{inWindow: 7}, 7, true, nil},
		{"the ledger unreachable", &scriptedLedger{inWindowErr: down}, 0, true, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := LimiterConfig{Budget: 10, Window: 2 * time.Second}
			if tt.ledger != nil {
				cfg.Shared = tt.ledger
			}
			n, shared, err := NewLimiter(cfg).FleetInWindow(t.Context(), KindStandard)
			if n != tt.wantN || shared != tt.wantShared || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("FleetInWindow = %d, %v, %v; want %d, %v, %v", n, shared, err, tt.wantN, tt.wantShared, tt.wantErr)
			}
		})
	}
}
