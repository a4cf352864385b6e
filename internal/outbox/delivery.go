package outbox

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/store"
)

// item is one event in a delivery pass: its row (the state written back) and its content.
type item struct {
	row store.OutboxEvent
	ev  Event
	typ hubspot.EngagementType
	// prevDoubt is InDoubtSince before the current send, restored when the send provably
	// did nothing, so a refused send does not cost a check later.
	prevDoubt time.Time
}

// delivery is one pass over a connection's due events.
type delivery struct {
	o      *Outbox
	w      *worker
	client *hubspot.Client
	now    time.Time

	mu        sync.Mutex
	hold      *Health   // set when the connection must be held
	holdSince time.Time // when the hold began
	holdUntil time.Time
	succeeded bool // some HubSpot call succeeded
}

func (d *delivery) run(ctx context.Context, items []*item) {
	cfg := d.o.cfg
	// Events whose last send has an unknown outcome are looked for first, once HubSpot's
	// search has had CheckDelay to catch up.
	var doubtful, fresh, postponed []*item
	for _, it := range items {
		switch {
		case it.row.InDoubtSince.IsZero():
			fresh = append(fresh, it)
		case d.now.Before(it.row.LastAttempt.Add(cfg.CheckDelay)):
			it.row.NextAttempt = it.row.LastAttempt.Add(cfg.CheckDelay)
			postponed = append(postponed, it)
		default:
			doubtful = append(doubtful, it)
		}
	}
	d.save(ctx, postponed)
	fresh = append(fresh, d.checkDoubtful(ctx, doubtful)...)
	if d.holding() {
		d.holdAll(ctx, fresh, nil)
		return
	}

	// MaxAge ends only events that HubSpot has not got, as far as the outbox can tell: never
	// sent, sent without effect, or in doubt and just checked without being found. An event in
	// doubt whose check has not concluded (the search failed, or the connection is held) may
	// be in HubSpot, so it stays in doubt until a check concludes.
	var live, expired []*item
	for _, it := range fresh {
		if d.now.Sub(it.row.CreateTime) > cfg.MaxAge {
			reason := "not delivered within " + cfg.MaxAge.String()
			if !it.row.InDoubtSince.IsZero() {
				reason += "; a send's outcome was unknown, and HubSpot's search then found no engagement with its marker " + markerOf(it.row.ID)
			}
			if it.row.LastError != "" {
				reason += "; last error: " + it.row.LastError
			}
			d.fail(it, reason)
			expired = append(expired, it)
			continue
		}
		live = append(live, it)
	}
	d.save(ctx, expired)

	ready := d.resolveContacts(ctx, live)
	if d.holding() {
		d.holdAll(ctx, ready, nil)
		return
	}
	d.send(ctx, ready)
}

// send creates the engagements in batches, by type. Each batch takes one of the worker's
// Concurrency slots and runs on after this pass returns, so the next pass can queue its
// batches in the limiter while these are in flight.
func (d *delivery) send(ctx context.Context, items []*item) {
	slices.SortStableFunc(items, func(a, b *item) int { return cmp.Compare(a.typ, b.typ) })
	var chunks [][]*item
	for i := 0; i < len(items); {
		j := i
		for j < len(items) && j-i < d.o.cfg.BatchSize && items[j].typ == items[i].typ {
			j++
		}
		chunks = append(chunks, items[i:j])
		i = j
	}
	w := d.w
	for i, chunk := range chunks {
		w.slots <- struct{}{}
		if d.o.stopping() { // shutting down: what is not sent yet stays queued as it is
			<-w.slots
			break
		}
		if d.holding() {
			<-w.slots
			for _, rest := range chunks[i:] {
				d.holdAll(ctx, rest, nil)
			}
			break
		}
		// Recorded as possibly sent (and not due) before the next pass can read the queue.
		if !d.markSending(ctx, chunk) {
			<-w.slots
			break
		}
		w.setSending(chunk, true)
		w.inflight.Go(func() {
			d.sendMarked(ctx, chunk)
			w.setSending(chunk, false)
			<-w.slots
			w.settle(d)
			w.poke()
		})
	}
}

// sendChunk records a batch as possibly sent, then sends it.
func (d *delivery) sendChunk(ctx context.Context, chunk []*item) {
	if d.markSending(ctx, chunk) {
		d.sendMarked(ctx, chunk)
	}
}

// markSending records events as possibly sent before the request leaves, so a crash at any
// point leaves them to be checked, never blindly resent. The record is the claim: it is
// saved only while this process holds the delivery lease. It reports whether it was saved.
func (d *delivery) markSending(ctx context.Context, chunk []*item) bool {
	now := d.o.cfg.Now()
	for _, it := range chunk {
		it.prevDoubt = it.row.InDoubtSince
		it.row.Attempts++
		it.row.LastAttempt = now
		// Not due while in flight; after a crash, due when a check may look for it.
		it.row.NextAttempt = now.Add(d.o.cfg.CheckDelay)
		if it.row.InDoubtSince.IsZero() {
			it.row.InDoubtSince = now
		}
	}
	if err := d.o.claim(ctx, rows(chunk)); err != nil {
		if !errors.Is(err, store.ErrLeaseNotHeld) {
			d.o.cfg.Logger.Error("outbox: record send", "err", err)
		}
		return false // not sent; the events are still due, for whichever process delivers
	}
	return true
}

