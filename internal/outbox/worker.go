package outbox

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/store"
)

// worker delivers one connection's events. It lives while the connection has queued events
// and retires when it has none; Wake starts a new one.
type worker struct {
	o      *Outbox
	key    connKey
	signal chan struct{} // buffered 1: something changed, look again
	// Guarded by o.mu.
	pending bool // a wake arrived since the last look at the queue
	release bool // a public Wake: retry held events now
	// slots bounds the batches in flight (Concurrency); batches run past the pass that
	// started them, so the limiter's queue never runs dry at a pass boundary.
	slots    chan struct{}
	inflight sync.WaitGroup

	mu   sync.Mutex // guards held, heldSince, heldUntil and sending; batches report as they finish
	held *Health    // last hold reported, nil when healthy
	// heldUntil is when the hold is next tried (HoldRecheck, or the hold's RetryAt); zero once
	// released or over. Until then events that come due (logged while held) join the hold
	// without a request: each would get the same refusal, and spend a slot of the budget the
	// rest of the connection shares; unless held events come due too (releasedElsewhere).
	heldUntil time.Time
	heldSince time.Time      // when that hold began
	sending   map[int64]bool // seqs of events in flight: never loaded again until answered
}

// idleRetry is how long a worker waits after an unexpected failure of its own (SQLite).
const idleRetry = time.Second

func (w *worker) run() {
	defer w.o.wg.Done()
	log := w.o.cfg.Logger.With("workspace", w.key.workspace, "connection", w.key.connection)
	defer w.inflight.Wait()
	for {
		if w.o.stopping() {
			w.inflight.Wait()
			w.retire(true)
			return
		}
		if !w.o.delivering() {
			w.inflight.Wait()
			if w.retireStandby() {
				return
			}
		}
		w.o.mu.Lock()
		w.pending = false
		release := w.release
		w.release = false
		w.o.mu.Unlock()

		if release {
			// Credentials changed or the day turned: held (and backed-off) events are due
			// again now. In-doubt events still wait CheckDelay before their check.
			w.mu.Lock()
			w.heldUntil = time.Time{}
			w.mu.Unlock()
			if err := w.o.st.RescheduleOutboxEvents(w.o.workCtx, w.key.workspace, w.key.connection, w.o.cfg.Now()); err != nil {
				log.Error("outbox: release held events", "err", err)
			}
		}
		wait, err := w.pass(w.o.workCtx)
		if err != nil {
			if w.o.workCtx.Err() != nil {
				w.inflight.Wait()
				w.retire(true)
				return
			}
			log.Error("outbox: delivery pass failed", "err", err)
			wait = idleRetry
		}
		if wait < 0 {
			w.inflight.Wait()
			if w.retire(false) {
				return
			}
			continue
		}
		if wait == 0 {
			continue
		}
		timer := time.NewTimer(wait)
		select {
		case <-w.signal:
		case <-timer.C:
		case <-w.o.stop:
		}
		timer.Stop()
	}
}

// retire removes the worker unless a wake arrived meanwhile (then it must look again).
func (w *worker) retire(force bool) bool {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	if w.pending && !force {
		return false
	}
	delete(w.o.workers, w.key)
	return true
}

// retireStandby removes the worker if this process does not hold the delivery lease (it
// lost it); if it holds it again meanwhile, the worker carries on.
func (w *worker) retireStandby() bool {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	if w.o.leased {
		return false
	}
	delete(w.o.workers, w.key)
	return true
}

// pass delivers the events due now and says how long to wait before the next pass: 0 for at
// once (more may be due), a duration until the earliest queued event is due, or -1 when
// nothing is queued.
func (w *worker) pass(ctx context.Context) (time.Duration, error) {
	o := w.o
	limit := o.cfg.BatchSize * o.cfg.Concurrency
	// Taken before the read: a batch that finishes during the read leaves a stale row in
	// it, which must not be sent again (nor overwrite what the batch recorded).
	inFlight := w.inFlight()
	rows, err := o.st.DueOutboxEvents(ctx, w.key.workspace, w.key.connection, o.cfg.Now(), limit)
	if err != nil {
		return 0, err
	}
	loaded := len(rows)
	rows = slices.DeleteFunc(rows, func(r store.OutboxEvent) bool { return inFlight[r.Seq] })
	if len(rows) > 0 {
		if err := w.deliverRows(ctx, rows); err != nil {
			return 0, err
		}
		if loaded == limit && !w.isHeld() {
			return 0, nil
		}
	} else if loaded > 0 {
		// Everything due is in flight: the batches poke the worker when they finish.
		return o.cfg.CheckDelay, nil
	}
	next, ok, err := o.st.NextOutboxAttempt(ctx, w.key.workspace, w.key.connection)
	if err != nil || !ok {
		return -1, err
	}
	return max(next.Sub(o.cfg.Now()), 0), nil
}

