package hubspot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is the limiter's (and retry loop's) view of time, injectable so
// tests can drive waiting deterministically.
type Clock interface {
	Now() time.Time
	// After behaves like time.After.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RequestKind says which budget a request draws from.
type RequestKind int

const (
	// KindStandard counts against the rolling per-app window (100, 190 or 250 per 10 s).
	KindStandard RequestKind = iota
	// KindSearch counts against the per-account search budget (5 per second)
	// and not against the rolling window, as HubSpot's spec exempts it.
	KindSearch
)

func (k RequestKind) String() string {
	if k == KindSearch {
		return "search"
	}
	return "standard"
}

// LimiterConfig configures NewLimiter. Zero values take the defaults, which
// match a Free/Starter private app; the limiter adopts the real budget from
// HubSpot's response headers anyway.
type LimiterConfig struct {
	Budget          int           // requests per Window; default 100
	Window          time.Duration // default 10 s
	SearchPerSecond int           // default 5
	// SafetyMargin is added to every window. The slot bookkeeping already
	// accounts for network delay (see rollingWindow); this covers HubSpot
	// measuring slightly later than receipt. Default 1% of Window (100 ms for
	// HubSpot's 10 s), so scaled-down windows keep the same proportion;
	// negative means none.
	SafetyMargin time.Duration
	// DailyResetLocation is the account's time zone (the daily budget resets
	// at its midnight). Default UTC; Client.AccountDetails updates it.
	DailyResetLocation *time.Location
	Clock              Clock // default SystemClock
	// Shared, when set, is the budget's ledger shared with the other replicas (see
	// SharedWindow): every grant also claims one of its slots. Nil keeps the budget in this
	// process alone.
	Shared SharedWindow
	// SharedTimeout bounds each call to Shared; default DefaultSharedTimeout. The ledger's
	// hold (how long an unanswered slot stays taken) must cover it plus the client's
	// per-attempt timeout.
	SharedTimeout time.Duration
}

// Limiter is the per-connection rate limiter: one per HubSpot private app
// (share it between every Client using the same app's token).
//
// Each budget is shared fairly among the callers waiting for it (named by
// WithCaller; see fairQueue): callers take turns, first-in first-out within
// one caller, and a caller alone gets the whole budget. A request whose
// context ends leaves the queue without taking a slot, and one whose
// deadline falls before the earliest moment it could possibly be granted
// fails at once with a *RateLimitError saying how long it would have needed.
type Limiter struct {
	mu       sync.Mutex
	clock    Clock
	standard *rollingWindow
	search   *rollingWindow
	daily    dailyBudget

	shared        SharedWindow // nil: this process alone
	sharedTimeout time.Duration

	// grantedTotal counts grants across both kinds, to age daily reports: this limiter's,
	// or with a SharedWindow the budget's across replicas, as far as it has seen.
	grantedTotal uint64
	refused      uint64
	throttled    uint64
}

// NewLimiter builds a limiter; see LimiterConfig for defaults.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.Budget <= 0 {
		cfg.Budget = 100
	}
	if cfg.Window <= 0 {
		cfg.Window = 10 * time.Second
	}
	if cfg.SearchPerSecond <= 0 {
		cfg.SearchPerSecond = 5
	}
	if cfg.SafetyMargin < 0 {
		cfg.SafetyMargin = 0
	} else if cfg.SafetyMargin == 0 {
		cfg.SafetyMargin = max(cfg.Window/100, time.Millisecond)
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.SharedTimeout <= 0 {
		cfg.SharedTimeout = DefaultSharedTimeout
	}
	return &Limiter{
		clock:         cfg.Clock,
		shared:        cfg.Shared,
		sharedTimeout: cfg.SharedTimeout,
		standard:      newRollingWindow(PolicyTenSecondlyRolling, cfg.Budget, cfg.Window, cfg.SafetyMargin),
		// The search budget is per second; the margin scales down with it.
		search: newRollingWindow(PolicySecondly, cfg.SearchPerSecond, time.Second, cfg.SafetyMargin/10),
		daily:  dailyBudget{loc: cfg.DailyResetLocation},
	}
}

// Permit is one granted request. Call Done exactly once, as soon as the
// response headers (or the failure) arrive.
type Permit struct {
	l          *Limiter
	window     *rollingWindow
	seq        uint64
	grantedAt  time.Time
	grantIndex uint64
	claim      *SlotClaim // the shared slot, when the limiter has a SharedWindow
	once       sync.Once
	claimed    atomic.Bool // set when a call takes the permit for its first attempt
}

