package hubspot

import (
	"context"
	"fmt"
	"time"
)

// A SharedWindow makes one budget hold for every replica of the service: HubSpot counts an
// app's 10-second window and an account's searches per second whoever sends them, so N
// replicas each keeping their own rollingWindow would let HubSpot see N budgets' worth.
//
// The ledger behind a SharedWindow keeps the slots of one budget (a budget key: the app, as
// the per-process Limiter is shared today) per RequestKind, with the same invariant as
// rollingWindow, only fleet-wide:
//
//   - A slot is claimed in one short transaction and stamped, at the claim, with the
//     LEDGER's clock, never a replica's: replicas' clocks differ, so "completion + window has
//     passed" must be decided on one clock. Durations (the window, the margin) travel between
//     clocks unchanged; instants never do.
//   - The holder restamps the slot when its response (or failure) comes back. The ledger's
//     clock at the restamp is after the replica saw the response, so it is an upper bound on
//     when HubSpot received the request, as the local completion time is for rollingWindow.
//   - A slot is reused only once restamp + window + margin has passed on the ledger's clock,
//     and the claim that reuses it is decided before the request is sent, so two requests
//     sharing a slot arrive at least a window apart. There are never more slots than the
//     budget, so no rolling window at HubSpot holds more than the budget.
//   - A slot still in flight is reused only after claim + hold + window + margin, where hold
//     bounds how long after its claim a request can reach HubSpot: the claim call itself
//     (LimiterConfig.SharedTimeout) plus the client's per-attempt timeout. A request still
//     unanswered after that was never received or was received by then (its attempt was
//     cancelled), so the slot is as free as a completed one, whether its holder died (the
//     reason this exists: a replica killed mid-request never restamps) or only lost its
//     restamp to a database error. A late restamp by the old holder names its claim and no
//     longer matches, so it cannot shorten the new holder's slot.
//
// Each replica keeps its own fair queue, its batching and its local rollingWindow (which
// bounds its own share and tracks its own requests); only the claim of a slot is shared. The
// Limiter's head waiter takes a local slot, then claims a shared one with Limiter.mu
// released (a slow database must not stall completions, statistics or cancellations); the
// window is marked as claiming meanwhile, so grants stay one at a time and in queue order.
// A refused claim gives the local slot back (it was never used) and the head waits for the
// time the ledger names (local events may wake it sooner, but it claims again only then). A
// claim whose caller gave up while the ledger answered, or whose answer was lost, may still
// have been granted: that slot stays taken until its hold expires, which wastes it but never
// overspends.
//
// Learning from HubSpot keeps working per replica:
//   - The budget each replica passes with a claim is what it believes (declared less the
//     share it reserves for others after 429s). A replica uses only the ledger's slots
//     numbered below its own budget, so one that believes less (has not yet read the
//     headers, or reserved room) only restrains itself, and the fleet never uses more slots
//     than the largest budget HubSpot stated.
//   - X-HubSpot-RateLimit-Remaining counts every replica's requests. The restamp returns how
//     many of the ledger's slots counted when the request was granted, the fleet's own usage,
//     and only what HubSpot reports beyond it is booked (locally) as someone else's.
//   - A 429 fills the local window of the replica that got it, as in one process; the other
//     replicas learn of the same stranger through their own Remaining headers or 429s.
//
// The daily budget is not split into slots: HubSpot's X-HubSpot-RateLimit-Daily-Remaining
// already counts every replica's requests, and what replicas share is the budget's grant
// count (every claim of either kind increments it, and the claim returns it). A report is
// aged by the fleet's grants since the reported request, not only this replica's, and each
// claim takes off every grant made by anyone since the last one this replica saw. So a
// replica's idea of the remaining daily budget lags the fleet by at most the grants others
// made since its last claim, and a DAILY 429 (which every replica then learns by its own
// next request) blocks as in one process.
//
// A nil SharedWindow is the single-process limiter, unchanged.
type SharedWindow interface {
	// Claim takes a free slot of the request's kind among the first r.Budget, for a request
	// sent as soon as it returns: a claim whose Granted is false says in RetryAfter how long,
	// on the ledger's clock, until a slot may free. An error means the ledger could not be
	// asked (or answered), not that the budget is spent.
	Claim(ctx context.Context, r SlotRequest) (SlotClaim, error)
	// Complete restamps a granted claim's slot now: the request's response or failure has
	// arrived. It reports the budget's grant count and the fleet's usage at the claim.
	Complete(ctx context.Context, c SlotClaim) (SlotUsage, error)
	// InWindow counts the kind's slots that count against the window now, fleet-wide, for
	// requests of the given cycle: what GetUsage shows whichever replica answers.
	InWindow(ctx context.Context, kind RequestKind, cycle time.Duration) (int, error)
}

