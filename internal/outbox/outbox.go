package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/store"
)

// Clients gives the HubSpot client of a connection; *handles.Registry satisfies it. The
// client's limiter is shared with everything else the connection does, so the outbox never
// adds requests on top of the budget.
type Clients interface {
	Client(ctx context.Context, c store.Connection) (*hubspot.Client, error)
}

// ClientsFunc adapts a function to Clients.
type ClientsFunc func(ctx context.Context, c store.Connection) (*hubspot.Client, error)

// Client calls f.
func (f ClientsFunc) Client(ctx context.Context, c store.Connection) (*hubspot.Client, error) {
	return f(ctx, c)
}

// Health reasons reported while a connection's events are held.
const (
	HoldDailyLimit      = "DAILY_LIMIT_EXHAUSTED"
	HoldMissingScopes   = "MISSING_SCOPES"
	HoldInvalidToken    = "INVALID_TOKEN"
	HoldForbidden       = "FORBIDDEN"
	HoldTokenUnreadable = "TOKEN_UNREADABLE" //nolint:gosec // a reason, not a credential
)

// Health is what the outbox reports about a connection when it starts or stops holding its
// events: the service shows the connection DEGRADED with Message while Held.
type Health struct {
	Workspace      string
	Connection     string
	Held           bool
	Reason         string    // one of the Hold… constants while Held
	Message        string    // what to do, in plain words
	RequiredScopes []string  // MISSING_SCOPES: any one of these would do
	RetryAt        time.Time // DAILY_LIMIT_EXHAUSTED: when the budget resets
}

// Config configures New. Store and Clients are required; zero values take the defaults.
type Config struct {
	Store   *store.Store
	Clients Clients
	// OnHealth is called (from a worker goroutine) when a connection's events start or stop
	// being held. It must not block for long.
	OnHealth func(Health)
	// OnContactsWritten is called with the contacts the outbox created or updated for events
	// asking create_contact_if_missing, each with the updatedAt HubSpot answered, so that the
	// change feed marks their changes as written by this service (nil: not reported).
	OnContactsWritten func(ctx context.Context, workspace, connection string, ws []store.OwnWrite)
	Logger            *slog.Logger
	Now               func() time.Time
	// BatchSize is the number of engagements per batch create (default and maximum 100).
	BatchSize int
	// Concurrency is how many batches a connection's worker keeps in flight (default 8); the
	// shared limiter decides when each is sent. When a window opens on a backlog, each batch
	// still writes its outcome and marks the next one before that slot sends again, so it is
	// how fast the window's requests go out: the bench's drain sent its last window's 95
	// requests in 1.3-1.5 s with 4, 0.8-1.1 s with 8.
	Concurrency int
	// MaxAge ends retrying: an event still undelivered this long after it was accepted fails
	// (default 24 h). Held events age too. An event in doubt may be in HubSpot: it fails only
	// once a check has not found it, instead of being sent again.
	MaxAge time.Duration
	// BaseBackoff and MaxBackoff bound the exponential backoff between attempts (defaults 1 s
	// and 5 min).
	BaseBackoff, MaxBackoff time.Duration
	// CheckDelay is how long after a send with an unknown outcome the worker waits before
	// searching HubSpot for the event's marker (default 30 s). HubSpot's search is eventually
	// consistent: a new engagement reaches it only a few seconds after it was created
	// (https://developers.hubspot.com/docs/guides/api/crm/search). CheckDelay must exceed that
	// lag, or the search misses an engagement HubSpot has and the event is sent twice; after a
	// crash it counts from when the request left, so it must also cover the request's time in
	// flight.
	CheckDelay time.Duration
	// CheckSkew widens the hs_createdate window of that search, for clock skew between us and
	// HubSpot (default 10 min).
	CheckSkew time.Duration
	// HoldRecheck is how often a held connection is retried without a Wake (default 5 min).
	HoldRecheck time.Duration
	// MaxQueued caps a connection's QUEUED events (default DefaultMaxQueued): Enqueue refuses
	// more with a *QueueFullError until some are delivered or fail.
	MaxQueued int
	// Retention is how long DELIVERED and FAILED events are kept after they finished
	// (default DefaultRetention); the sweep deletes older ones every SweepInterval (default
	// 1 h), starting at Start.
	Retention, SweepInterval time.Duration
	// LeaseTTL is how long the delivery lease outlives its holder's last renewal: when the
	// delivering process dies, another process on the same database takes delivery over
	// within LeaseTTL plus LeaseInterval (default 15 s).
	LeaseTTL time.Duration
	// LeaseInterval is how often the delivering process renews the lease and looks for
	// events other processes accepted, and how often a process without the lease looks
	// whether it is free (default 2 s; at most LeaseTTL/3, so that a renewal or two may fail
	// without losing it).
	LeaseInterval time.Duration
}

// Defaults of the limits an operator may change.
const (
	DefaultMaxQueued = 10_000
	DefaultRetention = 30 * 24 * time.Hour
)

