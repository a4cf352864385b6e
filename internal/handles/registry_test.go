package handles

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/upsert"
)

// countingConns is the connection lifecycle, counting the tokens opened into clients.
type countingConns struct {
	*connections.Manager
	opens *atomic.Int32
}

func (c countingConns) OpenClient(ctx context.Context, conn store.Connection) (*hubspot.Client, error) {
	c.opens.Add(1)
	return c.Manager.OpenClient(ctx, conn)
}

// fixture is a registry over a real store, key ring and connection lifecycle, reaching a
// sandbox HubSpot on loopback. Batch upserts wait on held while it is non-nil.
type fixture struct {
	reg   *Registry
	m     *connections.Manager
	st    *store.Store
	sb    *sandbox.Sandbox
	acct  sandbox.Account
	ring  *secrets.KeyRing
	opens atomic.Int32

	upserting chan struct{} // receives when a batch upsert reaches HubSpot (held only)
	held      chan struct{} // closed to let held batch upserts through
}

func newFixture(t *testing.T, holdUpserts bool) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{sb: sandbox.New(sandbox.Options{})}
	if holdUpserts {
		f.upserting, f.held = make(chan struct{}, 1), make(chan struct{})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.held != nil && strings.HasSuffix(r.URL.Path, "/batch/upsert") {
			select {
			case f.upserting <- struct{}{}:
			default:
			}
			<-f.held
		}
		f.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	var err error
	if f.st, err = store.Open(ctx, filepath.Join(t.TempDir(), "db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	if f.acct, err = f.sb.CreateAccount(sandbox.Account{Tier: sandbox.TierEnterprise}); err != nil {
		t.Fatal(err)
	}
	key, err := secrets.NewKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	if f.ring, err = secrets.NewKeyRing(key); err != nil {
		t.Fatal(err)
	}
	f.m = connections.New(f.st, f.ring, connections.Config{BaseURL: srv.URL})
	f.reg = New(Deps{Connections: countingConns{f.m, &f.opens}, Store: f.st}, Config{})
	t.Cleanup(func() {
		if f.held != nil {
			select {
			case <-f.held:
			default:
				close(f.held)
			}
		}
		f.reg.Close(context.Background())
	})
	return f
}

// token is a new private-app token of the fixture's HubSpot account.
func (f *fixture) token(t *testing.T) string {
	t.Helper()
	tok, err := f.sb.CreateToken(sandbox.Token{HubID: f.acct.HubID, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// connect connects the account as workspaces/acme/connections/<id>.
func (f *fixture) connect(t *testing.T, id string) resname.Connection {
	t.Helper()
	c, err := f.m.Connect(context.Background(), connections.ConnectRequest{Workspace: "acme", DisplayName: id, AccessToken: f.token(t), ID: id})
	if err != nil {
		t.Fatal(err)
	}
	return resname.Connection{Workspace: c.Workspace, ID: c.ID}
}

// state is what a call gets from a handle: its client and batcher.
type state struct {
	client  *hubspot.Client
	batcher *upsert.Batcher
}

func (f *fixture) state(t *testing.T, h *Handle) state {
	t.Helper()
	ctx := context.Background()
	client, err := h.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Batcher(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return state{client, b}
}

func (f *fixture) get(t *testing.T, name resname.Connection) *Handle {
	t.Helper()
	h, err := f.reg.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// upsertOne upserts one contact through b.
func upsertOne(b *upsert.Batcher, email string) error {
	_, err := b.Upsert(context.Background(), email, map[string]string{"firstname": "Ada"})
	return err
}

// TestConcurrentGetsShareOneState: calls arriving together for one connection open its token
// once and share one client and one batcher; another connection has its own.
func TestConcurrentGetsShareOneState(t *testing.T) {
	f := newFixture(t, false)
	prod, stage := f.connect(t, "prod"), f.connect(t, "stage")
	const callers = 16
	got := make([]state, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			name := prod
			if i%2 == 1 {
				name = stage
			}
			got[i] = f.state(t, f.get(t, name))
		})
	}
	wg.Wait()
	if n := f.opens.Load(); n != 2 {
		t.Errorf("tokens opened %d times for 2 connections under %d concurrent calls, want 2", n, callers)
	}
	for i := range got {
		if got[i] != got[i%2] {
			t.Errorf("caller %d got another client or batcher than caller %d of the same connection", i, i%2)
		}
	}
	if got[0].client == got[1].client || got[0].batcher == got[1].batcher {
		t.Error("two connections share a client or a batcher")
	}
}

// TestTokenChangeReplacesState: whichever way a connection's sealed token changes, the next
// call gets a new client and batcher, the old batcher is closed once drained, and a call still
// holding the old handle is moved to the new batcher. Calls in between share one state.
func TestTokenChangeReplacesState(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, f *fixture, name resname.Connection) *Handle
	}{{
		name: "UpdateCredentials, then Rotate",
		change: func(t *testing.T, f *fixture, name resname.Connection) *Handle {
			c, err := f.m.UpdateCredentials(context.Background(), name, f.token(t))
			if err != nil {
				t.Fatal(err)
			}
			return f.reg.Rotate(c)
		},
	}, {
		name: "UpdateCredentials elsewhere (another replica), seen by the next Get",
		change: func(t *testing.T, f *fixture, name resname.Connection) *Handle {
			if _, err := f.m.UpdateCredentials(context.Background(), name, f.token(t)); err != nil {
				t.Fatal(err)
			}
			return f.get(t, name)
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, false)
			name := f.connect(t, "prod")
			first := f.get(t, name)
			before := f.state(t, first)
			if again := f.state(t, f.get(t, name)); again != before {
				t.Fatal("a second Get of an unchanged connection built new state")
			}
			after := f.state(t, tc.change(t, f, name))
			if after.client == before.client || after.batcher == before.batcher {
				t.Fatalf("after the token changed: same client %t, same batcher %t; want both new",
					after.client == before.client, after.batcher == before.batcher)
			}
			before.batcher.Close() // already closing in the background: waits for its drain
			if err := upsertOne(before.batcher, "ada@example.com"); !errors.Is(err, upsert.ErrClosed) {
				t.Errorf("upsert on the old batcher: err = %v, want upsert.ErrClosed", err)
			}
			if moved := f.state(t, first); moved.batcher != after.batcher {
				t.Error("a call holding the old handle did not move to the new batcher")
			}
			if err := upsertOne(after.batcher, "ada@example.com"); err != nil {
				t.Errorf("upsert on the new batcher: %v", err)
			}
		})
	}
}

// TestDropForgetsEverything: after Drop the batcher is drained and closed, a call still
// holding the handle is told the connection is gone, nothing is kept in memory for it, and a
// connection created again under the same name starts empty.
func TestDropForgetsEverything(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, false)
	name := f.connect(t, "prod")
	h := f.get(t, name)
	if _, err := h.RefreshSchemas(ctx); err != nil {
		t.Fatal(err)
	}
	h = f.get(t, name) // with the schema version the refresh wrote
	if _, err := h.Compile(ctx, `contact.email == "ada@example.com"`); err != nil {
		t.Fatal(err)
	}
	h.Remember("answer", "kept", 10)
	if _, ok := h.Recall("answer"); !ok {
		t.Fatal("Recall misses what Remember kept for the same schema version")
	}
	before := f.state(t, h)
	if err := upsertOne(before.batcher, "ada@example.com"); err != nil {
		t.Fatal(err)
	}

	if err := f.m.Delete(ctx, name, ""); err != nil {
		t.Fatal(err)
	}
	f.reg.Drop(name)

	if err := upsertOne(before.batcher, "ada@example.com"); !errors.Is(err, upsert.ErrClosed) {
		t.Errorf("upsert on the dropped batcher: err = %v, want upsert.ErrClosed", err)
	}
	if _, err := h.Batcher(ctx); !errors.Is(err, connections.ErrNotFound) {
		t.Errorf("Batcher of a handle held across the delete: err = %v, want connections.ErrNotFound", err)
	}
	used, _, entries := f.reg.cache.Stats()
	kept := map[string]int{"cached bytes": int(used), "cached entries": entries, "compiled conditions": f.reg.programs.Len()}
	if d := cmp.Diff(map[string]int{"cached bytes": 0, "cached entries": 0, "compiled conditions": 0}, kept); d != "" {
		t.Errorf("kept in memory after Drop (-want +got):\n%s", d)
	}

	f.connect(t, "prod")
	again := f.get(t, name)
	if _, ok := again.Recall("answer"); ok {
		t.Error("a connection created again under the same name recalls its predecessor's answer")
	}
	if now := f.state(t, again); now.client == before.client || now.batcher == before.batcher {
		t.Error("a connection created again under the same name got its predecessor's client or batcher")
	}
}

