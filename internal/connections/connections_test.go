package connections

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
)

func newManager(t *testing.T) (*Manager, *store.Store, *sandbox.Sandbox, sandbox.Account, *secrets.KeyRing) {
	t.Helper()
	k, err := secrets.NewKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	return newManagerWithKeys(t, k)
}

// newManagerWithKeys is newManager with a ring of the given keys, primary first.
func newManagerWithKeys(t *testing.T, keys ...secrets.Key) (*Manager, *store.Store, *sandbox.Sandbox, sandbox.Account, *secrets.KeyRing) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierEnterprise})
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secrets.NewKeyRing(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return New(st, ring, Config{BaseURL: srv.URL}), st, sb, acct, ring
}

func TestSwappedCiphertextsDoNotOpen(t *testing.T) {
	m, st, sb, acct, _ := newManager(t)
	ctx := context.Background()
	var conns []store.Connection
	for _, name := range []string{"One", "Two"} {
		tok, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
		c, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: name, AccessToken: tok.Token})
		if err != nil {
			t.Fatal(err)
		}
		if c.AccountTier != "ENTERPRISE" {
			t.Errorf("tier = %q, want ENTERPRISE (190 per 10 s, 1,000,000 per day)", c.AccountTier)
		}
		conns = append(conns, c)
	}
	// Swap the two rows' sealed tokens, as an attacker with write access to the database might.
	for i, c := range conns {
		other := conns[1-i]
		cur, err := st.GetConnection(ctx, c.Workspace, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.ReplaceCiphertext(ctx, c.Workspace, c.ID, cur.Sealed(), other.Sealed()); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		swapped, err := m.Get(ctx, resname.Connection{Workspace: c.Workspace, ID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.OpenClient(ctx, swapped); !errors.Is(err, ErrTokenUnreadable) {
			t.Errorf("%s opened another row's ciphertext: err = %v", c.ID, err)
		}
		after, _ := m.Get(ctx, resname.Connection{Workspace: c.Workspace, ID: c.ID})
		if after.Status != StatusError || !strings.Contains(after.StatusReason, "cannot be decrypted") {
			t.Errorf("%s status = %s (%q); want ERROR with the reason", c.ID, after.Status, after.StatusReason)
		}
	}
}

func TestEvaluateScopes(t *testing.T) {
	r := EvaluateScopes(sandbox.AllScopes())
	if len(r.MissingRequired) != 0 || len(r.MissingRecommended) != 0 {
		t.Errorf("all scopes: missing %v / %v", r.MissingRequired, r.MissingRecommended)
	}
	r = EvaluateScopes([]string{"crm.objects.contacts.write"})
	if len(r.MissingRequired) != len(requiredScopes)-1 {
		t.Errorf("missing required = %d, want %d", len(r.MissingRequired), len(requiredScopes)-1)
	}
	for _, c := range r.Capabilities {
		if c.ID == "UPSERT_CONTACTS" && !c.Available {
			t.Error("UPSERT_CONTACTS needs only crm.objects.contacts.write")
		}
		if c.ID == "DISCOVER_DEAL_FIELDS" && (c.Available || c.MissingScopes[0] != "crm.schemas.deals.read") {
			t.Errorf("DISCOVER_DEAL_FIELDS = %+v", c)
		}
	}
	// Without the owners scope, what is lost is said: owners by email.
	for _, c := range EvaluateScopes(requiredNames()).Capabilities {
		if c.ID == "RESOLVE_OWNERS" && (c.Available || !slices.Equal(c.MissingScopes, []string{"crm.objects.owners.read"})) {
			t.Errorf("RESOLVE_OWNERS without crm.objects.owners.read = %+v, want unavailable for lack of it", c)
		}
	}
	// Either scope of a group is enough: object read allows property reads.
	for _, c := range EvaluateScopes([]string{"crm.objects.deals.read"}).Capabilities {
		if c.ID == "DISCOVER_DEAL_FIELDS" && !c.Available {
			t.Error("crm.objects.deals.read alone must allow discovering deal fields")
		}
	}
}

func TestNewConnectionID(t *testing.T) {
	for _, dn := range []string{"Production HubSpot", "  ", "123 Go!", "Ünïcode only ÄÖ", strings.Repeat("long name ", 20)} {
		id := newConnectionID(dn)
		if !resname.ValidID(id) {
			t.Errorf("newConnectionID(%q) = %q, not a valid id", dn, id)
		}
	}
	if id := newConnectionID("Production HubSpot"); !strings.HasPrefix(id, "production-hubspot-") {
		t.Errorf("id %q does not read like the display name", id)
	}
}

// requiredNames are the names of the required scopes: the guide's minimum.
func requiredNames() []string {
	var out []string
	for _, s := range requiredScopes {
		out = append(out, s.Name)
	}
	return out
}
