package upsert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
)

// Sender is what the batcher needs of the connection's *hubspot.Client.
type Sender interface {
	Limiter() *hubspot.Limiter
	BatchUpsert(ctx context.Context, objectType string, inputs []hubspot.BatchUpsertInput) (*hubspot.BatchResult, error)
	BatchUpsertWithPermit(ctx context.Context, objectType string, inputs []hubspot.BatchUpsertInput, p *hubspot.Permit) (*hubspot.BatchResult, error)
}

var _ Sender = (*hubspot.Client)(nil)

// MaxBulk is the most contacts one UpsertMany call takes.
const MaxBulk = 1000

// batchOperation names the HubSpot call in errors the batcher makes itself.
const batchOperation = "POST /crm/v3/objects/{objectType}/batch/upsert"

var (
	// ErrClosed: the batcher is closed (the connection is going away).
	ErrClosed = errors.New("upsert: batcher is closed")
	// ErrInvalidContact: the call was rejected before queueing (no email,
	// a properties.email that differs from it, or too many contacts).
	ErrInvalidContact = errors.New("upsert: invalid contact")
	// ErrQueueFull: Config.MaxQueue callers are already waiting.
	ErrQueueFull = errors.New("upsert: too many upserts queued for this connection")
	// ErrOutcomeUnknown: the caller's context ended while its batch was on
	// the wire; the write may or may not be applied. It is returned joined
	// with the context's error.
	ErrOutcomeUnknown = errors.New("upsert: the call ended while its batch was in flight; the write may still be applied")
)

// Config tunes a Batcher. Zero values take the defaults.
type Config struct {
	// Linger is how long the oldest queued caller waits for company before
	// the batcher asks for a slot (a full batch asks at once, a partial one
	// also waits for its pace); default 20 ms:
	// enough for a burst of callers to gather, small beside a HubSpot round trip.
	// Once it has asked, the batch keeps filling until the slot is granted.
	Linger time.Duration
	// MaxBatch is the most contacts per request; default and maximum
	// hubspot.MaxBatchInputs (100).
	MaxBatch int
	// MaxQueue bounds the callers waiting to be sent; default 50,000.
	MaxQueue int
	// ClockSkew is how far HubSpot's clock may lag ours beyond the request's
	// one-way latency, when Created is inferred after a retry (see the
	// package doc); default 0. A larger value risks reporting Created for a
	// contact created that long before this call.
	ClockSkew time.Duration
	// Logger gets one debug line per batch; nil discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Linger <= 0 {
		c.Linger = 20 * time.Millisecond
	}
	if c.MaxBatch <= 0 || c.MaxBatch > hubspot.MaxBatchInputs {
		c.MaxBatch = hubspot.MaxBatchInputs
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = 50_000
	}
	c.ClockSkew = max(c.ClockSkew, 0)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Result is one upsert's outcome.
type Result struct {
	ID      string // the contact's HubSpot id
	Created bool   // true when this call created the contact (see the package doc)
	// UpdatedAt is the contact's updatedAt in HubSpot's answer: the time HubSpot gave the
	// write (its changes carry it); zero when HubSpot did not say.
	UpdatedAt time.Time
}

// Contact is one input of UpsertMany.
type Contact struct {
	Email      string
	Properties map[string]string
}

// ItemResult is one contact's outcome in UpsertMany.
type ItemResult struct {
	Result
	Err error
}

// Stats is a snapshot for metrics.
type Stats struct {
	Accepted         uint64 // callers queued since the batcher started
	Queued           int    // callers waiting to be sent
	Callers          int    // callers (hubspot.CallerFrom) those upserts are made for; each gets its share of every batch
	InFlightBatches  int    // batch requests on the wire (isolation re-sends included)
	InFlightContacts int    // contacts in those requests
	BatchesSent      uint64 // batch requests made (isolation re-sends included; not client retries)
	ContactsSent     uint64 // contacts in those requests
	Isolations       uint64 // batches HubSpot rejected as a whole that were split
}

// AverageBatchSize is ContactsSent / BatchesSent (0 before the first batch).
func (s Stats) AverageBatchSize() float64 {
	if s.BatchesSent == 0 {
		return 0
	}
	return float64(s.ContactsSent) / float64(s.BatchesSent)
}

