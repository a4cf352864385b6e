package upsert

import (
	"context"
	"maps"
	"slices"

	"github.com/connectflo/integrations/internal/hubspot"
)

// limiterCaller is the name the batcher's requests carry in the connection's limiter: a batch
// is made for many callers at once, so the batcher takes its turns there as a caller of its
// own (hubspot.WithCaller), beside the API keys' reads and updates.
const limiterCaller = "upsert batcher"

// batcherContext is the context of the batcher's own waits and requests.
func batcherContext() context.Context {
	return hubspot.WithCaller(context.Background(), limiterCaller)
}

// callerLine is one caller's queued upserts, in arrival order; the caller is named by
// hubspot.CallerFrom of the upsert's context (the service names an RPC after its API key).
//
// A batch is shared fairly among the callers with upserts queued: cutLocked takes one new
// email from each caller in turn, round after round, until the batch is full or nobody has
// one left, and the next batch starts where this one stopped. One caller that queues 10,000
// upserts therefore takes at most its share of each batch's 100 inputs, and a caller arriving
// behind it goes out in the very next batch instead of 100 batches later. A caller alone
// still fills every batch: a share nobody claims goes to whoever has more.
//
// Fairness only chooses which emails go; it never reorders the writes of one email. When an
// email is chosen, every pending write of it joins the batch, whichever caller queued it, in
// arrival order (later values win), as before; an email already on the wire waits for its
// batch to complete.
//
// A line may hold items that have left (sent with another caller's write of the same email,
// abandoned, failed): a cut drops those it passes, and the whole line is dropped as soon as
// its last pending item leaves, so memory stays proportional to the upserts queued.
type callerLine struct {
	caller  string
	items   []*item
	pending int            // items still pending
	emails  map[string]int // pending items per email
}

// lineLocked returns the caller's line, opening one (at the back of the turns) if it has none.
func (b *Batcher) lineLocked(caller string) *callerLine {
	line := b.lines[caller]
	if line == nil {
		line = &callerLine{caller: caller, emails: map[string]int{}}
		b.lines[caller] = line
		b.turns = append(b.turns, line)
	}
	return line
}

// dropEmptyLinesLocked forgets the callers that have nothing pending any more.
func (b *Batcher) dropEmptyLinesLocked() {
	b.turns = slices.DeleteFunc(b.turns, func(line *callerLine) bool {
		if line.pending > 0 {
			return false
		}
		delete(b.lines, line.caller)
		return true
	})
}

// cutLocked takes up to MaxBatch emails for the next batch, one per caller in turn (see
// callerLine), merging every pending write of each chosen email in arrival order. Writes whose
// email is on the wire, and callers who are leaving, stay queued in order.
func (b *Batcher) cutLocked() []*group {
	var groups []*group
	chosen := map[string]bool{}
	next := make([]int, len(b.turns)) // per line: where its next candidate is
	lastServed := -1
	for progress := true; progress && len(groups) < b.cfg.MaxBatch; {
		progress = false
		for i, line := range b.turns {
			if len(groups) == b.cfg.MaxBatch {
				break
			}
			for next[i] < len(line.items) {
				it := line.items[next[i]]
				next[i]++
				if chosen[it.email] || !b.sendableLocked(it) {
					continue // merged with the chosen email below, gone, or must wait
				}
				chosen[it.email] = true
				groups = append(groups, &group{email: it.email, props: map[string]string{}})
				lastServed, progress = i, true
				break
			}
		}
	}
	for _, g := range groups {
		waiting := b.pendingByEmail[g.email][:0] // writes of the email that cannot go now
		for _, it := range b.pendingByEmail[g.email] {
			if !b.sendableLocked(it) {
				waiting = append(waiting, it)
				continue
			}
			maps.Copy(g.props, it.props) // later callers' values win
			g.items = append(g.items, it)
		}
		b.setPendingByEmailLocked(g.email, waiting)
		for _, it := range g.items {
			b.leavePendingLocked(it)
			it.state = stateSent
		}
	}
	for i, line := range b.turns {
		// Items passed over that are still pending stay, in order; the rest is dropped.
		passed := slices.DeleteFunc(line.items[:next[i]], func(it *item) bool { return it.state != statePending })
		line.items = append(passed, line.items[next[i]:]...)
	}
	// The next batch starts with the caller after the last one served.
	b.turns = slices.Concat(b.turns[lastServed+1:], b.turns[:lastServed+1])
	b.dropEmptyLinesLocked()
	return groups
}

// setPendingByEmailLocked stores the pending writes of an email, forgetting the email when
// there are none.
func (b *Batcher) setPendingByEmailLocked(email string, items []*item) {
	if len(items) == 0 {
		delete(b.pendingByEmail, email)
		return
	}
	b.pendingByEmail[email] = items
}