// SlotRequest asks a SharedWindow for one slot.
type SlotRequest struct {
	Kind RequestKind
	// Budget is how many slots of the kind's window the claimer may use: the budget it
	// believes less what it leaves to others. At least 1.
	Budget int
	// Cycle is how long a slot stays taken after its request completed: the window plus the
	// safety margin.
	Cycle time.Duration
}

// SlotClaim is a SharedWindow's answer to a SlotRequest.
type SlotClaim struct {
	Granted bool
	Kind    RequestKind
	Slot    int           // the slot taken, when granted
	Seq     uint64        // the budget's grants of either kind so far, this one included
	Cycle   time.Duration // the request's Cycle
	// RetryAfter, when not granted, is how long until the earliest slot may free, on the
	// ledger's clock; 0 when one was free but held by a concurrent claim.
	RetryAfter time.Duration
}

// SlotUsage is what a SharedWindow knows when a request completes.
type SlotUsage struct {
	Seq uint64 // the budget's grants of either kind so far
	// CountedAtClaim is how many of the kind's slots, fleet-wide, still counted against the
	// window when the completed claim was granted (it included, later claims too); -1 when
	// the claim was no longer held (its slot was reclaimed) and so the figure is unknown.
	CountedAtClaim int
}

// DefaultSharedTimeout bounds each call to a SharedWindow when LimiterConfig does not say.
const DefaultSharedTimeout = 2 * time.Second

// A request whose claim fails (the ledger's database slow or unreachable) is queued again and
// claims once more after claimRetryPause times its failures so far, up to maxClaimFailures
// failures; the next fails it with ErrUnavailable. A claim bounded by DefaultSharedTimeout
// then fails a request after about 3 × 2 s + 0.6 s when the database is gone, and rides out
// one that is slow for a moment (a loaded machine, a failover).
const (
	maxClaimFailures = 3
	claimRetryPause  = 200 * time.Millisecond
)

// minSharedRetry is how long the head waits before claiming again after a refusal that named
// no time (a free slot held by a concurrent claim): short, since the slot frees within one
// transaction, but not a busy loop against the database.
const minSharedRetry = time.Millisecond

// claimShared claims the ledger's slot for the local slot seq just granted in w. It is
// called with l.mu held and returns with it held; the lock is released during the call, with
// w.claiming set so that no other waiter is granted meanwhile. A refused claim gives the
// local slot back and remembers until when the ledger has nothing.
func (l *Limiter) claimShared(ctx context.Context, w *rollingWindow, kind RequestKind, seq uint64) (*SlotClaim, error) {
	req := SlotRequest{Kind: kind, Budget: len(w.slots), Cycle: w.cycle()}
	w.claiming = true
	l.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, l.sharedTimeout)
	claim, err := l.shared.Claim(cctx, req)
	cancel()
	l.mu.Lock()
	w.claiming = false
	w.wakeHead()
	if err != nil || !claim.Granted {
		w.cancel(seq)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: claiming a %s slot of the shared budget: %w", ErrUnavailable, kind, err)
	}
	if !claim.Granted {
		w.sharedUntil = l.clock.Now().Add(max(claim.RetryAfter, minSharedRetry))
	}
	return &claim, nil
}

// completeShared restamps the permit's claim in the ledger, without l.mu. It returns nil when
// the ledger could not be told: the slot then stays in flight until the ledger's hold
// expires, which only delays its reuse.
func (l *Limiter) completeShared(c *SlotClaim) *SlotUsage {
	ctx, cancel := context.WithTimeout(context.Background(), l.sharedTimeout)
	defer cancel()
	u, err := l.shared.Complete(ctx, *c)
	if err != nil {
		return nil
	}
	return &u
}

// seen advances the grant count to seq (the budget's count, when shared) and takes the
// grants this limiter had not yet counted off the daily budget.
func (l *Limiter) seen(seq uint64) {
	if seq > l.grantedTotal {
		l.daily.onGrants(seq - l.grantedTotal)
		l.grantedTotal = seq
	}
}
