package poller

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// clock is the one time of a test: the sandbox stamps writes with it and the poller reads
// it. It moves only when the test says.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// memSink keeps every change handed to it, repeats included, and can fail a given call
// after taking its changes, as a process killed right after the sink stored them.
type memSink struct {
	mu      sync.Mutex
	got     []Detected
	calls   int
	failOn  int // 1-based call that fails after storing; 0 never
	failErr error
	failed  int // how many changes the failed call took
	blockOn int // 1-based call that stores nothing and waits for its context to end; 0 never
}

func (s *memSink) Detected(ctx context.Context, _ resname.Connection, cs []Detected) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls == s.blockOn {
		<-ctx.Done()
		return ctx.Err()
	}
	s.got = append(s.got, cs...)
	if s.calls == s.failOn {
		s.failed = len(cs)
		return s.failErr
	}
	return nil
}

func (s *memSink) take() []Detected {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.got
	s.got = nil
	return out
}

// env is a sandbox account on loopback, a client for it, a store with one connection, and
// a poller on the shared clock.
type env struct {
	clock     *clock
	sb        *sandbox.Sandbox
	hub       int64
	client    *hubspot.Client
	st        *store.Store
	conn      resname.Connection
	sink      *memSink
	srv       *httptest.Server
	tokenText string
	opens     atomic.Int32 // clients the service opened
}

// newEnv's sandbox keeps HubSpot's search lag (sandbox.DefaultSearchLag) unless lag says
// otherwise (sandbox.NoSearchLag: none).
func newEnv(t *testing.T, search sandbox.SearchLimits, lag ...time.Duration) *env {
	t.Helper()
	c := &clock{now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	var searchLag time.Duration
	if len(lag) > 0 {
		searchLag = lag[0]
	}
	sb := sandbox.New(sandbox.Options{Now: c.Now, Search: search, SearchLag: searchLag,
		Limits: sandbox.Limits{PerWindow: 1_000_000, SearchPerSecond: 1_000_000, Daily: 1_000_000_000}})
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierStarter})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb) // 127.0.0.1:0
	t.Cleanup(srv.Close)
	ptok, err := hubspot.ParseToken(tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	client, err := hubspot.NewClient(hubspot.Options{BaseURL: srv.URL, Token: ptok,
		Limiter: hubspot.NewLimiter(hubspot.LimiterConfig{Budget: 1_000_000, SearchPerSecond: 1_000_000})})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "poll.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	conn := resname.Connection{Workspace: "acme", ID: "prod"}
	now := c.Now()
	if err := st.InsertConnection(context.Background(), &store.Connection{Workspace: conn.Workspace, ID: conn.ID,
		DisplayName: "Prod", Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
	return &env{clock: c, sb: sb, hub: acct.HubID, client: client, st: st, conn: conn, sink: &memSink{}, srv: srv, tokenText: tok.Token}
}

func (e *env) poller(cfg Config) *Poller {
	cfg.Now = e.clock.Now
	return New(e.st, e.sink, cfg)
}

func (e *env) create(t *testing.T, objectType string, props map[string]string) string {
	t.Helper()
	id, err := e.sb.CreateRecord(e.hub, objectType, props)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) poll(t *testing.T, p *Poller, src Source) []Detected {
	t.Helper()
	if src == nil {
		src = e.client
	}
	if _, err := p.Poll(t.Context(), e.conn, src, nil); err != nil {
		t.Fatal(err)
	}
	return e.sink.take()
}

// byRecord sorts changes for comparison.
func byRecord(cs []Detected) []Detected {
	slices.SortStableFunc(cs, func(a, b Detected) int {
		if c := strings.Compare(a.ObjectType, b.ObjectType); c != 0 {
			return c
		}
		return strings.Compare(a.RecordID, b.RecordID)
	})
	return cs
}
