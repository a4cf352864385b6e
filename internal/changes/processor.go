package changes

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/connectflo/integrations/internal/store"
)

// InboxStore is what the processor reads and what it resolves events against.
type InboxStore interface {
	InboxEvents(ctx context.Context, limit int) ([]store.InboxEvent, error)
	ConnectionByUID(ctx context.Context, uid string) (store.Connection, error)
	LastDisplayNames(ctx context.Context, uid, objectType string, ids []string) (map[string]string, error)
}

// NameReader reads the display names of records of a connection from HubSpot (through the
// connection's client, so within its budget); records it cannot read are left out.
type NameReader func(ctx context.Context, conn store.Connection, objectType string, ids []string) (map[string]string, error)

// inboxBatch is how many inbox events one pass turns into changes.
const inboxBatch = 200

// retryAfter is how long the processor waits after a failed pass before the next.
const retryAfter = 5 * time.Second

// Processor turns accepted webhook events (the inbox) into changes. Each pass stores a
// connection's events and deletes them from the inbox in one transaction: a crash in between
// redoes the pass, and the dedup keys make that harmless.
//
// Alone on its store, a processor drains the inbox at every Kick. Sharing the store with
// other processes (Shared), it drains only while it holds InboxLease (see lease.go).
type Processor struct {
	feed   *Feed
	store  InboxStore
	names  NameReader
	logger *slog.Logger
	kick   chan struct{} // this process added events to the inbox
	heard  chan struct{} // another process added events: a pass if this one holds the lease
	free   chan struct{} // the lease may be free (released, or notifications missed): try it

	// Set by Shared; leases nil is a processor alone on its store.
	leases   Leases
	notifier Notifier
	ttl      time.Duration
	owner    string
	now      func() time.Time // lease times: wall-clock, compared between processes

	// Run's goroutine only: whether this process holds the lease, and until when.
	held   bool
	expire time.Time
	looked bool // the lease was read once (the first answer is logged)
}

// NewProcessor returns a processor storing into feed.
func NewProcessor(feed *Feed, st InboxStore, names NameReader, logger *slog.Logger) *Processor {
	return &Processor{feed: feed, store: st, names: names, logger: logger, kick: make(chan struct{}, 1),
		heard: make(chan struct{}, 1), free: make(chan struct{}, 1), now: time.Now}
}

// signal sends on a channel of capacity 1 without waiting: one pending signal covers every
// event that came before it.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Kick asks for a pass soon, after this process added events to the inbox. A processor that
// does not hold the inbox lease tells the holder instead.
func (p *Processor) Kick() { signal(p.kick) }

// Notified is told what another process (or this one, through the notifier) said about the
// inbox: added events make the lease holder pass; a freed lease, or news it does not know,
// makes every process try to take it.
func (p *Processor) Notified(news InboxNews) {
	if news == InboxEventsAdded {
		signal(p.heard)
		return
	}
	signal(p.free)
}

// Resync is for when notifications may have been missed (a listener reconnected): the
// processor takes the lease if it is free, and passes if it holds it.
func (p *Processor) Resync() { signal(p.free) }

// why a pass is asked for.
type passReason int

const (
	passStart    passReason = iota // Run starts: events left by a previous process
	passKicked                     // this process added events
	passHeard                      // another process added events
	passTakeOver                   // the lease may be free, or is due for renewal
)

// Run processes the inbox until ctx ends: once at start (events left by a previous process),
// then at every Kick, and again after a failed pass. Sharing the store, it also renews or
// tries to take the lease every third of its TTL, passing each time it holds it (which finds
// the events of a notification that was lost), and releases the lease when ctx ends.
func (p *Processor) Run(ctx context.Context) {
	defer p.releaseLease(ctx)
	var renew <-chan time.Time
	if p.leases != nil {
		tick := time.NewTicker(max(p.ttl/3, time.Millisecond))
		defer tick.Stop()
		renew = tick.C
	}
	why := passStart
	for {
		err := p.step(ctx, why)
		var retry <-chan time.Time
		if err != nil && ctx.Err() == nil {
			p.logger.Warn("process webhook events; retrying", "err", err, "after", retryAfter.String())
			retry = time.After(retryAfter)
		}
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
			why = passKicked
		case <-p.heard:
			why = passHeard
		case <-p.free:
			why = passTakeOver
		case <-renew:
			why = passTakeOver
		case <-retry: // the same step again
		}
	}
}

