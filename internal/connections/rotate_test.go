package connections

import (
	"context"
	"errors"
	"testing"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
)

// interleavingStore runs between RotateKeys' read of a row and its write: the seam where a
// running server's UpdateCredentials, or a delete and a new Connect, can land.
type interleavingStore struct {
	*store.Store
	between func() // runs once, before the first re-sealing write
}

func (s *interleavingStore) ReplaceCiphertext(ctx context.Context, workspace, id string, prev, next store.SealedToken) error {
	if f := s.between; f != nil {
		s.between = nil
		f()
	}
	return s.Store.ReplaceCiphertext(ctx, workspace, id, prev, next)
}

// rotationFixture is a server's manager whose ring still holds only the old key k1 (it has not
// been restarted since k2 was added), and the ring rotate-keys runs with: k2 primary, k1 kept.
type rotationFixture struct {
	m       *Manager
	st      *store.Store
	sb      *sandbox.Sandbox
	acct    sandbox.Account
	newRing *secrets.KeyRing
}

func newRotationFixture(t *testing.T) rotationFixture {
	t.Helper()
	k1, err := secrets.NewKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := secrets.NewKey("k2")
	if err != nil {
		t.Fatal(err)
	}
	m, st, sb, acct, _ := newManagerWithKeys(t, k1)
	newRing, err := secrets.NewKeyRing(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	return rotationFixture{m: m, st: st, sb: sb, acct: acct, newRing: newRing}
}

func (f rotationFixture) token(t *testing.T) string {
	t.Helper()
	tok, err := f.sb.CreateToken(sandbox.Token{HubID: f.acct.HubID, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// storedToken opens the row's token with the rotation ring.
func (f rotationFixture) storedToken(t *testing.T, name resname.Connection) (string, store.Connection) {
	t.Helper()
	c, err := f.st.GetConnection(context.Background(), name.Workspace, name.ID)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := openToken(f.newRing, c)
	if err != nil {
		t.Fatalf("the stored token does not open: %v", err)
	}
	return string(plain), c
}

func TestRotateKeysNeverBringsBackAnOldToken(t *testing.T) {
	ctx := context.Background()
	f := newRotationFixture(t)
	oldTok, newTok := f.token(t), f.token(t)
	c, err := f.m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "Prod", ID: "prod", AccessToken: oldTok})
	if err != nil {
		t.Fatal(err)
	}
	name := resname.Connection{Workspace: c.Workspace, ID: c.ID}
	st := &interleavingStore{Store: f.st, between: func() {
		if _, err := f.m.UpdateCredentials(ctx, name, newTok); err != nil {
			t.Errorf("UpdateCredentials during the rotation: %v", err)
		}
	}}
	report, err := RotateKeys(ctx, st, f.newRing)
	if err != nil {
		t.Fatal(err)
	}
	got, row := f.storedToken(t, name)
	if got != newTok {
		t.Errorf("after a rotation raced by UpdateCredentials the stored token is the previous one (hint %q)", row.TokenHint)
	}
	if row.TokenKeyID != "k2" || report.Resealed != 1 || report.Retried != 1 {
		t.Errorf("key id %q, report %+v: want the new token re-sealed under k2 on the retry", row.TokenKeyID, report)
	}
}

func TestRotateKeysNeverGivesASuccessorItsPredecessorsToken(t *testing.T) {
	ctx := context.Background()
	f := newRotationFixture(t)
	firstTok, secondTok := f.token(t), f.token(t)
	first, err := f.m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "Prod", ID: "prod", AccessToken: firstTok})
	if err != nil {
		t.Fatal(err)
	}
	name := resname.Connection{Workspace: first.Workspace, ID: first.ID}
	st := &interleavingStore{Store: f.st, between: func() {
		if err := f.m.Delete(ctx, name, ""); err != nil {
			t.Errorf("delete during the rotation: %v", err)
		}
		if _, err := f.m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "Prod", ID: "prod", AccessToken: secondTok}); err != nil {
			t.Errorf("connect again during the rotation: %v", err)
		}
	}}
	if _, err := RotateKeys(ctx, st, f.newRing); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.storedToken(t, name); got != secondTok {
		t.Error("rotate-keys wrote the deleted connection's token into its same-name successor")
	}
}

func TestPredecessorsCiphertextDoesNotOpenInSuccessor(t *testing.T) {
	ctx := context.Background()
	f := newRotationFixture(t)
	first, err := f.m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "Prod", ID: "prod", AccessToken: f.token(t)})
	if err != nil {
		t.Fatal(err)
	}
	name := resname.Connection{Workspace: first.Workspace, ID: first.ID}
	if err := f.m.Delete(ctx, name, ""); err != nil {
		t.Fatal(err)
	}
	second, err := f.m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "Prod", ID: "prod", AccessToken: f.token(t)})
	if err != nil {
		t.Fatal(err)
	}
	// The deleted connection's sealed token lands on its successor's row (a stale write, or
	// a restored backup row): it must not open there.
	if err := f.st.ReplaceCiphertext(ctx, "acme", "prod", second.Sealed(), first.Sealed()); err != nil {
		t.Fatal(err)
	}
	swapped, err := f.m.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.OpenClient(ctx, swapped); !errors.Is(err, ErrTokenUnreadable) {
		t.Errorf("the successor opened its predecessor's ciphertext: err = %v, want ErrTokenUnreadable", err)
	}
}
