package hubspot

import (
	"slices"
	"time"
)

// rollingWindow enforces "at most len(slots) requests in any window of
// length", measured as HubSpot measures it: by when requests arrive.
//
// It keeps one slot per request of the last budget granted (a ring, in
// effect). A slot is stamped with the grant time while its request is in
// flight, and restamped with the time the response (or failure) came back.
// The server received the request somewhere between those two instants, so
// the completion time is an upper bound on the receipt time, and the grant
// time of the next request a lower bound on its receipt time. Reusing a slot
// only once completion+length+margin has passed therefore guarantees that two
// requests sharing a slot arrive at least `length` apart, however the network
// delays either of them. While a request is in flight its slot cannot be
// reused at all: we do not yet know when HubSpot saw it.
//
// The margin absorbs what the bound cannot see (HubSpot measuring at a point
// slightly after receipt, a failed request reaching the server late).
//
// rollingWindow is not safe for concurrent use; Limiter.mu guards it.
type rollingWindow struct {
	policy   Policy
	length   time.Duration
	margin   time.Duration
	declared int // the budget HubSpot (or the configuration) states
	// reserved slots are left to someone else sharing the budget (another program using the
	// same private app) whom we only notice through 429s: while we keep every slot busy,
	// HubSpot's Remaining cannot show their usage. len(slots) == declared - reserved.
	reserved   int
	reservedAt time.Time // the last 429 that grew the reservation, or the last decay step
	slots      []slot
	waiters    fairQueue // only its head may take a slot
	granted    uint64
	lastSeq    uint64
	// With a SharedWindow: claiming is set while a granted slot's shared claim is being made
	// (Limiter.mu released), so nobody else is granted meanwhile; sharedUntil is the time
	// before which the ledger said no shared slot frees (zero: none known).
	claiming    bool
	sharedUntil time.Time
	// With a SharedWindow: the fleet's slots counting against the window when the last
	// completed claim was granted (SlotUsage.CountedAtClaim), and when that was learned. The
	// slots here are only this replica's usage; see headroom.
	fleetCounted int
	fleetAt      time.Time
}

type slot struct {
	seq       uint64    // the grant that owns the slot; 0 for learned (phantom) usage
	caller    string    // whom the grant was made for (WithCaller); "" for phantom usage
	grantedAt time.Time // when the request was released to be sent
	stamp     time.Time // grantedAt while in flight, then completion time
	inflight  bool
	used      bool
}

func newRollingWindow(policy Policy, budget int, length, margin time.Duration) *rollingWindow {
	budget = max(budget, 1)
	return &rollingWindow{policy: policy, length: length, margin: margin, declared: budget, slots: make([]slot, budget)}
}

// setBudget adopts the budget HubSpot states, keeping the share reserved for others.
func (w *rollingWindow) setBudget(budget int) {
	if budget < 1 || budget == w.declared {
		return
	}
	w.reserved = w.reserved * budget / w.declared
	w.declared = budget
	w.sharedUntil = time.Time{} // the ledger's answer was for the old budget
	w.resize(w.declared - w.reserved)
}

// reserveForOthers answers a ten-second 429 we did not cause: someone else uses part of the
// budget. Leaving them a fifth more of it per window that has 429s (a burst of them is one
// collision), and taking one slot back per two quiet windows, settles just above their share
// instead of colliding with them every window.
func (w *rollingWindow) reserveForOthers(now time.Time) {
	w.decay(now)
	if w.reserved > 0 && now.Sub(w.reservedAt) < w.cycle() {
		w.reservedAt = now // the same collision; the decay restarts from it
		return
	}
	w.reserved = min(w.reserved+max(1, w.declared/5), w.declared-1)
	w.reservedAt = now
	w.resize(w.declared - w.reserved)
}

// reserveDecay is how long it takes without a 429 to give back one reserved slot.
func (w *rollingWindow) reserveDecay() time.Duration { return 2 * w.cycle() }

// decay gives back reserved slots for the quiet time since the last 429.
func (w *rollingWindow) decay(now time.Time) {
	if w.reserved == 0 {
		return
	}
	if steps := int(now.Sub(w.reservedAt) / w.reserveDecay()); steps > 0 {
		w.reserved = max(0, w.reserved-steps)
		w.reservedAt = w.reservedAt.Add(time.Duration(steps) * w.reserveDecay())
		w.resize(w.declared - w.reserved)
	}
}

// cycle is how long a slot stays taken after its request completes.
func (w *rollingWindow) cycle() time.Duration { return w.length + w.margin }

// freeAt is the earliest time the slot can be reused; for an in-flight slot
// it assumes the response arrives right now (a lower bound).
func (w *rollingWindow) freeAt(s slot, now time.Time) time.Time {
	switch {
	case !s.used:
		return now
	case s.inflight:
		return now.Add(w.cycle())
	default:
		return s.stamp.Add(w.cycle())
	}
}

func (w *rollingWindow) reusable(s slot, now time.Time) bool {
	return !s.used || (!s.inflight && !s.stamp.Add(w.cycle()).After(now))
}

// tryGrant takes a free slot for a request sent now for caller.
func (w *rollingWindow) tryGrant(now time.Time, caller string) (uint64, bool) {
	w.decay(now)
	for i, s := range w.slots {
		if w.reusable(s, now) {
			w.lastSeq++
			w.granted++
			w.slots[i] = slot{seq: w.lastSeq, caller: caller, grantedAt: now, stamp: now, inflight: true, used: true}
			return w.lastSeq, true
		}
	}
	return 0, false
}

// cancel gives back a slot granted by tryGrant whose request was never sent (the shared
// ledger refused it): it counts neither as usage nor as a grant.
func (w *rollingWindow) cancel(seq uint64) {
	for i := range w.slots {
		if w.slots[i].seq == seq && w.slots[i].inflight {
			w.slots[i] = slot{}
			w.granted--
			return
		}
	}
}

