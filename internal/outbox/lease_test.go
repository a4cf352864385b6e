package outbox

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// Log lines the lease tests count.
const (
	logStandby    = "outbox: another process delivers"
	logDelivering = "outbox: this process delivers"
)

// logRecorder is a slog handler that keeps the messages logged and tells changed of each.
type logRecorder struct {
	mu      sync.Mutex
	msgs    []string
	changed func()
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, rec.Message)
	r.mu.Unlock()
	r.changed()
	return nil
}

func (r *logRecorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// count is how many messages start with prefix.
func (r *logRecorder) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}

// process is a second process on the test's database: its own store (connection pool) on
// the same file, its own outbox and log.
func (e *testEnv) process(cfg Config) (Config, *logRecorder) {
	e.t.Helper()
	logs := &logRecorder{changed: e.changes.notify}
	cfg.Store = openStore(e.t, e.dbPath)
	cfg.Logger = slog.New(logs)
	return cfg, logs
}

// Two processes on one database file, both started with a backlog and both accepting events:
// one delivers, the other says so once, and every event reaches HubSpot exactly once.
func TestTwoProcessesOnOneDatabaseDeliverEachEventOnce(t *testing.T) {
	storetest.OnEachEngine(t, testTwoProcessesOnOneDatabaseDeliverEachEventOnce)
}

