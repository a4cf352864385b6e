package outbox

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"

	"github.com/connectflo/integrations/internal/store/storetest"
)

const (
	testWorkspace  = "acme"
	testConnection = "prod"
)

// offsetClock is real time plus an offset a test can move forward (the daily reset).
type offsetClock struct{ offset atomic.Int64 }

func (c *offsetClock) Now() time.Time                         { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *offsetClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (c *offsetClock) Advance(d time.Duration)                { c.offset.Add(int64(d)) }

// testEnv is a sandbox served on 127.0.0.1, a SQLite store with one connection, and a client
// whose limiter matches the sandbox's (scaled-down) limits.
type testEnv struct {
	t      *testing.T
	clock  *offsetClock
	sb     *sandbox.Sandbox
	srv    *httptest.Server
	hubID  int64
	token  string
	dbPath string // the database's data source (a SQLite path, or a postgres:// URL)
	st     *store.Store
	client *hubspot.Client
	limits sandbox.Limits

	mu     sync.Mutex
	health []Health

	// changes is broadcast whenever something a test waits for may have changed: an
	// outbox saved delivery state, a health report or a log line arrived, the sandbox
	// answered a request or a connection to it opened or closed.
	changes broadcast
	// heldSaves counts the saves in which every event stayed QUEUED (held or due again).
	heldSaves atomic.Int64
	// sandboxConns is the number of open connections to the sandbox.
	sandboxConns atomic.Int64
	// afterRequest, when set, runs after the sandbox has answered each request: what a test
	// does "in HubSpot" between two of the outbox's requests.
	afterRequest atomic.Pointer[func(*http.Request)]
}

// waitGuard turns a wait that never ends into a failure. No test asserts a speed with it: a
// wait either ends on a change or points at a bug.
const waitGuard = time.Minute

// broadcast wakes every waiter at once, each time it is notified.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

// next is closed at the next notify.
func (b *broadcast) next() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *broadcast) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}

// waitUntil returns once cond holds, looking again at every change (see testEnv.changes).
func (e *testEnv) waitUntil(what string, cond func() bool) {
	e.t.Helper()
	guard := time.NewTimer(waitGuard)
	defer guard.Stop()
	for {
		changed := e.changes.next() // before looking, so that no change is missed
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-guard.C:
			e.t.Fatalf("still waiting for %s after %v", what, waitGuard)
		}
	}
}

// observeSaved is every test outbox's savedObserver.
func (e *testEnv) observeSaved(rows []store.OutboxEvent) {
	if !slices.ContainsFunc(rows, func(r store.OutboxEvent) bool { return r.Status != store.OutboxQueued }) {
		e.heldSaves.Add(1)
	}
	e.changes.notify()
}

// trackSandboxConn counts the open connections to the sandbox.
func (e *testEnv) trackSandboxConn(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		e.sandboxConns.Add(1)
	case http.StateClosed, http.StateHijacked:
		e.sandboxConns.Add(-1)
	default:
		return
	}
	e.changes.notify()
}

type envOptions struct {
	limits   sandbox.Limits
	scopes   []string
	timeZone string
	// searchLag is the sandbox's search lag; zero means testSearchLag.
	searchLag time.Duration
	// engine is the database's; zero means SQLite.
	engine storetest.Engine
}

// testSearchLag is the sandbox's search lag in these tests. The in-doubt check is correct
// only while CheckDelay exceeds the search lag; the tests scale both down by the same factor
// as their defaults (30 s and HubSpot's few seconds, the sandbox's 3 s), so that
// testEnv.config's 100 ms CheckDelay still runs after the lag.
const testSearchLag = 10 * time.Millisecond