// complete restamps a granted slot with the time its response came back.
func (w *rollingWindow) complete(seq uint64, now time.Time) {
	for i := range w.slots {
		if w.slots[i].seq == seq && w.slots[i].inflight {
			w.slots[i].inflight = false
			w.slots[i].stamp = now
			return
		}
	}
}

// earliestGrant is a lower bound on when the waiter with `ahead` callers in
// front of it can be granted: it needs the (ahead+1)-th slot to free up, and
// each full pass over the budget costs at least one more cycle.
func (w *rollingWindow) earliestGrant(now time.Time, ahead int) time.Time {
	times := make([]time.Time, len(w.slots))
	for i, s := range w.slots {
		times[i] = w.freeAt(s, now)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	t := times[ahead%len(times)].Add(time.Duration(ahead/len(times)) * w.cycle())
	return latest(now, t, w.sharedUntil)
}

func latest(ts ...time.Time) time.Time {
	out := ts[0]
	for _, t := range ts[1:] {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// nextCheck is when the head waiter should look again if nothing wakes it:
// the earliest known free time, or one cycle if every slot is in flight
// (their completions will wake it sooner), and not before the shared ledger
// said a slot may free.
func (w *rollingWindow) nextCheck(now time.Time) time.Time {
	next := now.Add(w.cycle())
	for _, s := range w.slots {
		if !s.used {
			next = now
			break
		}
		if !s.inflight {
			if t := s.stamp.Add(w.cycle()); t.Before(next) {
				next = t
			}
		}
	}
	return latest(next, w.sharedUntil)
}

// headroom is how many requests could go right now: the slots free here and, while the
// fleet's count is fresh (learned within a cycle), no more than the fleet leaves. A replica's
// own slots show only its share of a shared budget, and callers that size their work by the
// headroom (the upsert batcher's pace for partial batches) would otherwise see room the other
// replicas have taken.
func (w *rollingWindow) headroom(now time.Time) int {
	inWindow, _ := w.inUse(now)
	free := len(w.slots) - inWindow
	if !w.fleetAt.IsZero() && now.Sub(w.fleetAt) < w.cycle() {
		free = min(free, max(len(w.slots)-w.fleetCounted, 0))
	}
	return free
}

// inWindowForOthers counts the slots still counting against the window that were granted
// to callers other than caller (phantom usage, someone else's, is not counted).
func (w *rollingWindow) inWindowForOthers(now time.Time, caller string) int {
	n := 0
	for _, s := range w.slots {
		if s.seq != 0 && s.caller != caller && !w.reusable(s, now) {
			n++
		}
	}
	return n
}

// inUse counts slots that still count against the window.
func (w *rollingWindow) inUse(now time.Time) (inWindow, inFlight int) {
	for _, s := range w.slots {
		if s.inflight {
			inFlight++
		}
		if !w.reusable(s, now) {
			inWindow++
		}
	}
	return inWindow, inFlight
}

// resize adopts a new budget. When shrinking it keeps the busiest slots
// (in flight first, then the most recent), so it never forgets usage that
// still counts.
func (w *rollingWindow) resize(budget int) {
	if budget < 1 || budget == len(w.slots) {
		return
	}
	if budget > len(w.slots) {
		w.slots = append(w.slots, make([]slot, budget-len(w.slots))...)
		return
	}
	slices.SortFunc(w.slots, func(a, b slot) int {
		if a.inflight != b.inflight {
			if a.inflight {
				return -1
			}
			return 1
		}
		if a.used != b.used {
			if a.used {
				return -1
			}
			return 1
		}
		return b.stamp.Compare(a.stamp)
	})
	w.slots = w.slots[:budget]
}

// fill marks up to n free slots as used now: usage we learned about but did
// not cause (another replica or app sharing the budget, or a 429).
func (w *rollingWindow) fill(now time.Time, n int) {
	for i := range w.slots {
		if n <= 0 {
			return
		}
		if w.reusable(w.slots[i], now) {
			w.slots[i] = slot{grantedAt: now, stamp: now, used: true}
			n--
		}
	}
}

// correct lowers our idea of the headroom when HubSpot reports fewer
// requests remaining than we can account for.
//
// remaining describes the server's window when it received the request we
// granted at sentAt, so it is compared with what counted at sentAt — not
// now: slots that expired while the response travelled back were still in
// HubSpot's count. Slots granted after sentAt are included too (they may
// have overtaken it); their stamp is later than sentAt, so the same test
// covers them. Anything beyond our own usage is someone else's, which we
// record as taken now (the latest it can have happened).
func (w *rollingWindow) correct(remaining int, sentAt, now time.Time) {
	ours := 0
	for _, s := range w.slots {
		if s.used && (s.inflight || s.stamp.Add(w.cycle()).After(sentAt)) {
			ours++
		}
	}
	w.correctFor(remaining, ours, now)
}

// correctFor is correct once our usage at the request's send time is known:
// ours counts this process's slots, or with a SharedWindow the fleet's (every
// replica's requests are in HubSpot's count, and none of them is foreign).
func (w *rollingWindow) correctFor(remaining, ours int, now time.Time) {
	// The reserved slots already stand for usage by others.
	if foreign := w.declared - remaining - ours - w.reserved; foreign > 0 {
		w.fill(now, foreign)
	}
}

// wakeHead nudges the head waiter to re-check; called whenever a slot may
// have freed or the head changed.
func (w *rollingWindow) wakeHead() {
	head := w.waiters.head()
	if head == nil {
		return
	}
	select {
	case head.wake <- struct{}{}:
	default:
	}
}