// GrantedAt is when the permit was granted (the request's send time).
func (p *Permit) GrantedAt() time.Time { return p.grantedAt }

func (l *Limiter) window(kind RequestKind) *rollingWindow {
	if kind == KindSearch {
		return l.search
	}
	return l.standard
}

// Wait blocks until a request of the given kind may be sent, taking turns
// with the other callers (CallerFrom(ctx) names this one), and returns the
// permit. Send the request immediately after it returns.
func (l *Limiter) Wait(ctx context.Context, kind RequestKind) (*Permit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s := shareFrom(ctx); s != nil {
		if err := l.waitShare(ctx, s, kind); err != nil {
			return nil, err
		}
	}
	w := l.window(kind)
	me := newWaiter(CallerFrom(ctx))
	claimFailures := 0 // with a SharedWindow: claims of this request that failed

	l.mu.Lock()
	queued := false
	for {
		now := l.clock.Now()
		if l.daily.blocked(now) {
			l.refused++
			l.dequeue(w, me, queued)
			err := l.dailyError(now)
			l.mu.Unlock()
			return nil, err
		}
		ahead := w.waiters.ahead(me, queued)
		if ahead == 0 && !w.claiming && !now.Before(w.sharedUntil) {
			if seq, ok := w.tryGrant(now, me.caller); ok {
				var claim *SlotClaim
				if l.shared != nil {
					var err error
					claim, err = l.claimShared(ctx, w, kind, seq)
					if err != nil && ctx.Err() == nil && claimFailures < maxClaimFailures {
						// A claim that failed (a slow or briefly lost database) may be made
						// again: it took nothing, or a slot the hold frees later. Queued like
						// a refusal, after a pause that grows with the failures.
						claimFailures++
						w.sharedUntil = l.clock.Now().Add(time.Duration(claimFailures) * claimRetryPause)
						claim, err = &SlotClaim{}, nil
					}
					if err != nil {
						l.dequeue(w, me, queued)
						retryAt := w.earliestGrant(l.clock.Now(), 0)
						l.mu.Unlock()
						if ctx.Err() != nil {
							return nil, l.waitEnded(ctx, kind, w.policy, retryAt)
						}
						return nil, err
					}
					now = l.clock.Now() // the claim took time: the request goes now
				}
				if claim == nil || claim.Granted {
					if queued {
						w.waiters.granted(me)
					}
					w.wakeHead()
					p := l.newPermit(w, seq, now, claim)
					l.mu.Unlock()
					return p, nil
				}
				// Refused by the ledger: wait for the time it named.
			}
		}
		earliest := w.earliestGrant(now, ahead)
		if deadline, ok := ctx.Deadline(); ok && deadline.Before(earliest) {
			l.refused++
			l.dequeue(w, me, queued)
			l.mu.Unlock()
			return nil, &RateLimitError{Policy: w.policy, RetryAfter: earliest.Sub(now), RetryAt: earliest}
		}
		if !queued {
			w.waiters.join(me)
			queued = true
		}
		var timer <-chan time.Time
		if ahead == 0 && !w.claiming { // a claimer wakes the head when it is done
			timer = l.clock.After(w.nextCheck(now).Sub(now))
		}
		l.mu.Unlock()

		select {
		case <-me.wake:
		case <-timer:
		case <-ctx.Done():
			l.mu.Lock()
			l.dequeue(w, me, true)
			retryAt := w.earliestGrant(l.clock.Now(), 0)
			l.mu.Unlock()
			return nil, l.waitEnded(ctx, kind, w.policy, retryAt)
		}
		l.mu.Lock()
	}
}

// waitEnded explains why a queued caller gave up. A deadline that passed
// in the queue is a rate-limit outcome (the caller could not get a slot in
// time), so it matches both ErrRateLimited and context.DeadlineExceeded; a
// cancellation is just the context's error.
func (l *Limiter) waitEnded(ctx context.Context, kind RequestKind, policy Policy, retryAt time.Time) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &RateLimitError{Policy: policy, RetryAt: retryAt,
			RetryAfter: max(retryAt.Sub(l.clock.Now()), 0), cause: ctx.Err()}
	}
	return fmt.Errorf("hubspot: waiting for a %s rate-limit slot: %w", kind, ctx.Err())
}

