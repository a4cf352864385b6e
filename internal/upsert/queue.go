package upsert

import (
	"context"
	"errors"
	"fmt"
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
	lastAhead, lastEarliest, lastPolicy := -1, time.Time{}, hubspot.Policy("")
	for i, c := range contacts {
		it := &item{ctx: ctx, email: c.Email, props: c.Properties, enqueued: now, done: make(chan struct{})}
		items[i] = it
		if hasDeadline {
			// Batches ahead of this one, at best: merges can only help, so
			// count distinct emails, not callers.
			ahead := len(b.pendingEmails) / b.cfg.MaxBatch
			if ahead != lastAhead {
				lastEarliest, lastPolicy = b.limiter.EarliestGrant(hubspot.KindStandard, ahead)
				lastAhead = ahead
			}
			if deadline.Before(lastEarliest) {
				it.state, it.err = stateDone, b.rateLimitError(lastPolicy, lastEarliest, now)
				close(it.done)
				continue
			}
		}
		b.queue = append(b.queue, it)
		b.stats.Accepted++
		b.live++
		b.pendingEmails[it.email]++
	}
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
	// A retry would join the back of the queue: that is the wait to report.
	ahead := b.live / b.cfg.MaxBatch
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

func (b *Batcher) leavePendingLocked(it *item) {
	b.live--
	if b.pendingEmails[it.email]--; b.pendingEmails[it.email] <= 0 {
		delete(b.pendingEmails, it.email)
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