// TestCloseDrains: Close waits for the batch on its way to HubSpot unless its context ends
// first; afterwards upserts are refused and clients still served (the outbox delivers on).
func TestCloseDrains(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cancelled  bool
		wantClose  error
		wantUpsert error
	}{
		{name: "the batch on the wire finishes", wantClose: nil, wantUpsert: nil},
		{name: "the context ends first", cancelled: true, wantClose: context.Canceled, wantUpsert: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, true)
			name := f.connect(t, "prod")
			b := f.state(t, f.get(t, name)).batcher
			upserted := make(chan error, 1)
			go func() { upserted <- upsertOne(b, "ada@example.com") }()
			<-f.upserting // the batch is on the wire, held

			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancelled {
				cancel()
			}
			closed := make(chan error, 1)
			go func() { closed <- f.reg.Close(ctx) }()
			if tc.cancelled {
				if err := <-closed; !errors.Is(err, tc.wantClose) {
					t.Errorf("Close = %v, want %v", err, tc.wantClose)
				}
				close(f.held)
			} else {
				select {
				case err := <-closed:
					t.Fatalf("Close returned (%v) while a batch was still on the wire", err)
				default:
				}
				close(f.held)
				if err := <-closed; !errors.Is(err, tc.wantClose) {
					t.Errorf("Close = %v, want %v", err, tc.wantClose)
				}
			}
			cancel()
			if err := <-upserted; !errors.Is(err, tc.wantUpsert) {
				t.Errorf("the held upsert: err = %v, want %v", err, tc.wantUpsert)
			}
			h := f.get(t, name)
			if _, err := h.Batcher(context.Background()); !errors.Is(err, upsert.ErrClosed) {
				t.Errorf("Batcher after Close: err = %v, want upsert.ErrClosed", err)
			}
			if _, err := h.Client(context.Background()); err != nil {
				t.Errorf("Client after Close: %v", err)
			}
		})
	}
}