// dequeue removes a waiter that gives up and lets the head look at the slots.
func (l *Limiter) dequeue(w *rollingWindow, me *waiter, queued bool) {
	if queued {
		w.waiters.leave(me)
	}
	w.wakeHead()
}

func (l *Limiter) newPermit(w *rollingWindow, seq uint64, now time.Time, claim *SlotClaim) *Permit {
	index := l.grantedTotal + 1
	if claim != nil {
		index = claim.Seq
	}
	l.seen(index)
	return &Permit{l: l, window: w, seq: seq, grantedAt: now, grantIndex: index, claim: claim}
}

func (l *Limiter) dailyError(now time.Time) *RateLimitError {
	return &RateLimitError{Policy: PolicyDaily, RetryAt: l.daily.resetAt, RetryAfter: l.daily.resetAt.Sub(now)}
}

// SetDailyResetLocation sets the account's time zone, which decides when
// the daily budget resets.
func (l *Limiter) SetDailyResetLocation(loc *time.Location) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.daily.loc = loc
}

// EarliestGrant is a lower bound on when a request of this kind could be
// granted if `ahead` other requests were granted before it (0: the next
// one), from what the limiter knows now: a caller that batches its own
// requests uses it to tell at once whether a deadline can be met. Foreign
// usage learned later, 429s and callers already queued can only make the
// real grant later.
// The policy says which budget decides: the kind's window, or DAILY when
// the daily budget is spent (then the time is the reset).
func (l *Limiter) EarliestGrant(kind RequestKind, ahead int) (time.Time, Policy) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.daily.blocked(now) {
		return l.daily.resetAt, PolicyDaily
	}
	w := l.window(kind)
	return w.earliestGrant(now, max(ahead, 0)), w.policy
}

// CanGrantBy says whether a request of this kind, with `ahead` others granted before it,
// could be granted by deadline from what the limiter knows now: whether EarliestGrant is
// not after it. When it cannot, it returns EarliestGrant's time and policy for the error.
// It is EarliestGrant for a caller that checks every request it queues: a deadline at
// least ahead/budget+1 cycles away is always met, since every slot frees within one cycle
// of now (an in-flight one within a cycle of its response, which cannot come before now),
// so the common case of a distant deadline costs no look at the slots, where
// EarliestGrant sorts them.
func (l *Limiter) CanGrantBy(kind RequestKind, ahead int, deadline time.Time) (ok bool, at time.Time, policy Policy) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.daily.blocked(now) {
		return !deadline.Before(l.daily.resetAt), l.daily.resetAt, PolicyDaily
	}
	w := l.window(kind)
	ahead = max(ahead, 0)
	// A shared ledger that refused lately knows of slots this process does not: skip the
	// shortcut, whose bound counts only this process's slots, until the time it named.
	if bound := now.Add(time.Duration(ahead/len(w.slots)+1) * w.cycle()); !deadline.Before(bound) && !w.sharedUntil.After(now) {
		return true, time.Time{}, w.policy
	}
	at = w.earliestGrant(now, ahead)
	return !deadline.Before(at), at, w.policy
}

// Room is what a caller that takes many slots needs to leave some to the others: the
// requests of this kind that could go right now (WindowStats.Headroom), and how many of
// those counting against this process's window were granted to callers other than caller.
func (l *Limiter) Room(kind RequestKind, caller string) (headroom, others int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	w := l.window(kind)
	return w.headroom(now), w.inWindowForOthers(now, caller)
}

// FleetInWindow is, with a SharedWindow, how many requests of this kind count against the
// window now across every process sharing the budget (the ledger's count; ok false without
// one). WindowStats.InWindow counts only this process's.
func (l *Limiter) FleetInWindow(ctx context.Context, kind RequestKind) (n int, ok bool, err error) {
	if l.shared == nil {
		return 0, false, nil
	}
	l.mu.Lock()
	cycle := l.window(kind).cycle()
	l.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, l.sharedTimeout)
	defer cancel()
	n, err = l.shared.InWindow(cctx, kind, cycle)
	if err != nil {
		return 0, true, fmt.Errorf("%w: counting the shared budget's window: %w", ErrUnavailable, err)
	}
	return n, true, nil
}

// RetryAt is the earliest time a request of this kind could be granted now,
// ignoring the queue: what a RetryInfo should say after a 429.
func (l *Limiter) RetryAt(kind RequestKind) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.daily.blocked(now) {
		return l.daily.resetAt
	}
	return l.window(kind).earliestGrant(now, 0)
}