// step does what why asks: a pass when this process drains the inbox, a notification to the
// holder when it does not and added events itself.
func (p *Processor) step(ctx context.Context, why passReason) error {
	if p.leases == nil {
		return p.drain(ctx)
	}
	held, err := p.holds(ctx, why == passStart || why == passTakeOver)
	switch {
	case err != nil:
		return err
	case held:
		return p.drain(ctx)
	case why == passKicked && p.notifier != nil:
		return p.notifier.NotifyInbox(ctx, InboxEventsAdded)
	}
	return nil
}

// drain processes the inbox until it is empty.
func (p *Processor) drain(ctx context.Context) error {
	for {
		if p.leases != nil {
			// A pass can outlast a lease: it is renewed, or the pass stops, before each batch.
			if held, err := p.holds(ctx, false); err != nil || !held {
				return err
			}
		}
		events, err := p.store.InboxEvents(ctx, inboxBatch)
		if err != nil || len(events) == 0 {
			return err
		}
		byConn := map[string][]store.InboxEvent{}
		var order []string
		for _, e := range events {
			if _, ok := byConn[e.ConnectionUID]; !ok {
				order = append(order, e.ConnectionUID)
			}
			byConn[e.ConnectionUID] = append(byConn[e.ConnectionUID], e)
		}
		for _, uid := range order {
			if err := p.process(ctx, uid, byConn[uid]); err != nil {
				return err
			}
		}
	}
}

// process stores one connection's inbox events as changes.
func (p *Processor) process(ctx context.Context, uid string, events []store.InboxEvent) error {
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	conn, err := p.store.ConnectionByUID(ctx, uid)
	if errors.Is(err, store.ErrNotFound) { // deleted since: its events go with it
		_, err := p.feed.Ingest(ctx, uid, nil, ids)
		return err
	}
	if err != nil {
		return err
	}
	var ds []Detected
	for _, e := range events {
		var ev Event
		if err := json.Unmarshal(e.Event, &ev); err != nil {
			continue // accepted events were parsed before they were stored
		}
		if d, ok := ev.Detect(conn.AppID); ok {
			ds = append(ds, d)
		}
	}
	p.fillNames(ctx, conn, ds)
	_, err = p.feed.Ingest(ctx, uid, ds, ids)
	return err
}

// maxNameBatch is HubSpot's batch read limit.
const maxNameBatch = 100

// nameReadWait bounds how long a pass waits to read display names from HubSpot, the wait
// for a slot of the connection's budget included (a read that cannot be granted in time
// fails at once). The change matters more than its name: past the bound the record's last
// stored name is used, so a budget kept busy by the connection's own writes delays a
// change by at most this much.
const nameReadWait = time.Second

// fillNames sets the display names of ds: read from HubSpot for records that exist, the last
// stored name for deleted ones and for those the read did not bring back in time (empty when
// the record has none).
func (p *Processor) fillNames(ctx context.Context, conn store.Connection, ds []Detected) {
	live, stored := map[string][]string{}, map[string][]string{}
	for _, d := range ds {
		if d.Kind == KindDeleted {
			stored[d.ObjectType] = appendNew(stored[d.ObjectType], d.RecordID)
		} else {
			live[d.ObjectType] = appendNew(live[d.ObjectType], d.RecordID)
		}
	}
	names := map[string]map[string]string{}
	readCtx, cancel := context.WithTimeout(ctx, nameReadWait)
	defer cancel()
	for t, ids := range live {
		names[t] = map[string]string{}
		failed := p.names == nil
		for start := 0; start < len(ids) && !failed; start += maxNameBatch {
			got, err := p.names(readCtx, conn, t, ids[start:min(start+maxNameBatch, len(ids))])
			if err != nil {
				p.logger.Warn("read the display names of changed records; using the last stored ones", "object_type", t, "err", err)
				failed = true
				break
			}
			for id, n := range got {
				names[t][id] = n
			}
		}
		if failed {
			for _, id := range ids {
				if _, ok := names[t][id]; !ok {
					stored[t] = appendNew(stored[t], id)
				}
			}
		}
	}
	for t, ids := range stored {
		got, err := p.store.LastDisplayNames(ctx, conn.UID, t, ids)
		if err != nil {
			p.logger.Warn("read the last stored display names of changed records", "object_type", t, "err", err)
			continue
		}
		if names[t] == nil {
			names[t] = map[string]string{}
		}
		for id, n := range got {
			if _, ok := names[t][id]; !ok {
				names[t][id] = n
			}
		}
	}
	for i := range ds {
		ds[i].DisplayName = names[ds[i].ObjectType][ds[i].RecordID]
	}
}

func appendNew(ids []string, id string) []string {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}