// TestEveryGetReadsTheRow: what another path changes in the stored connection (its status, its
// fields rediscovered) is what the next Get's handle carries, and an answer kept for the
// previous schema version is not served for the new one.
func TestEveryGetReadsTheRow(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		change     func(t *testing.T, f *fixture, h *Handle)
		wantStatus string
		wantRecall bool
	}{{
		name:       "nothing changed",
		change:     func(*testing.T, *fixture, *Handle) {},
		wantStatus: connections.StatusConnected, wantRecall: true,
	}, {
		name: "status set by another path",
		change: func(t *testing.T, f *fixture, h *Handle) {
			if err := f.m.SetStatus(ctx, h.Name(), connections.StatusDegraded, "timeline events are held: test"); err != nil {
				t.Fatal(err)
			}
		},
		wantStatus: connections.StatusDegraded, wantRecall: true,
	}, {
		name: "fields rediscovered",
		change: func(t *testing.T, f *fixture, h *Handle) {
			if _, err := h.RefreshSchemas(ctx); err != nil {
				t.Fatal(err)
			}
		},
		wantStatus: connections.StatusConnected, wantRecall: false,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, false)
			name := f.connect(t, "prod")
			if _, err := f.get(t, name).RefreshSchemas(ctx); err != nil {
				t.Fatal(err)
			}
			before := f.get(t, name)
			before.Remember("answer", "kept", 10)
			tc.change(t, f, before)

			after := f.get(t, name)
			_, recalled := after.Recall("answer")
			type seen struct {
				Status        string
				NewerSchema   bool
				Recalled      bool
				SameLiveState bool
			}
			want := seen{Status: tc.wantStatus, NewerSchema: !tc.wantRecall, Recalled: tc.wantRecall, SameLiveState: true}
			got := seen{Status: after.Connection().Status, NewerSchema: after.Connection().SchemaVersion > before.Connection().SchemaVersion,
				Recalled: recalled, SameLiveState: after.live == before.live}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("the next Get's handle (-want +got):\n%s", d)
			}
		})
	}
}
