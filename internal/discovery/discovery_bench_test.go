package discovery

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// fixedClient serves one HubSpot client for every connection.
type fixedClient struct{ c *hubspot.Client }

func (f fixedClient) Client(context.Context, store.Connection) (*hubspot.Client, error) {
	return f.c, nil
}

// newBenchEnv is a sandbox account with n custom properties per object type, a store with
// one connection, and a Discoverer over them.
func newBenchEnv(tb testing.TB, n int) (*Discoverer, store.Connection, *sandbox.Sandbox) {
	tb.Helper()
	ctx := context.Background()
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	tb.Cleanup(srv.Close)
	acct, _ := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierEnterprise})
	tok, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	for _, ot := range ObjectTypes {
		for i := range n {
			if _, err := sb.CreateProperty(acct.HubID, ot, sandbox.Property{Name: fmt.Sprintf("p_%d", i), Label: "P", Type: "enumeration",
				FieldType: "select", GroupName: "g", Options: []sandbox.Option{{Label: "One", Value: "one"}}}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	token, _ := hubspot.ParseToken(tok.Token)
	client, err := hubspot.NewClient(hubspot.Options{BaseURL: srv.URL, Token: token})
	if err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(tb.TempDir(), "db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	c := store.Connection{Workspace: "acme", ID: "prod", DisplayName: "Prod", Status: "CONNECTED", CreateTime: time.Now(), UpdateTime: time.Now()}
	if err := st.InsertConnection(ctx, &c); err != nil {
		tb.Fatal(err)
	}
	return New(st, fixedClient{client}, nil, nil), c, sb
}

func BenchmarkRefresh1000PerType(b *testing.B) {
	d, c, _ := newBenchEnv(b, 1000)
	ctx := context.Background()
	for b.Loop() {
		if _, err := d.Refresh(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}
