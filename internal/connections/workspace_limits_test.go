package connections

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// sandboxRequests counts every request the sandbox has answered.
func sandboxRequests(sb *sandbox.Sandbox) int {
	n := 0
	for _, byStatus := range sb.Counters().Requests {
		for _, c := range byStatus {
			n += c
		}
	}
	return n
}

// TestConnectionLimitPerWorkspace: a full workspace refuses Connect before any HubSpot call,
// other workspaces are not affected, and deleting a connection makes room again.
func TestConnectionLimitPerWorkspace(t *testing.T) {
	m, _, sb, acct, _ := newManager(t)
	m.cfg.MaxPerWorkspace = 2
	ctx := context.Background()
	connect := func(ws, name string) (store.Connection, error) {
		tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
		if err != nil {
			t.Fatal(err)
		}
		return m.Connect(ctx, ConnectRequest{Workspace: ws, DisplayName: name, AccessToken: tok.Token})
	}
	first, err := connect("acme", "One")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := connect("acme", "Two"); err != nil {
		t.Fatal(err)
	}
	before := sandboxRequests(sb)
	_, err = connect("acme", "Three")
	var limit *LimitError
	if !errors.As(err, &limit) || !errors.Is(err, ErrConnectionLimit) || limit.Limit != 2 {
		t.Fatalf("third connection: err = %v, want a *LimitError of 2", err)
	}
	if n := sandboxRequests(sb) - before; n != 0 {
		t.Errorf("a refused Connect made %d HubSpot calls, want 0", n)
	}
	if _, err := connect("globex", "One"); err != nil {
		t.Errorf("another workspace is not limited by acme's connections: %v", err)
	}
	if err := m.Delete(ctx, resname.Connection{Workspace: "acme", ID: first.ID}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := connect("acme", "Three"); err != nil {
		t.Errorf("after a delete there is room again: %v", err)
	}
}

// TestConnectionLimitHoldsUnderConcurrentConnects: the limit is checked again in the insert's
// transaction, so concurrent Connects never overshoot it.
func TestConnectionLimitHoldsUnderConcurrentConnects(t *testing.T) {
	m, st, sb, acct, _ := newManager(t)
	m.cfg.MaxPerWorkspace = 3
	ctx := context.Background()
	const callers = 8
	errs := make(chan error, callers)
	for i := range callers {
		tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "Conn " + string(rune('A'+i)), AccessToken: tok.Token})
			errs <- err
		}()
	}
	refused := 0
	for range callers {
		if err := <-errs; errors.Is(err, ErrConnectionLimit) {
			refused++
		} else if err != nil {
			t.Errorf("unexpected error: %v", err)
		}
	}
	n, err := st.CountConnections(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || refused != callers-3 {
		t.Errorf("%d connections stored, %d refused; want 3 and %d", n, refused, callers-3)
	}
}

// TestSameTokenTwiceInAWorkspace: one token cannot back two connections of a workspace, by
// Connect or by rotation; the refusal names the existing connection; another workspace and
// a rotation of a connection to its own token are fine. The store keeps only a keyed hash.
func TestSameTokenTwiceInAWorkspace(t *testing.T) {
	m, st, sb, acct, ring := newManager(t)
	ctx := context.Background()
	tok, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	other, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	prod, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "Production HubSpot", AccessToken: tok.Token})
	if err != nil {
		t.Fatal(err)
	}
	prodName := resname.Connection{Workspace: "acme", ID: prod.ID}
	want := &TokenInUseError{Connection: prodName.String(), DisplayName: "Production HubSpot"}

	before := sandboxRequests(sb)
	_, err = m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "Copy", AccessToken: "  " + tok.Token + "\n"})
	var inUse *TokenInUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrTokenInUse) {
		t.Fatalf("same token, another name: err = %v, want a *TokenInUseError", err)
	}
	if d := cmp.Diff(want, inUse); d != "" {
		t.Errorf("refusal (-want +got):\n%s", d)
	}
	if strings.Contains(err.Error(), tok.Token) {
		t.Error("the error holds the token")
	}
	if n := sandboxRequests(sb) - before; n != 0 {
		t.Errorf("the refused Connect made %d HubSpot calls, want 0", n)
	}

	second, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "Second", AccessToken: other.Token})
	if err != nil {
		t.Fatal(err)
	}
	secondName := resname.Connection{Workspace: "acme", ID: second.ID}
	if _, err := m.UpdateCredentials(ctx, secondName, tok.Token); !errors.As(err, &inUse) || inUse.Connection != prodName.String() {
		t.Errorf("rotating Second to Production's token: err = %v, want a *TokenInUseError naming %s", err, prodName)
	}
	if _, err := m.UpdateCredentials(ctx, prodName, tok.Token); err != nil {
		t.Errorf("rotating a connection to its own token again: %v", err)
	}
	if _, err := m.Connect(ctx, ConnectRequest{Workspace: "globex", DisplayName: "Production HubSpot", AccessToken: tok.Token}); err != nil {
		t.Errorf("the same token in another workspace: %v", err)
	}

	stored, err := st.GetConnection(ctx, "acme", prod.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.TokenFingerprint != ring.Fingerprint("acme", []byte(tok.Token)) || strings.Contains(stored.TokenFingerprint, tok.Token[4:]) {
		t.Errorf("stored fingerprint %q is not the keyed hash of the token", stored.TokenFingerprint)
	}
}

// TestFingerprintBackfilledWhenTokenOpened: a connection stored before fingerprints existed
// gets one the first time its token is opened, and from then on its token is refused twice.
func TestFingerprintBackfilledWhenTokenOpened(t *testing.T) {
	m, st, sb, acct, _ := newManager(t)
	ctx := context.Background()
	tok, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	old, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "Old", AccessToken: tok.Token})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetTokenFingerprint(ctx, "acme", old.ID, old.TokenCiphertext, ""); err != nil { // as migrated
		t.Fatal(err)
	}
	legacy, _ := st.GetConnection(ctx, "acme", old.ID)
	if legacy.TokenFingerprint != "" {
		t.Fatalf("fingerprint not cleared: %q", legacy.TokenFingerprint)
	}
	if _, err := m.OpenClient(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "New", AccessToken: tok.Token}); !errors.Is(err, ErrTokenInUse) {
		t.Errorf("after the backfill, the same token again: err = %v, want ErrTokenInUse", err)
	}
}
