package changes

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/store/storetest"
)

// hub is an in-memory Notifier: it hands every notification to the feeds and processors
// joined to it, synchronously (they only signal), and records the inbox news.
type hub struct {
	mu      sync.Mutex
	feeds   []*Feed
	inboxes []*Processor
	news    []InboxNews
}

var _ Notifier = (*hub)(nil)

func (h *hub) join(f *Feed, p *Processor) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.feeds = append(h.feeds, f)
	if p != nil {
		h.inboxes = append(h.inboxes, p)
	}
}

func (h *hub) NotifyChanges(_ context.Context, uid string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.feeds {
		f.Notified(uid)
	}
	return nil
}

func (h *hub) NotifyInbox(_ context.Context, news InboxNews) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.news = append(h.news, news)
	for _, p := range h.inboxes {
		p.Notified(news)
	}
	return nil
}

func (h *hub) sent() []InboxNews {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]InboxNews(nil), h.news...)
}

// TestWatchersOfOtherFeedsWake: an Ingest on one feed wakes the watchers of that connection
// on every feed sharing its notifier, and no other; without a notifier only its own.
func TestWatchersOfOtherFeedsWake(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		notifier bool
		want     map[string]bool
	}{
		{"a shared notifier", true, map[string]bool{"A uid1": true, "A uid2": false, "B uid1": true, "B uid2": false}},
		{"no notifier: one process", false, map[string]bool{"A uid1": true, "A uid2": false, "B uid1": false, "B uid2": false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, st, _ := newFeed(t, storetest.SQLite)
			b := NewFeed(st, a.logger)
			if tc.notifier {
				h := &hub{}
				a.WithNotifier(h)
				b.WithNotifier(h)
				h.join(a, nil)
				h.join(b, nil)
			}
			watchers := map[string]<-chan struct{}{"A uid1": a.Wake("uid1"), "A uid2": a.Wake("uid2"), "B uid1": b.Wake("uid1"), "B uid2": b.Wake("uid2")}
			if _, err := a.Ingest(context.Background(), "uid1", []Detected{update("1", t0, nil)}, nil); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, woken(watchers)); d != "" {
				t.Errorf("watchers woken (-want +got):\n%s", d)
			}
		})
	}
}

// TestWakeAll: every watcher wakes, of every connection.
func TestWakeAll(t *testing.T) {
	t.Parallel()
	f, _, _ := newFeed(t, storetest.SQLite)
	watchers := map[string]<-chan struct{}{"uid1": f.Wake("uid1"), "uid2": f.Wake("uid2")}
	f.WakeAll()
	if d := cmp.Diff(map[string]bool{"uid1": true, "uid2": true}, woken(watchers)); d != "" {
		t.Errorf("watchers woken (-want +got):\n%s", d)
	}
}

func woken(watchers map[string]<-chan struct{}) map[string]bool {
	out := map[string]bool{}
	for name, w := range watchers {
		select {
		case <-w:
			out[name] = true
		default:
			out[name] = false
		}
	}
	return out
}

// drained is one pass of a replica over a connection's inbox events.
type drained struct {
	Replica string
	Events  int
}

// drainLog records which replica stored inbox events as changes.
type drainLog struct {
	mu  sync.Mutex
	log []drained
}

func (l *drainLog) get() []drained {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]drained(nil), l.log...)
}

// replicaStore is the shared store as one replica sees it: its ingests of inbox events are
// logged, and every connection uid exists (the processor only needs its app id, 0 here).
type replicaStore struct {
	*store.Store
	replica string
	log     *drainLog
}

func (r replicaStore) IngestChanges(ctx context.Context, uid string, cs []store.Change, inboxIDs []int64) (int, error) {
	n, err := r.Store.IngestChanges(ctx, uid, cs, inboxIDs)
	if err == nil && len(inboxIDs) > 0 {
		r.log.mu.Lock()
		r.log.log = append(r.log.log, drained{r.replica, len(inboxIDs)})
		r.log.mu.Unlock()
	}
	return n, err
}

func (r replicaStore) ConnectionByUID(_ context.Context, uid string) (store.Connection, error) {
	return store.Connection{UID: uid}, nil
}