func newTestEnv(t *testing.T, opts envOptions) *testEnv {
	t.Helper()
	e := &testEnv{t: t, clock: &offsetClock{}}
	if opts.limits == (sandbox.Limits{}) {
		opts.limits = sandbox.Limits{PerWindow: 50, Window: time.Second, SearchPerSecond: 50}
	}
	e.limits = opts.limits
	if opts.searchLag == 0 {
		opts.searchLag = testSearchLag
	}
	e.sb = sandbox.New(sandbox.Options{Now: e.clock.Now, Seed: 7, Limits: opts.limits, SearchLag: opts.searchLag})
	acct, err := e.sb.CreateAccount(sandbox.Account{Tier: sandbox.TierStarter, TimeZone: firstNonEmpty(opts.timeZone, "UTC")})
	if err != nil {
		t.Fatal(err)
	}
	e.hubID = acct.HubID
	if opts.scopes == nil {
		opts.scopes = sandbox.AllScopes()
	}
	tok, err := e.sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: opts.scopes})
	if err != nil {
		t.Fatal(err)
	}
	e.token = tok.Token
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.sb.ServeHTTP(w, r)
		if f := e.afterRequest.Load(); f != nil {
			(*f)(r)
		}
		e.changes.notify()
	}))
	e.srv.Config.ConnState = e.trackSandboxConn
	e.srv.Start()
	t.Cleanup(e.srv.Close)

	if opts.engine.DSN == nil {
		opts.engine = storetest.SQLite
	}
	e.dbPath = opts.engine.DSN(t)
	e.st = openStore(t, e.dbPath)
	now := time.Now().UTC()
	if err := e.st.InsertConnection(context.Background(), &store.Connection{Workspace: testWorkspace, ID: testConnection,
		DisplayName: "Production HubSpot", Status: "CONNECTED", HubID: acct.HubID, CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
	e.client = newClient(t, e.srv.URL, e.token, opts.limits, e.clock)
	return e
}

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newClient(t testing.TB, baseURL, token string, limits sandbox.Limits, clock hubspot.Clock) *hubspot.Client {
	tok, err := hubspot.ParseToken(token)
	if err != nil {
		t.Fatal(err)
	}
	c, err := hubspot.NewClient(hubspot.Options{BaseURL: baseURL, Token: tok, Clock: clock,
		Limiter: hubspot.NewLimiter(hubspot.LimiterConfig{Budget: limits.PerWindow, Window: limits.Window,
			SearchPerSecond: limits.SearchPerSecond, DailyResetLocation: time.UTC, Clock: clock})})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testConfig is a Config with windows scaled down for tests.
func (e *testEnv) config() Config {
	return Config{
		Store:       e.st,
		Clients:     ClientsFunc(func(context.Context, store.Connection) (*hubspot.Client, error) { return e.client, nil }),
		OnHealth:    e.recordHealth,
		Now:         e.clock.Now,
		BaseBackoff: 50 * time.Millisecond,
		MaxBackoff:  500 * time.Millisecond,
		CheckDelay:  100 * time.Millisecond,
		HoldRecheck: time.Minute,
		// Short, so that a process waiting for the delivery lease sees it free soon.
		LeaseInterval: 100 * time.Millisecond,
	}
}

func (e *testEnv) recordHealth(h Health) {
	e.mu.Lock()
	e.health = append(e.health, h)
	e.mu.Unlock()
	e.changes.notify()
}

func (e *testEnv) healthReports() []Health {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Health(nil), e.health...)
}

// start builds and starts an outbox; it is closed when the test ends.
func (e *testEnv) start(cfg Config) *Outbox {
	e.t.Helper()
	ob := e.open(cfg)
	if err := ob.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return ob
}

// open builds an outbox without starting it: what is enqueued stays queued until Start.
func (e *testEnv) open(cfg Config) *Outbox {
	e.t.Helper()
	ob, err := New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	ob.onSaved = e.observeSaved
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ob.Close(ctx)
	})
	return ob
}

// contact creates a contact in the sandbox and returns its id.
func (e *testEnv) contact(email string) string {
	e.t.Helper()
	id, err := e.sb.CreateRecord(e.hubID, "contacts", map[string]string{"email": email, "firstname": "Test"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// note is a NOTE event for a contact.
func note(contactID string, i int) Event {
	return Event{Workspace: testWorkspace, Connection: testConnection, Kind: KindNote, ContactID: contactID,
		OccurredAt: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Title:      fmt.Sprintf("conversation %d", i), Body: "hello"}
}

// markerCounts counts the engagements carrying each marker, over every engagement type.
func markerCounts(sb *sandbox.Sandbox, hubID int64) map[string]int {
	counts := map[string]int{}
	for _, typ := range []hubspot.EngagementType{hubspot.EngagementNote, hubspot.EngagementCall, hubspot.EngagementCommunication} {
		for _, r := range sb.Records(hubID, string(typ)) {
			if m := extractMarker(r.Properties[bodyProperty(typ)]); m != "" {
				counts[m]++
			}
		}
	}
	return counts
}

// waitAllFinal waits until no event of the test connection is QUEUED.
func (e *testEnv) waitAllFinal() map[string]int {
	e.t.Helper()
	var counts map[string]int
	e.waitUntil("every event to be delivered or failed", func() bool {
		var err error
		counts, err = e.st.CountOutboxEvents(context.Background(), testWorkspace, testConnection)
		if err != nil {
			e.t.Fatal(err)
		}
		return counts[store.OutboxQueued] == 0
	})
	return counts
}

// assertExactlyOnce checks that every event was delivered and each marker is in HubSpot once.
func assertExactlyOnce(t *testing.T, e *testEnv, ids []string) {
	t.Helper()
	counts := markerCounts(e.sb, e.hubID)
	missing, dup := 0, 0
	for _, id := range ids {
		switch n := counts[markerOf(id)]; {
		case n == 0:
			missing++
		case n > 1:
			dup++
		}
	}
	st, err := e.st.CountOutboxEvents(context.Background(), testWorkspace, testConnection)
	if err != nil {
		t.Fatal(err)
	}
	if missing > 0 || dup > 0 || st[store.OutboxDelivered] != len(ids) {
		t.Fatalf("of %d events: %d missing in HubSpot, %d duplicated; statuses %v", len(ids), missing, dup, st)
	}
}
