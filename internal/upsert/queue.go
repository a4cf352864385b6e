package upsert

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
)

type itemState int

const (
	statePending   itemState = iota // queued, not yet in a batch
	stateSent                       // in a batch on the wire
	stateDone                       // outcome delivered
	stateAbandoned                  // the caller's context ended first
)

// item is one caller's upsert. Its fields after ctx are guarded by Batcher.mu
// until done is closed.
type item struct {
	ctx      context.Context
	line     *callerLine // its caller's line
	email    string
	props    map[string]string
	enqueued time.Time

	state itemState
	res   Result
	err   error
	done  chan struct{}
}

// enqueue queues the contacts in order, failing at once (without queueing)
// those whose deadline falls before the earliest slot their batch could get.
func (b *Batcher) enqueue(ctx context.Context, contacts []Contact) ([]*item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	deadline, hasDeadline := ctx.Deadline()
	now := time.Now()

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return nil, ErrClosed
	}
	if b.live+len(contacts) > b.cfg.MaxQueue {
		return nil, fmt.Errorf("%w (%d waiting, at most %d)", ErrQueueFull, b.live, b.cfg.MaxQueue)
	}
	items := make([]*item, len(contacts))
	line := b.lineLocked(hubspot.CallerFrom(ctx))
	lastAhead, lastOK, lastEarliest, lastPolicy := -1, true, time.Time{}, hubspot.Policy("")
	for i, c := range contacts {
		it := &item{ctx: ctx, line: line, email: c.Email, props: c.Properties, enqueued: now, done: make(chan struct{})}
		items[i] = it
		if hasDeadline {
			// Batches ahead of this one, at best: its caller's own pending
			// emails (other callers share each batch with it, never take it
			// all); merges can only help, so count distinct emails, not items.
			// Every queued upsert is checked, so the check must be cheap: see
			// CanGrantBy.
			ahead := len(line.emails) / b.cfg.MaxBatch
			if ahead != lastAhead {
				lastOK, lastEarliest, lastPolicy = b.limiter.CanGrantBy(hubspot.KindStandard, ahead, deadline)
				lastAhead = ahead
			}
			if !lastOK {
				it.state, it.err = stateDone, b.rateLimitError(lastPolicy, lastEarliest, now)
				close(it.done)
				continue
			}
		}
		line.items = append(line.items, it)
		line.pending++
		line.emails[it.email]++
		b.pendingByEmail[it.email] = append(b.pendingByEmail[it.email], it)
		b.stats.Accepted++
		b.live++
	}
	b.dropEmptyLinesLocked() // every contact failed fast: a line opened for them stays empty
	b.queueChangedLocked()
	b.nudge()
	return items, nil
}

func (b *Batcher) rateLimitError(policy hubspot.Policy, at, now time.Time) *hubspot.RateLimitError {
	return &hubspot.RateLimitError{Policy: policy, RetryAt: at, RetryAfter: max(at.Sub(now), 0), Operation: batchOperation}
}

// await waits for the item's outcome or the caller's context, whichever
// comes first.
func (b *Batcher) await(ctx context.Context, it *item) (Result, error) {
	select {
	case <-it.done:
		return it.res, it.err
	case <-ctx.Done():
	}
	return b.abandon(ctx, it)
}

// abandon takes a caller whose context ended out of the queue, or detaches
// it from its batch in flight.
func (b *Batcher) abandon(ctx context.Context, it *item) (Result, error) {
	b.mu.Lock()
	switch it.state {
	case stateDone:
		b.mu.Unlock()
		return it.res, it.err
	case stateSent:
		it.state = stateAbandoned
		b.mu.Unlock()
		return Result{}, fmt.Errorf("%w: %w", ErrOutcomeUnknown, ctx.Err())
	}
	it.state = stateAbandoned
	b.leavePendingLocked(it)
	b.setPendingByEmailLocked(it.email, slices.DeleteFunc(b.pendingByEmail[it.email], func(o *item) bool { return o == it }))
	// A retry would join the back of its caller's line: that is the wait to report.
	ahead := len(it.line.emails) / b.cfg.MaxBatch
	b.dropEmptyLinesLocked()
	if b.live == 0 && b.cancelAcquire != nil {
		b.cancelAcquire() // nobody left to send: give the limiter's queue place up
	}
	b.mu.Unlock()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		at, policy := b.limiter.EarliestGrant(hubspot.KindStandard, ahead)
		rl := b.rateLimitError(policy, at, time.Now())
		return Result{}, fmt.Errorf("%w: %w", rl, ctx.Err())
	}
	return Result{}, fmt.Errorf("upsert: cancelled while queued: %w", ctx.Err())
}

// leavePendingLocked counts an item out of the pending ones; the caller takes it out of
// pendingByEmail and drops its line once empty.
func (b *Batcher) leavePendingLocked(it *item) {
	defer b.queueChangedLocked()
	b.live--
	it.line.pending--
	if it.line.emails[it.email]--; it.line.emails[it.email] <= 0 {
		delete(it.line.emails, it.email)
	}
}

// finishLocked delivers an outcome unless the caller already left.
func (b *Batcher) finishLocked(it *item, res Result, err error) {
	if it.state == stateAbandoned || it.state == stateDone {
		return
	}
	if it.state == statePending {
		b.leavePendingLocked(it)
	}
	it.state, it.res, it.err = stateDone, res, err
	close(it.done)
}