func (w *worker) deliverRows(ctx context.Context, rows []store.OutboxEvent) error {
	o := w.o
	conn, err := o.st.GetConnection(ctx, w.key.workspace, w.key.connection)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted: its events went with it
	}
	if err != nil {
		return err
	}
	d := &delivery{o: o, w: w, now: o.cfg.Now()}
	if h, since, until := w.holdGate(d.now); h != nil {
		if releasedElsewhere(rows, since, until) {
			w.mu.Lock()
			w.heldUntil = time.Time{}
			w.mu.Unlock()
		} else {
			d.hold, d.holdSince, d.holdUntil = h, since, until
		}
	}
	items := make([]*item, 0, len(rows))
	for _, r := range rows {
		ev, err := eventOf(r)
		if err != nil { // cannot happen with rows we wrote; fail it rather than loop on it
			r.Status, r.LastError, r.DeliverTime = store.OutboxFailed, err.Error(), d.now
			d.save(ctx, []*item{{row: r}})
			continue
		}
		t, _ := engagementOf(ev.Kind)
		items = append(items, &item{row: r, ev: ev, typ: t})
	}
	if d.holding() { // still held: these join the hold, no request sent
		d.holdAll(ctx, items, nil)
		return nil
	}
	client, err := o.cfg.Clients.Client(ctx, conn)
	if err != nil {
		d.holdAll(ctx, items, &Health{Reason: HoldTokenUnreadable, Message: fmt.Sprintf(
			"the connection's token cannot be used (%v): Update Credentials", err)})
	} else {
		d.client = client
		d.run(ctx, items)
	}
	w.settle(d)
	return nil
}

// settle reports what a delivery learnt: a hold, or that HubSpot accepted a call (whatever
// held the connection is over). Batches call it as they finish.
func (w *worker) settle(d *delivery) {
	d.mu.Lock()
	hold, succeeded := d.hold, d.succeeded
	d.mu.Unlock()
	switch {
	case hold != nil:
		w.mu.Lock()
		w.heldSince, w.heldUntil = d.holdSince, d.holdUntil
		w.mu.Unlock()
		w.report(hold)
	case succeeded:
		w.report(nil)
	}
}

// holdGate is the hold events coming due at now join, since and until when; nil when none
// (not held, released, or its time to be tried again has come).
func (w *worker) holdGate(now time.Time) (h *Health, since, until time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held == nil || w.heldUntil.IsZero() || !now.Before(w.heldUntil) {
		return nil, time.Time{}, time.Time{}
	}
	return w.held, w.heldSince, w.heldUntil
}

// releasedElsewhere reports whether rows show that a Wake in another process (credentials
// updated through a replica that does not deliver) released the hold that began at since:
// that Wake made the held events due at once, before until, the hold's own next try. Events
// held by this hold are due at until; events logged while held carry no hold; events of an
// earlier hold came due before this one began (in the same millisecond they cost one request,
// refused alike). Times compare in the store's milliseconds.
func releasedElsewhere(rows []store.OutboxEvent, since, until time.Time) bool {
	for _, r := range rows {
		at := r.NextAttempt.UnixMilli()
		if strings.HasPrefix(r.LastError, heldPrefix) && at >= since.UnixMilli() && at < until.UnixMilli() {
			return true
		}
	}
	return false
}

// poke makes the worker look at the queue again (a batch finished).
func (w *worker) poke() {
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

// inFlight returns a copy of the seqs of events whose batch is in flight.
func (w *worker) inFlight() map[int64]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.sending)
}

// setSending marks events in flight (on) or answered (off).
func (w *worker) setSending(items []*item, on bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, it := range items {
		if on {
			w.sending[it.row.Seq] = true
		} else {
			delete(w.sending, it.row.Seq)
		}
	}
}

func (w *worker) isHeld() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.held != nil
}

// report tells OnHealth when the connection starts or stops being held, or why changes.
func (w *worker) report(h *Health) {
	w.mu.Lock()
	if h == nil && w.held == nil {
		w.mu.Unlock()
		return
	}
	if h != nil && w.held != nil && h.Reason == w.held.Reason && slices.Equal(h.RequiredScopes, w.held.RequiredScopes) {
		w.mu.Unlock()
		return
	}
	w.held = h
	if h == nil {
		w.heldUntil = time.Time{}
	}
	out := Health{Workspace: w.key.workspace, Connection: w.key.connection}
	if h != nil {
		out = *h
		out.Workspace, out.Connection, out.Held = w.key.workspace, w.key.connection, true
		w.o.cfg.Logger.Warn("outbox: holding events", "workspace", out.Workspace, "connection", out.Connection,
			"reason", out.Reason, "message", out.Message)
	} else {
		w.o.cfg.Logger.Info("outbox: delivering again", "workspace", out.Workspace, "connection", out.Connection)
	}
	w.mu.Unlock()
	if w.o.cfg.OnHealth != nil {
		w.o.cfg.OnHealth(out)
	}
	if h == nil {
		// HubSpot accepts calls again: events held meanwhile (a batch answered 403 after the
		// scopes came back, say) go now rather than at their hold recheck.
		w.o.wake(w.key.workspace, w.key.connection, true)
	}
}