// defaultCheckDelay is Config.CheckDelay's default: ten times the few seconds HubSpot's
// search takes to see a write.
const defaultCheckDelay = 30 * time.Second

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.BatchSize <= 0 || c.BatchSize > hubspot.MaxBatchInputs {
		c.BatchSize = hubspot.MaxBatchInputs
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	def(&c.MaxAge, 24*time.Hour)
	def(&c.BaseBackoff, time.Second)
	def(&c.MaxBackoff, 5*time.Minute)
	def(&c.CheckDelay, defaultCheckDelay)
	def(&c.CheckSkew, 10*time.Minute)
	def(&c.HoldRecheck, 5*time.Minute)
	def(&c.Retention, DefaultRetention)
	def(&c.SweepInterval, time.Hour)
	if c.MaxQueued <= 0 {
		c.MaxQueued = DefaultMaxQueued
	}
	def(&c.LeaseTTL, 15*time.Second)
	def(&c.LeaseInterval, 2*time.Second)
	c.LeaseInterval = min(c.LeaseInterval, c.LeaseTTL/3)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Outbox accepts timeline events durably and delivers each to HubSpot at least once, and at
// most once up to HubSpot's search lag (doc.go; the guarantee in full is in docs/outbox.md). It is safe for concurrent use.
type Outbox struct {
	cfg     Config
	st      *store.Store
	waiters notifier

	mu      sync.Mutex
	workers map[connKey]*worker
	started bool
	closing bool
	stop    chan struct{} // closed by Close: finish the current batches, start no new ones
	wg      sync.WaitGroup
	// workCtx bounds every HubSpot call; Close cancels it when its own deadline passes.
	workCtx    context.Context
	cancelWork context.CancelFunc

	owner        string        // this process's id in the delivery lease (lease.go)
	leased       bool          // guarded by mu: this process holds the delivery lease
	leaseChecked bool          // guarded by mu: the lease has been looked at once
	leaseDone    chan struct{} // closed when keepLease returns; nil before Start

	onSaved savedObserver // nil except in tests (observe.go)
}

type connKey struct{ workspace, connection string }

// New builds an outbox. Call Start to resume delivery of what earlier runs left queued.
func New(cfg Config) (*Outbox, error) {
	if cfg.Store == nil || cfg.Clients == nil {
		return nil, errors.New("outbox: Store and Clients are required")
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Outbox{cfg: cfg, st: cfg.Store, workers: map[connKey]*worker{}, stop: make(chan struct{}),
		workCtx: ctx, cancelWork: cancel, waiters: notifier{waiting: map[string][]chan struct{}{}}, owner: newOwnerID()}, nil
}

// Start takes the delivery lease, or waits for it in the background when another process
// on the database holds it (logged once). Holding it, it starts a worker for every
// connection with queued events, including events a crashed run had sent without recording
// the answer (they are checked before being sent again).
func (o *Outbox) Start(ctx context.Context) error {
	o.mu.Lock()
	if o.started || o.closing {
		o.mu.Unlock()
		return nil
	}
	o.started = true
	o.leaseDone = make(chan struct{})
	// Every process sweeps finished events, holding the lease or not: a sweep is short
	// chunked deletes, harmless twice.
	o.wg.Add(1)
	o.mu.Unlock()
	go o.sweepFinished()
	err := o.checkLease(ctx)
	go o.keepLease()
	return err
}

// Enqueue validates ev and commits it, QUEUED, before returning it with its id: from then on
// it will reach HubSpot (or fail with a reason). An event whose (connection, RequestID) was
// already enqueued is not enqueued again; the first one is returned, in its current state.
func (o *Outbox) Enqueue(ctx context.Context, ev Event) (Event, error) {
	if err := o.Validate(&ev); err != nil {
		return Event{}, err
	}
	o.mu.Lock()
	closing := o.closing
	o.mu.Unlock()
	if closing {
		return Event{}, ErrClosed
	}
	body, err := json.Marshal(payloadOf(&ev))
	if err != nil {
		return Event{}, fmt.Errorf("outbox: encode event: %w", err)
	}
	now := o.cfg.Now().UTC()
	row := store.OutboxEvent{Workspace: ev.Workspace, ConnectionID: ev.Connection, ID: newEventID(),
		RequestID: ev.RequestID, Kind: string(ev.Kind), Payload: body, Status: store.OutboxQueued,
		NextAttempt: now, CreateTime: now}
	got, inserted, err := o.st.InsertOutboxEvent(ctx, &row, o.cfg.MaxQueued)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Event{}, fmt.Errorf("%w: connection %s of workspace %s", ErrNotFound, ev.Connection, ev.Workspace)
	case errors.Is(err, store.ErrQueueFull):
		return Event{}, &QueueFullError{Workspace: ev.Workspace, Connection: ev.Connection, Limit: o.cfg.MaxQueued}
	}
	if err != nil {
		return Event{}, fmt.Errorf("outbox: enqueue: %w", err)
	}
	if inserted {
		o.wake(ev.Workspace, ev.Connection, false)
	}
	return eventOf(got)
}

// Validate checks an event as Enqueue does, without enqueueing it: a *ValidationError
// (errors.Is ErrInvalidEvent) names the first field that is wrong. Call it before doing any
// other work on a caller's event.
func (o *Outbox) Validate(ev *Event) error { return ev.validate(o.cfg.Now()) }

// Get returns one event of a connection.
func (o *Outbox) Get(ctx context.Context, workspace, connection, id string) (Event, error) {
	row, err := o.st.GetOutboxEvent(ctx, workspace, connection, id)
	if errors.Is(err, store.ErrNotFound) {
		return Event{}, fmt.Errorf("%w: event %s", ErrNotFound, id)
	}
	if err != nil {
		return Event{}, err
	}
	return eventOf(row)
}

// WaitDelivered returns the event once it is DELIVERED or FAILED, or ctx's error (with
// the event as last read) when ctx ends first.
func (o *Outbox) WaitDelivered(ctx context.Context, workspace, connection, id string) (Event, error) {
	for {
		ch, cancel := o.waiters.wait(id)
		ev, err := o.Get(ctx, workspace, connection, id)
		if err != nil || ev.Status != StatusQueued {
			cancel()
			return ev, err
		}
		// Poll now and then too: a notification can be missed if another process delivered it.
		timer := time.NewTimer(2 * time.Second)
		select {
		case <-ch:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			cancel()
			return ev, ctx.Err()
		}
		timer.Stop()
		cancel()
	}
}

// Wake makes a connection's worker look for work now and retry held events: call it after
// UpdateCredentials, after the daily budget has reset, or whenever the connection's health
// may have changed. It starts the worker if there is none. In a process without the
// delivery lease it makes the held events due now, where the delivering process finds them.
func (o *Outbox) Wake(workspace, connection string) {
	if !o.wake(workspace, connection, true) {
		return
	}
	if err := o.st.RescheduleOutboxEvents(o.workCtx, workspace, connection, o.cfg.Now()); err != nil {
		o.cfg.Logger.Error("outbox: release held events", "workspace", workspace, "connection", connection, "err", err)
	}
}

// wake starts or pokes the connection's worker. It reports standby: the outbox runs but
// another process holds the delivery lease, so nothing was started.
func (o *Outbox) wake(workspace, connection string, release bool) (standby bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closing || !o.started {
		return false
	}
	if !o.leased {
		return true
	}
	k := connKey{workspace, connection}
	w, ok := o.workers[k]
	if !ok {
		w = &worker{o: o, key: k, signal: make(chan struct{}, 1), slots: make(chan struct{}, o.cfg.Concurrency),
			sending: map[int64]bool{}}
		o.workers[k] = w
		o.wg.Add(1)
		go w.run()
	}
	w.pending = true
	w.release = w.release || release
	select {
	case w.signal <- struct{}{}:
	default:
	}
	return false
}

// Close stops taking new work, lets the batches in flight finish and records their outcome,
// releases the delivery lease, and returns. When ctx ends first, in-flight calls are
// cancelled: their events stay queued and, since their outcome is unknown, are checked for
// before being sent again by whichever process delivers next.
func (o *Outbox) Close(ctx context.Context) error {
	o.mu.Lock()
	if !o.closing {
		o.closing = true
		close(o.stop)
	}
	leaseDone := o.leaseDone
	o.mu.Unlock()
	done := make(chan struct{})
	go func() {
		o.wg.Wait()
		if leaseDone != nil {
			<-leaseDone
		}
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		o.cancelWork()
		<-done
		err = ctx.Err()
	}
	o.cancelWork()
	o.releaseLease(ctx)
	return err
}

func (o *Outbox) stopping() bool {
	select {
	case <-o.stop:
		return true
	default:
		return false
	}
}

// eventOf turns a stored row into an Event.
func eventOf(r store.OutboxEvent) (Event, error) {
	var p payload
	if err := json.Unmarshal(r.Payload, &p); err != nil {
		return Event{}, fmt.Errorf("outbox: event %s: decode: %w", r.ID, err)
	}
	ev := Event{Workspace: r.Workspace, Connection: r.ConnectionID, RequestID: r.RequestID, Kind: Kind(r.Kind),
		ID: r.ID, Status: Status(r.Status), Attempts: r.Attempts, LastError: r.LastError,
		HubSpotObjectType: r.HubSpotObjectType, HubSpotObjectID: r.HubSpotObjectID,
		HubSpotContactID: r.HubSpotContactID, CreateTime: r.CreateTime, DeliverTime: r.DeliverTime}
	p.applyTo(&ev)
	return ev, nil
}

// newEventID returns 96 random bits in hex: unguessable and, as the marker, unique in HubSpot.
func newEventID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