func testTwoProcessesOnOneDatabaseDeliverEachEventOnce(t *testing.T, eng storetest.Engine) {
	const backlog, later = 600, 100
	e := newTestEnv(t, envOptions{limits: crashLimits, engine: eng})
	base := e.config()
	base.BatchSize, base.LeaseInterval = 20, 50*time.Millisecond
	contact := e.contact("twice@example.com")
	ids := enqueueNotes(t, e.open(base), contact, backlog) // accepted before either process starts

	cfgA, logsA := e.process(base)
	cfgB, logsB := e.process(base)
	a, b := e.open(cfgA), e.open(cfgB)
	var wg sync.WaitGroup
	for _, ob := range []*Outbox{a, b} {
		wg.Go(func() {
			if err := ob.Start(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Both keep accepting events while one of them delivers.
	for i := range later {
		ev, err := []*Outbox{a, b}[i%2].Enqueue(context.Background(), note(contact, backlog+i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	e.waitAllFinal()
	assertExactlyOnce(t, e, ids)
	standby := logsA.count(logStandby) + logsB.count(logStandby)
	delivering := logsA.count(logDelivering) + logsB.count(logDelivering)
	if standby != 1 || delivering != 1 {
		t.Errorf("logs: %d lines that another process delivers, %d that this one does; want 1 and 1 (once each, not every %v)",
			standby, delivering, base.LeaseInterval)
	}
}

// A process that died holding the lease (it never releases it) is taken over once the lease
// expires, and not before.
func TestDeadDelivererIsTakenOverWhenItsLeaseExpires(t *testing.T) {
	storetest.OnEachEngine(t, testDeadDelivererIsTakenOverWhenItsLeaseExpires)
}

func testDeadDelivererIsTakenOverWhenItsLeaseExpires(t *testing.T, eng storetest.Engine) {
	const events, ttl = 50, 1500 * time.Millisecond
	e := newTestEnv(t, envOptions{engine: eng})
	dead, err := e.st.AcquireLease(context.Background(), store.OutboxDeliveryLease, "dead-host:4242:0badcafe", time.Now(), ttl)
	if err != nil {
		t.Fatal(err)
	}
	cfg, logs := e.process(e.config())
	cfg.LeaseInterval = 50 * time.Millisecond
	ob := e.start(cfg)
	ids := enqueueNotes(t, ob, e.contact("takeover@example.com"), events)
	e.waitAllFinal()
	assertExactlyOnce(t, e, ids)
	for _, id := range ids {
		row, err := e.st.GetOutboxEvent(context.Background(), testWorkspace, testConnection, id)
		if err != nil {
			t.Fatal(err)
		}
		if row.LastAttempt.Before(dead.Expire) {
			t.Fatalf("event %s was sent at %v, before the dead process's lease expired at %v", id, row.LastAttempt, dead.Expire)
		}
	}
	if n, m := logs.count(logStandby), logs.count(logDelivering); n != 1 || m != 1 {
		t.Errorf("logs: %d lines that another process delivers, %d that this one took over; want 1 and 1", n, m)
	}
}

// A clean stop releases the lease: the waiting process delivers at once, long before the
// lease would have expired.
func TestCleanStopHandsDeliveryOverAtOnce(t *testing.T) {
	storetest.OnEachEngine(t, testCleanStopHandsDeliveryOverAtOnce)
}

func testCleanStopHandsDeliveryOverAtOnce(t *testing.T, eng storetest.Engine) {
	const events = 50
	e := newTestEnv(t, envOptions{engine: eng})
	base := e.config()
	// Had A kept the lease, B would wait an hour for it: far past waitGuard.
	base.LeaseTTL, base.LeaseInterval = time.Hour, 50*time.Millisecond
	cfgA, logsA := e.process(base)
	cfgB, logsB := e.process(base)
	a := e.start(cfgA)
	b := e.start(cfgB)
	if logsA.count(logDelivering) != 1 || logsB.count(logStandby) != 1 {
		t.Fatalf("the first process started must deliver and the second wait: A logged %q, B %q", logsA.messages(), logsB.messages())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ids := enqueueNotes(t, b, e.contact("handover@example.com"), events)
	e.waitAllFinal()
	assertExactlyOnce(t, e, ids)
}

// A process whose lease was taken while it was not looking (it stalled past LeaseTTL) finds
// out at its next claim: it sends nothing, stops its workers and says so once.
func TestDelivererThatLostTheLeaseSendsNothingMore(t *testing.T) {
	storetest.OnEachEngine(t, testDelivererThatLostTheLeaseSendsNothingMore)
}

func testDelivererThatLostTheLeaseSendsNothingMore(t *testing.T, eng storetest.Engine) {
	const events = 30
	e := newTestEnv(t, envOptions{engine: eng})
	cfg, logs := e.process(e.config())
	cfg.LeaseInterval = time.Hour // it does not renew, nor notice, before its next claim
	ob := e.start(cfg)
	ctx := context.Background()
	takeOver(t, e, ob)
	enqueueNotes(t, ob, e.contact("lost@example.com"), events)
	e.waitUntil("a claim to notice the lost lease", func() bool { return logs.count("outbox: lost the delivery lease") > 0 })
	counts, err := e.st.CountOutboxEvents(ctx, testWorkspace, testConnection)
	if err != nil {
		t.Fatal(err)
	}
	if sent := len(markerCounts(e.sb, e.hubID)); sent != 0 || counts[store.OutboxQueued] != events {
		t.Errorf("after losing the lease: %d events in HubSpot, statuses %v; want none sent and all %d queued", sent, counts, events)
	}
	if n := logs.count("outbox: lost the delivery lease"); n != 1 {
		t.Errorf("the lost lease was logged %d times, want once", n)
	}
}

// Without a claim to make, the renewal finds the loss: logged once, as at a claim.
func TestDelivererNoticesALostLeaseAtRenewal(t *testing.T) {
	storetest.OnEachEngine(t, testDelivererNoticesALostLeaseAtRenewal)
}

func testDelivererNoticesALostLeaseAtRenewal(t *testing.T, eng storetest.Engine) {
	e := newTestEnv(t, envOptions{engine: eng})
	cfg, logs := e.process(e.config())
	cfg.LeaseInterval = 20 * time.Millisecond
	ob := e.start(cfg)
	takeOver(t, e, ob)
	e.waitUntil("a renewal to notice the lost lease", func() bool { return logs.count("outbox: lost the delivery lease") > 0 })
	if ob.delivering() {
		t.Error("the process still believes it delivers")
	}
}

// takeOver gives the delivery lease to another process, as it would take it once ob's had
// expired: in one step, as of a time past ob's expiry, so that ob's renewals cannot take it
// back in between (a release then an acquire left that window open).
func takeOver(t *testing.T, e *testEnv, ob *Outbox) {
	t.Helper()
	const other = "other-host:7:feedface"
	l, err := e.st.AcquireLease(context.Background(), store.OutboxDeliveryLease, other, time.Now().Add(24*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if l.Owner != other {
		t.Fatalf("the lease is %s's after the takeover, want %s's", l.Owner, other)
	}
}

// A process that takes delivery over checks the events the dead one had in flight (in
// HubSpot, their answer never heard) before it sends the backlog, although they became due
// after it: checked last, their search would page through every engagement the backlog
// created meanwhile.
func TestTakeoverChecksEventsInDoubtBeforeTheBacklog(t *testing.T) {
	storetest.OnEachEngine(t, testTakeoverChecksEventsInDoubtBeforeTheBacklog)
}

func testTakeoverChecksEventsInDoubtBeforeTheBacklog(t *testing.T, eng storetest.Engine) {
	const backlog, inFlight, deadOwner = 30, 10, "dead-host:4242:0badcafe"
	e := newTestEnv(t, envOptions{engine: eng})
	base := e.config()
	// One batch of 10 a pass: the backlog takes three passes, the events in doubt one.
	base.BatchSize, base.Concurrency, base.LeaseInterval = inFlight, 1, 50*time.Millisecond
	contact := e.contact("takeover-doubt@example.com")
	q := e.open(base) // accepts events; never started
	backlogIDs := enqueueNotes(t, q, contact, backlog)
	var sentIDs []string
	for i := range inFlight {
		ev, err := q.Enqueue(context.Background(), note(contact, backlog+i))
		if err != nil {
			t.Fatal(err)
		}
		sentIDs = append(sentIDs, ev.ID)
	}

	// The dead process claimed the last events and sent them: HubSpot created them, and it
	// died before the answer. Its lease outlives CheckDelay, so they are due at the takeover.
	ctx := context.Background()
	now := e.clock.Now()
	if _, err := e.st.AcquireLease(ctx, store.OutboxDeliveryLease, deadOwner, time.Now(), 3*base.CheckDelay); err != nil {
		t.Fatal(err)
	}
	claimed := make([]store.OutboxEvent, inFlight)
	inputs := make([]hubspot.BatchCreateInput, inFlight)
	typeID, _ := hubspot.EngagementNote.ToContactAssociationType()
	for i, id := range sentIDs {
		row, err := e.st.GetOutboxEvent(ctx, testWorkspace, testConnection, id)
		if err != nil {
			t.Fatal(err)
		}
		row.Attempts, row.LastAttempt, row.InDoubtSince, row.HubSpotContactID = 1, now, now, contact
		row.NextAttempt = now.Add(base.CheckDelay)
		claimed[i] = row
		ev, err := eventOf(row)
		if err != nil {
			t.Fatal(err)
		}
		inputs[i] = hubspot.BatchCreateInput{Properties: engagementProperties(&ev),
			Associations: []hubspot.AssociationInput{hubspot.AssociateTo(contact, typeID)}, ObjectWriteTraceID: id}
	}
	if err := e.st.ClaimOutboxEvents(ctx, deadOwner, time.Now(), claimed); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.BatchCreate(ctx, string(hubspot.EngagementNote), inputs); err != nil {
		t.Fatal(err)
	}

	// The order in which the new deliverer finishes events.
	var mu sync.Mutex
	var finished []string
	cfg, _ := e.process(base)
	ob := e.open(cfg)
	ob.onSaved = func(rows []store.OutboxEvent) {
		mu.Lock()
		for _, r := range rows {
			if r.Status == store.OutboxDelivered {
				finished = append(finished, r.ID)
			}
		}
		mu.Unlock()
		e.observeSaved(rows)
	}
	if err := ob.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e.waitAllFinal()
	assertExactlyOnce(t, e, append(backlogIDs, sentIDs...))
	mu.Lock()
	first := slices.Sorted(slices.Values(finished[:min(inFlight, len(finished))]))
	mu.Unlock()
	if d := cmp.Diff(slices.Sorted(slices.Values(sentIDs)), first); d != "" {
		t.Errorf("the first %d events delivered after the takeover are not the ones in doubt (-in doubt +first delivered):\n%s", inFlight, d)
	}
}

// Credentials updated through a process that does not deliver (a replica the load balancer
// chose) release the events the deliverer holds: it tries them at once, not at the hold's
// recheck.
func TestWakeInAStandbyProcessReleasesTheDeliverersHold(t *testing.T) {
	scopes := slices.DeleteFunc(sandbox.AllScopes(), func(s string) bool { return s == "crm.objects.contacts.write" })
	e := newTestEnv(t, envOptions{scopes: scopes})
	base := e.config()
	base.HoldRecheck = time.Hour // far past waitGuard: only the release can deliver them
	cfgA, _ := e.process(base)
	cfgB, logsB := e.process(base)
	a := e.start(cfgA)
	b := e.start(cfgB)
	e.waitUntil("the second process in standby", func() bool { return logsB.count(logStandby) == 1 })
	contact := e.contact("standby-wake@example.com")
	ids := enqueueNotes(t, a, contact, 5)
	ids = append(ids, enqueueNotes(t, b, contact, 5)...)
	e.waitUntil("the events held for the missing scope", func() bool { return heldAll(e, ids) })

	if err := e.sb.SetTokenScopes(e.token, sandbox.AllScopes()); err != nil {
		t.Fatal(err)
	}
	b.Wake(testWorkspace, testConnection)
	e.waitAllFinal()
	assertExactlyOnce(t, e, ids)
}