// sendMarked sends one batch create of events markSending recorded and records the outcome.
func (d *delivery) sendMarked(ctx context.Context, chunk []*item) {
	typeID, _ := chunk[0].typ.ToContactAssociationType()
	inputs := make([]hubspot.BatchCreateInput, len(chunk))
	for i, it := range chunk {
		inputs[i] = hubspot.BatchCreateInput{
			Properties:         engagementProperties(&it.ev),
			Associations:       []hubspot.AssociationInput{hubspot.AssociateTo(it.row.HubSpotContactID, typeID)},
			ObjectWriteTraceID: it.row.ID,
		}
	}
	res, err := d.client.BatchCreate(ctx, string(chunk[0].typ), inputs)
	if err != nil {
		c := classify(err)
		if c.class == classPermanent && len(chunk) > 1 {
			// A whole batch refused: send each alone so only the bad input fails.
			for _, it := range chunk {
				it.row.InDoubtSince = it.prevDoubt
				d.sendChunk(ctx, []*item{it})
			}
			return
		}
		for _, it := range chunk {
			d.apply(it, c, err)
		}
		d.save(ctx, chunk)
		return
	}
	d.markSucceeded()
	for i, out := range res.Outcomes {
		it := chunk[i]
		switch {
		case out.Err == nil && out.Object != nil:
			d.deliver(it, string(out.Object.ID))
		case errors.Is(out.Err, hubspot.ErrNoResult):
			d.apply(it, classification{class: classUnknown}, out.Err)
		default:
			if apiErr, ok := errors.AsType[*hubspot.APIError](out.Err); ok {
				d.apply(it, classifyAPIError(apiErr), out.Err)
			} else {
				d.apply(it, classification{class: classUnknown}, out.Err)
			}
		}
	}
	d.save(ctx, chunk)
}

// apply records a failed attempt on an event according to its class.
func (d *delivery) apply(it *item, c classification, err error) {
	switch c.class {
	case classPermanent:
		it.row.InDoubtSince = it.prevDoubt
		d.fail(it, reasonOf(err))
	case classHold:
		it.row.InDoubtSince = it.prevDoubt
		d.setHold(c.hold)
		d.holdOne(it)
	case classRetry:
		it.row.InDoubtSince = it.prevDoubt
		d.retry(it, reasonOf(err), c.retryAt)
	default:
		d.retry(it, "outcome unknown, will check HubSpot before resending: "+reasonOf(err),
			d.o.cfg.Now().Add(d.o.cfg.CheckDelay))
	}
}

func (d *delivery) deliver(it *item, objectID string) {
	it.row.Status = store.OutboxDelivered
	it.row.HubSpotObjectType = string(it.typ)
	it.row.HubSpotObjectID = objectID
	it.row.LastError = ""
	it.row.DeliverTime = d.o.cfg.Now().UTC()
}

func (d *delivery) fail(it *item, reason string) {
	it.row.Status = store.OutboxFailed
	it.row.LastError = reason
	it.row.DeliverTime = d.o.cfg.Now().UTC()
}

// retry schedules the next attempt with exponential backoff and jitter, not before notBefore.
func (d *delivery) retry(it *item, reason string, notBefore time.Time) {
	cfg := d.o.cfg
	ceiling := cfg.MaxBackoff
	if shift := it.row.Attempts - 1; shift >= 0 && shift < 30 {
		if b := cfg.BaseBackoff << shift; b > 0 && b < ceiling {
			ceiling = b
		}
	}
	next := cfg.Now().Add(ceiling/2 + rand.N(ceiling/2+1)) //nolint:gosec // jitter, not a secret
	if next.Before(notBefore) {
		next = notBefore
	}
	it.row.NextAttempt = next
	it.row.LastError = reason
}

func (d *delivery) setHold(h *Health) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hold == nil {
		d.hold = h
		d.holdSince = d.o.cfg.Now()
		d.holdUntil = d.holdSince.Add(d.o.cfg.HoldRecheck)
		if !h.RetryAt.IsZero() {
			d.holdUntil = h.RetryAt
		}
	}
}

func (d *delivery) holding() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hold != nil
}

func (d *delivery) markSucceeded() {
	d.mu.Lock()
	d.succeeded = true
	d.mu.Unlock()
}

// heldPrefix begins the last error of a held event.
const heldPrefix = "held: "

// holdOne keeps an event queued until the hold ends (or a Wake releases it).
func (d *delivery) holdOne(it *item) {
	d.mu.Lock()
	until, msg := d.holdUntil, d.hold.Message
	d.mu.Unlock()
	it.row.NextAttempt = until
	it.row.LastError = heldPrefix + msg
}

// holdAll holds events (setting the hold first when h is given) and saves them.
func (d *delivery) holdAll(ctx context.Context, items []*item, h *Health) {
	if h != nil {
		d.setHold(h)
	}
	for _, it := range items {
		d.holdOne(it)
	}
	d.save(ctx, items)
}

// save writes events back and wakes whoever waits for those that are final.
func (d *delivery) save(ctx context.Context, items []*item) {
	if len(items) == 0 {
		return
	}
	saved := rows(items)
	if err := d.o.st.SaveOutboxEvents(context.WithoutCancel(ctx), saved); err != nil {
		// The events stay as last saved: at worst sent again after a check.
		d.o.cfg.Logger.Error("outbox: save delivery state", "err", err)
		return
	}
	d.o.observeSaved(saved)
	for _, it := range items {
		if it.row.Status != store.OutboxQueued {
			d.o.waiters.notify(it.row.ID)
		}
	}
}

func rows(items []*item) []store.OutboxEvent {
	out := make([]store.OutboxEvent, len(items))
	for i, it := range items {
		out[i] = it.row
	}
	return out
}