// Batcher coalesces one connection's upserts. It is safe for concurrent use.
type Batcher struct {
	sender  Sender
	limiter *hubspot.Limiter
	cfg     Config

	mu             sync.Mutex
	lines          map[string]*callerLine // per caller, its queued items (see callerLine)
	turns          []*callerLine          // the same lines, in the order the next batch serves them
	live           int                    // pending items
	pendingByEmail map[string][]*item     // pending items per email, in arrival order
	inflight       map[string]int         // emails in batches on the wire
	cancelAcquire  context.CancelFunc
	closing        bool
	lastAsk        time.Time // when the dispatcher last asked the limiter for a slot
	lastAnswered   time.Time // when a batch's callers last had their answers
	othersSeen     time.Time // when the connection's other callers last held a slot of the window (see leaveSlotsToOthersLocked)
	stats          Stats

	wake    chan struct{} // nudges the dispatcher; room for one signal
	stopped chan struct{} // closed when the dispatcher returns
	sending sync.WaitGroup
	close   sync.Once

	onQueueChange func() // nil except in tests (observe.go)
}

// New starts a batcher for one connection's client.
func New(sender Sender, cfg Config) *Batcher {
	b := &Batcher{
		sender:         sender,
		limiter:        sender.Limiter(),
		cfg:            cfg.withDefaults(),
		lines:          map[string]*callerLine{},
		pendingByEmail: map[string][]*item{},
		inflight:       map[string]int{},
		wake:           make(chan struct{}, 1),
		stopped:        make(chan struct{}),
	}
	go b.dispatch()
	return b
}

// Upsert creates or updates the contact with this email (already trimmed
// and lower-cased) and returns its id and whether it was created. props
// hold HubSpot's string forms, already validated.
func (b *Batcher) Upsert(ctx context.Context, email string, props map[string]string) (Result, error) {
	if err := CheckContact(email, props); err != nil {
		return Result{}, err
	}
	items, err := b.enqueue(ctx, []Contact{{Email: email, Properties: props}})
	if err != nil {
		return Result{}, err
	}
	return b.await(ctx, items[0])
}

// UpsertMany upserts up to MaxBulk contacts and returns one outcome per
// contact, in order. The error is for the call as a whole (too many
// contacts, batcher closed); per-contact failures are in the results.
func (b *Batcher) UpsertMany(ctx context.Context, contacts []Contact) ([]ItemResult, error) {
	if len(contacts) > MaxBulk {
		return nil, fmt.Errorf("%w: %d contacts in one call, at most %d", ErrInvalidContact, len(contacts), MaxBulk)
	}
	out := make([]ItemResult, len(contacts))
	valid := make([]Contact, 0, len(contacts))
	index := make([]int, 0, len(contacts))
	for i, c := range contacts {
		if err := CheckContact(c.Email, c.Properties); err != nil {
			out[i].Err = err
			continue
		}
		valid = append(valid, c)
		index = append(index, i)
	}
	if len(valid) == 0 {
		return out, nil
	}
	items, err := b.enqueue(ctx, valid)
	if err != nil {
		return nil, err
	}
	for j, it := range items {
		res, err := b.await(ctx, it)
		out[index[j]] = ItemResult{Result: res, Err: err}
	}
	return out, nil
}

// ContactError is a contact the batcher refuses before queueing: Field is "email" or
// "properties.email", Message says what is wrong. It matches ErrInvalidContact.
type ContactError struct {
	Field   string
	Message string
}

func (e *ContactError) Error() string { return "upsert: invalid contact: " + e.Field + " " + e.Message }

// Is makes a ContactError match ErrInvalidContact.
func (e *ContactError) Is(target error) bool { return target == ErrInvalidContact }

// CheckContact is the rule of a contact to upsert: it has an email, and an email among its
// properties is that email (trimmed, in any case), since the email identifies the contact and
// an upsert cannot change it. The email's format is fields.NormalizeEmail's, applied by the
// caller before (the service does); what HubSpot still refuses comes back as its own error.
// Upsert and UpsertMany apply it to every contact; the service calls it to report the problem
// before any other work.
func CheckContact(email string, props map[string]string) error {
	if strings.TrimSpace(email) == "" {
		return &ContactError{Field: "email", Message: "is required: the contact's email, e.g. ada@example.com"}
	}
	if v, ok := props["email"]; ok && !strings.EqualFold(strings.TrimSpace(v), email) {
		return &ContactError{Field: "properties.email", Message: "differs from the contact's email; the email identifies the contact and cannot be changed by an upsert"}
	}
	return nil
}

// Stats returns a snapshot of the queue and the batches sent.
func (b *Batcher) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Queued = b.live
	s.Callers = len(b.lines)
	return s
}

// Close stops accepting upserts, sends everything queued (callers' own
// deadlines still apply) and waits for every batch in flight to finish.
func (b *Batcher) Close() {
	b.close.Do(func() {
		b.mu.Lock()
		b.closing = true
		b.mu.Unlock()
		b.nudge()
	})
	<-b.stopped
	b.sending.Wait()
}

func (b *Batcher) nudge() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}
