package connections

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/budget"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/store/storetest"
)

// Connect's probe of a token spends from the budget its app's other connections share, in
// this process and, through a shared ledger, in the other replicas: with the app's window
// spent by a connection, the Connect of a second token of the app waits for a slot, and one
// whose deadline comes first is refused as rate limited, without sending HubSpot a request it
// would answer with a 429, and without storing anything.
func TestConnectSpendsFromItsAppsBudget(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		engine storetest.Engine
		// ledger is what the two processes share, nil for one process holding the window.
		ledger func(t *testing.T, dsn string) SharedBudget
	}{
		{name: "one process", engine: storetest.SQLite},
		{name: "two replicas sharing a ledger", engine: storetest.SQLite,
			ledger: func(*testing.T, string) SharedBudget { return budget.NewMemory(0, nil) }},
		{name: "two replicas sharing PostgreSQL", engine: storetest.Postgres,
			ledger: func(t *testing.T, dsn string) SharedBudget {
				db, err := store.OpenPostgres(context.Background(), dsn, 2)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return budget.NewPostgres(db, 0)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testConnectSpendsFromItsAppsBudget(t, tc.engine, tc.ledger)
		})
	}
}

func testConnectSpendsFromItsAppsBudget(t *testing.T, engine storetest.Engine, ledger func(*testing.T, string) SharedBudget) {
	ctx := context.Background()
	dsn := engine.DSN(t)
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierStarter}) // 100 requests per 10 s per app
	if err != nil {
		t.Fatal(err)
	}
	key, err := secrets.NewKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secrets.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	spender := New(st, ring, Config{BaseURL: srv.URL})
	connector := spender
	if ledger != nil {
		shared := ledger(t, dsn)
		spender = New(st, ring, Config{BaseURL: srv.URL, Budget: shared})
		connector = New(st, ring, Config{BaseURL: srv.URL, Budget: shared})
	}
	const app = 4242
	first, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, AppID: app, Scopes: sandbox.AllScopes()})
	second, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, AppID: app, Scopes: sandbox.AllScopes()})

	c, err := spender.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "First", AccessToken: first.Token})
	if err != nil {
		t.Fatal(err)
	}
	client, err := spender.OpenClient(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	// The first connection spends the rest of the app's window.
	for i := 0; i < 200 && client.Limiter().Stats().Standard.Headroom > 0; i++ {
		if _, err := client.GetObject(ctx, "contacts", absentRecord, hubspot.GetObjectOptions{}); !errors.Is(err, hubspot.ErrNotFound) {
			t.Fatalf("request %d of the first connection: %v", i, err)
		}
	}
	if h := client.Limiter().Stats().Standard.Headroom; h != 0 {
		t.Fatalf("the first connection left %d requests of the window", h)
	}

	short, cancel := context.WithTimeout(ctx, 2*time.Second) // well before a slot frees
	defer cancel()
	_, err = connector.Connect(short, ConnectRequest{Workspace: "acme", DisplayName: "Second", AccessToken: second.Token})
	var rl *hubspot.RateLimitError
	if !errors.As(err, &rl) || rl.Policy != hubspot.PolicyTenSecondlyRolling {
		t.Errorf("Connect of a second token of the app with its window spent: %v; want a rate-limit refusal of the 10-second window", err)
	}
	if got := sb.Counters().RateLimited; len(got) != 0 {
		t.Errorf("HubSpot answered 429s %v: Connect's probe spent outside its app's budget", got)
	}
	if all, err := st.AllConnections(ctx); err != nil || len(all) != 1 {
		t.Errorf("connections stored: %d, %v; want the first alone", len(all), err)
	}
}
