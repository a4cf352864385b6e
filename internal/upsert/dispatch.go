package upsert

import (
	"context"
	"errors"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
)

// group is one input of a batch: every queued caller of one email, merged
// in arrival order.
type group struct {
	email string
	props map[string]string
	items []*item
}

// dispatch is the batcher's one loop: wait until a batch is worth a slot,
// queue for the slot while the batch keeps filling, cut it at the grant and
// hand it to a sender goroutine with the permit.
func (b *Batcher) dispatch() {
	defer close(b.stopped)
	for {
		if !b.waitReady() {
			return
		}
		b.mu.Lock()
		b.lastAsk = time.Now()
		b.mu.Unlock()
		permit, err := b.acquire()
		if err != nil {
			continue
		}
		b.mu.Lock()
		groups := b.cutLocked()
		if len(groups) == 0 {
			b.mu.Unlock()
			permit.Done(nil) // everyone left at the last moment; the slot counts as used
			continue
		}
		for _, g := range groups {
			b.inflight[g.email]++
		}
		b.sending.Add(1)
		b.mu.Unlock()
		go b.deliver(groups, permit)
	}
}

// waitReady blocks until the queue holds a batch worth asking a slot for:
// a full batch, or an oldest caller that has lingered long enough (at once
// when closing). It returns false when the batcher is closed and drained.
func (b *Batcher) waitReady() bool {
	for {
		b.mu.Lock()
		ready, wait := b.readyLocked(time.Now())
		done := b.closing && b.live == 0
		b.mu.Unlock()
		if ready {
			return true
		}
		if done {
			return false
		}
		if wait <= 0 {
			<-b.wake
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-b.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// readyLocked says whether a batch should ask for a slot now, or else how
// long until the oldest sendable caller has lingered enough (0: until
// something changes).
func (b *Batcher) readyLocked(now time.Time) (bool, time.Duration) {
	count := 0
	var oldest time.Time
	for _, line := range b.turns {
		for _, it := range line.items {
			if !b.sendableLocked(it) {
				continue
			}
			if count == 0 || it.enqueued.Before(oldest) {
				oldest = it.enqueued
			}
			if count++; count >= b.cfg.MaxBatch {
				break
			}
		}
		if count >= b.cfg.MaxBatch {
			break
		}
	}
	if count == 0 {
		return false, 0
	}
	if b.closing {
		return true, 0
	}
	full := count >= b.cfg.MaxBatch
	if lingered := now.Sub(oldest); !full && lingered < b.cfg.Linger {
		return false, b.cfg.Linger - lingered
	}
	if wait, ok := b.leaveSlotsToOthersLocked(now); !ok {
		return false, wait
	}
	if full {
		return true, 0
	}
	// A partial batch waits for its share of the slots free now: a rolling window lets a
	// whole budget go at once, and spending it on small batches would starve the rest of
	// the window (200 callers would get ~half of HubSpot's ceiling). See pace.
	pace, recheck := b.pace(b.stats.InFlightBatches > 0 || now.Sub(b.lastAnswered) < returning)
	if next := b.lastAsk.Add(pace); now.Before(next) {
		return false, min(next.Sub(now), recheck)
	}
	return true, 0
}

// returning is how long after a batch's callers had their answers they still count as coming
// back, like the callers of a batch on the wire (see pace): their answer and their next call
// cross the network and the caller's own work. Without it, once every batch was answered the
// first callers back went at the idle pace in a partial batch: three replicas, each with its
// batches answered together, made 455 requests where 400 full ones suffice (408 with it).
const returning = 250 * time.Millisecond

// pace is how long a partial batch waits after the last ask.
//
// At an idle connection it is the time one slot of the window stands for (100 ms at
// HubSpot's 100 per 10 s, 40 ms at 250), so a lone upsert still leaves at once.
//
// While batches are on the wire, or were answered within returning, their callers may well
// come back, and it is the window over the slots free now. When the window is nearly spent,
// the window and not the callers bounds throughput: the few free slots come back one at a
// time (as the ones spent a window ago expire), and a partial batch granted one would carry
// a few contacts where a full one carries a hundred, a request of the budget lost (at 250
// per 10 s, 0.4 % of the window's throughput per partial batch, and a whole window for the
// last contacts of a load that spills over). Waiting longer there lets the batch fill from
// the callers returning. With nothing on the wire and nobody answered lately, nobody is
// known to be coming, and the last contacts of a load leave at the idle pace instead of
// waiting for the window to free up.
//
// recheck is how soon the answer may change without a nudge (slots free up without one):
// the time one slot stands for.
func (b *Batcher) pace(batchesOnTheWire bool) (pace, recheck time.Duration) {
	st := b.limiter.Stats().Standard
	if st.Budget <= 0 {
		return 0, 0
	}
	slot := st.Window / time.Duration(st.Budget)
	if !batchesOnTheWire {
		return slot, slot
	}
	return st.Window / time.Duration(max(st.Headroom, 1)), slot
}

// The batcher leaves the connection's other requests a free slot (see leaveSlotsToOthers):
// slotsLeftToOthers of the window, on budgets of at least minBudgetToLeaveOne, for
// othersMemory after other callers last held a slot of the window.
const (
	slotsLeftToOthers   = 1
	minBudgetToLeaveOne = 10
	othersMemory        = time.Minute
)

// leaveSlotsToOthersLocked says whether a batch may ask for a slot now, or else how long
// until the window has one to spare.
//
// Callers that keep the batcher busy (hundreds of workflows upserting) make it ask as fast
// as slots are granted, so it took a whole window's budget in the first second of each
// window, and every other request of the connection (a workflow's read, the record names of
// a change arriving by webhook) then waited for the window to roll, up to ten seconds. So
// while the connection has other callers (one held a slot of the window within the last
// othersMemory), the batcher never takes the window's last free slot: such a request is
// granted at once, and when it takes the slot, the next one to come back is left free in its
// place (the batcher, not queued in the limiter meanwhile, does not compete for it), so a
// second one waits at most for a slot to come back, about window/budget at saturation. The
// cost is one request of the window's budget while others use the connection (1 % of
// HubSpot's 100 per 10 s, 0.4 % of 250), nothing when the batcher is alone, and bursts
// still go at once. Budgets under minBudgetToLeaveOne spare nothing: a slot is too much of
// them.
func (b *Batcher) leaveSlotsToOthersLocked(now time.Time) (wait time.Duration, ok bool) {
	st := b.limiter.Stats().Standard
	if st.Budget < minBudgetToLeaveOne {
		return 0, true
	}
	headroom, others := b.limiter.Room(hubspot.KindStandard, limiterCaller)
	if others > 0 {
		b.othersSeen = now
	}
	if headroom > slotsLeftToOthers || b.othersSeen.IsZero() || now.Sub(b.othersSeen) > othersMemory {
		return 0, true
	}
	at, _ := b.limiter.EarliestGrant(hubspot.KindStandard, slotsLeftToOthers)
	// A batch completing nudges the dispatcher sooner; a slot's time bounds the wait in case
	// the window changed without a nudge (a budget learned from HubSpot's headers).
	return min(max(at.Sub(now), time.Millisecond), st.Window/time.Duration(st.Budget)), false
}

func (b *Batcher) sendableLocked(it *item) bool {
	return it.state == statePending && b.inflight[it.email] == 0 && it.ctx.Err() == nil
}

// acquire queues in the limiter for one slot. The wait is given up when
// every queued caller has left; a rate-limit refusal (the DAILY budget)
// fails every queued caller at once.
func (b *Batcher) acquire() (*hubspot.Permit, error) {
	ctx, cancel := context.WithCancel(batcherContext())
	b.mu.Lock()
	b.cancelAcquire = cancel
	b.mu.Unlock()
	permit, err := b.limiter.Wait(ctx, hubspot.KindStandard)
	b.mu.Lock()
	b.cancelAcquire = nil
	cancel()
	if err != nil {
		if rl, ok := errors.AsType[*hubspot.RateLimitError](err); ok {
			rl.Operation = batchOperation
			b.failPendingLocked(rl)
		}
	}
	b.mu.Unlock()
	return permit, err
}

func (b *Batcher) failPendingLocked(err error) {
	for _, line := range b.turns {
		for _, it := range line.items {
			if it.state == statePending {
				b.finishLocked(it, Result{}, err)
			}
		}
	}
	b.lines, b.turns, b.pendingByEmail = map[string]*callerLine{}, nil, map[string][]*item{}
}