// replicas are processes sharing one store and one hub.
type replicas struct {
	st  *store.Store
	hub *hub
	log *drainLog
}

func newReplicas(t *testing.T) *replicas {
	_, st, _ := newFeed(t, storetest.SQLite)
	return &replicas{st: st, hub: &hub{}, log: &drainLog{}}
}

// start returns replica name's feed and processor, sharing the store's inbox.
func (r *replicas) start(name string) (*Feed, *Processor) {
	rs := replicaStore{Store: r.st, replica: name, log: r.log}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := NewFeed(rs, logger).WithNotifier(r.hub)
	p := NewProcessor(f, rs, nil, logger).Shared(Sharing{Leases: r.st, Notifier: r.hub})
	r.hub.join(f, p)
	return f, p
}

// accept stores n webhook events of the connection uid in the inbox, as the webhook endpoint
// of any replica does.
func (r *replicas) accept(t *testing.T, uid string, n int) {
	t.Helper()
	events := make([]store.InboxEvent, n)
	for i := range events {
		events[i] = store.InboxEvent{ConnectionUID: uid, Received: t0, Event: fmt.Appendf(nil,
			`{"portalId":1,"occurredAt":%d,"objectId":%d,"subscriptionType":"contact.creation"}`, t0.UnixMilli(), 100+len(r.log.get())*10+i)}
	}
	if err := r.st.AddToInbox(context.Background(), events); err != nil {
		t.Fatal(err)
	}
}

// run runs p until the returned stop is called, which waits for Run to end.
func run(p *Processor) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// waitWoken waits for a watcher, or fails the test when it ends first.
func waitWoken(t *testing.T, w <-chan struct{}, what string) {
	t.Helper()
	ctx := t.Context()
	if deadline, ok := t.Deadline(); ok { // fail with a message, not a panic, if it never comes
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-5*time.Second))
		defer cancel()
	}
	select {
	case <-w:
	case <-ctx.Done():
		t.Fatalf("%s: never woken", what)
	}
}

// TestWebhooksOfAnyReplicaDrainedByTheHolder: events accepted by a replica that does not hold
// the inbox lease are turned into changes by the one that does, and a watcher on the accepting
// replica sees them; when the holder stops, the other takes over at once.
func TestWebhooksOfAnyReplicaDrainedByTheHolder(t *testing.T) {
	t.Parallel()
	r := newReplicas(t)
	_, a := r.start("A")
	feedB, b := r.start("B")
	// A holds the lease from the start, whichever replica's Run looks first.
	if _, err := r.st.AcquireLease(context.Background(), InboxLease, a.owner, time.Now(), DefaultInboxLeaseTTL); err != nil {
		t.Fatal(err)
	}
	stopA := run(a)
	stopB := run(b)
	defer stopB()

	w := feedB.Wake("uid1")
	r.accept(t, "uid1", 2)
	b.Kick()
	waitWoken(t, w, "a watcher on B, after B accepted events")
	if d := cmp.Diff([]drained{{"A", 2}}, r.log.get()); d != "" {
		t.Fatalf("passes (-want +got):\n%s", d)
	}

	stopA() // releases the lease and tells B
	w = feedB.Wake("uid1")
	r.accept(t, "uid1", 1)
	b.Kick()
	waitWoken(t, w, "a watcher on B, after A stopped")
	if d := cmp.Diff([]drained{{"A", 2}, {"B", 1}}, r.log.get()); d != "" {
		t.Errorf("passes (-want +got):\n%s", d)
	}
	if d := cmp.Diff(InboxEventsAdded, r.hub.sent()[0]); d != "" {
		t.Errorf("first inbox news (-want +got):\n%s", d)
	}
}

// TestInboxLeaseSteps: the inbox lease step by step, on clocks the test moves: the holder
// renews it past half its TTL, the others leave the inbox to it and tell it of their events,
// and a holder that dies without releasing it is replaced once it expires, not before.
func TestInboxLeaseSteps(t *testing.T) {
	t.Parallel()
	r := newReplicas(t)
	start := time.Now()
	at := start
	clock := func() time.Time { return at }
	procs := map[string]*Processor{}
	for _, name := range []string{"A", "B"} {
		_, p := r.start(name)
		p.now = clock
		procs[name] = p
	}
	ttl := DefaultInboxLeaseTTL
	for _, tc := range []struct {
		name     string
		at       time.Duration // since start
		accept   int           // events accepted before the step
		replica  string
		why      passReason
		wantHeld bool
		drained  []drained   // since the start
		news     []InboxNews // since the start
	}{
		{"A starts: it takes the free lease", 0, 0, "A", passStart, true, nil, nil},
		{"B starts: A holds the lease", 0, 0, "B", passStart, false, nil, nil},
		{"B accepts webhooks: it tells the holder and drains nothing", 0, 2, "B", passKicked, false, nil,
			[]InboxNews{InboxEventsAdded}},
		{"A hears it and drains", 0, 0, "A", passHeard, true, []drained{{"A", 2}}, []InboxNews{InboxEventsAdded}},
		{"A accepts webhooks past half its lease: it renews and drains", ttl * 2 / 3, 1, "A", passKicked, true,
			[]drained{{"A", 2}, {"A", 1}}, []InboxNews{InboxEventsAdded}},
		{"B looks after A's first lease would have expired: A renewed it", ttl + time.Second, 0, "B", passTakeOver, false,
			[]drained{{"A", 2}, {"A", 1}}, []InboxNews{InboxEventsAdded}},
		{"A has died; B accepts webhooks and tells nobody that listens", ttl + time.Second, 1, "B", passKicked, false,
			[]drained{{"A", 2}, {"A", 1}}, []InboxNews{InboxEventsAdded, InboxEventsAdded}},
		{"B looks just before A's renewed lease expires", ttl*5/3 - time.Millisecond, 0, "B", passTakeOver, false,
			[]drained{{"A", 2}, {"A", 1}}, []InboxNews{InboxEventsAdded, InboxEventsAdded}},
		{"B looks when it expires: B takes it and drains", ttl * 5 / 3, 0, "B", passTakeOver, true,
			[]drained{{"A", 2}, {"A", 1}, {"B", 1}}, []InboxNews{InboxEventsAdded, InboxEventsAdded}},
	} {
		at = start.Add(tc.at)
		if tc.accept > 0 {
			r.accept(t, "uid1", tc.accept)
		}
		p := procs[tc.replica]
		if err := p.step(context.Background(), tc.why); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.held != tc.wantHeld {
			t.Errorf("%s: %s holds the lease: %v, want %v", tc.name, tc.replica, p.held, tc.wantHeld)
		}
		if d := cmp.Diff(tc.drained, r.log.get()); d != "" {
			t.Errorf("%s: passes (-want +got):\n%s", tc.name, d)
		}
		if d := cmp.Diff(tc.news, r.hub.sent()); d != "" {
			t.Errorf("%s: inbox news (-want +got):\n%s", tc.name, d)
		}
	}
	// B stops: the lease is free at once, and the others are told.
	procs["B"].releaseLease(context.Background())
	if d := cmp.Diff(InboxLeaseFreed, r.hub.sent()[2]); d != "" {
		t.Errorf("news at B's stop (-want +got):\n%s", d)
	}
	l, err := r.st.AcquireLease(context.Background(), InboxLease, "C", at, ttl)
	if err != nil || !l.HeldBy("C", at) {
		t.Errorf("after B stopped, another process took the lease: %+v, %v; want it taken", l, err)
	}
}

// TestAloneDrainsWithoutALease: a processor that does not share its store drains at every
// Kick and never takes the lease (one process behaves as it did before replicas).
func TestAloneDrainsWithoutALease(t *testing.T) {
	t.Parallel()
	r := newReplicas(t)
	rs := replicaStore{Store: r.st, replica: "alone", log: r.log}
	f := NewFeed(rs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	p := NewProcessor(f, rs, nil, f.logger)
	r.accept(t, "uid1", 3)
	if err := p.step(context.Background(), passKicked); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]drained{{"alone", 3}}, r.log.get()); d != "" {
		t.Errorf("passes (-want +got):\n%s", d)
	}
	now := time.Now()
	l, err := r.st.AcquireLease(context.Background(), InboxLease, "other", now, time.Minute)
	if err != nil || !l.HeldBy("other", now) {
		t.Errorf("the lease after a lone processor's pass: %+v, %v; want it free", l, err)
	}
}
