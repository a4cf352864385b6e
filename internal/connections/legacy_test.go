package connections

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
)

// The fixture's test key and token (see testdata/legacy_schema6.sql).
const (
	legacyKeys  = "legacy:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	legacyToken = "pat-na1-11111111-2222-3333-4444-555555555555"
)

// openLegacyStore restores the fixture, a database made before migration 0009, and opens it
// with today's store, which migrates it.
func openLegacyStore(t *testing.T) *store.Store {
	t.Helper()
	dump, err := os.ReadFile(filepath.Join("testdata", "legacy_schema6.sql"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "legacy.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(dump)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func legacyRing(t *testing.T, extra ...secrets.Key) *secrets.KeyRing {
	t.Helper()
	keys, err := secrets.ParseKeys(legacyKeys)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secrets.NewKeyRing(append(extra, keys...)...)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// A token sealed before connections had a uid still opens after the migration, and
// rotate-keys re-seals it bound to the uid, even when its key is already the primary.
func TestTokenSealedBeforeUIDsStillOpensAndIsResealed(t *testing.T) {
	ctx := context.Background()
	st := openLegacyStore(t)
	ring := legacyRing(t)
	before, err := st.GetConnection(ctx, "acme", "legacy")
	if err != nil {
		t.Fatal(err)
	}
	if before.UID == "" || before.TokenAADVersion != aadResourceName {
		t.Fatalf("migrated row: uid %q, associated-data version %d; want a uid and version %d", before.UID, before.TokenAADVersion, aadResourceName)
	}
	m := New(st, ring, Config{BaseURL: "http://127.0.0.1:1"})
	if _, err := m.OpenClient(ctx, before); err != nil {
		t.Fatalf("a token sealed the old way does not open after the migration: %v", err)
	}

	report, err := RotateKeys(ctx, st, ring)
	if err != nil {
		t.Fatal(err)
	}
	if want := (RotationReport{Resealed: 1, ResealedConnections: []resname.Connection{{Workspace: "acme", ID: "legacy"}}}); !reflect.DeepEqual(report, want) {
		t.Errorf("rotation report = %+v, want %+v", report, want)
	}
	after, err := st.GetConnection(ctx, "acme", "legacy")
	if err != nil {
		t.Fatal(err)
	}
	if after.TokenAADVersion != currentAAD || after.TokenKeyID != "legacy" || after.UID != before.UID {
		t.Errorf("after rotate-keys: version %d, key %q, uid %q; want version %d under the same key and uid",
			after.TokenAADVersion, after.TokenKeyID, after.UID, currentAAD)
	}
	plain, err := openToken(ring, after)
	if err != nil || string(plain) != legacyToken {
		t.Errorf("the re-sealed token does not open to the stored one: %v", err)
	}
	// Re-sealed, it no longer opens with the name alone: a successor's row could not take it.
	if _, err := ring.Open(after.TokenKeyID, after.TokenCiphertext, []byte("workspaces/acme/connections/legacy")); err == nil {
		t.Error("the re-sealed token still opens with the resource name alone")
	}
	if again, err := RotateKeys(ctx, st, ring); err != nil || again.Current != 1 || again.Resealed != 0 {
		t.Errorf("second rotation = %+v, %v; want the token counted as current", again, err)
	}
}

// A connection stored before kinds were recorded migrates to UNKNOWN with its creation time as
// the time its token was set, so the rotation advice counts from there.
func TestConnectionBeforeKindsIsUnknownSetAtCreation(t *testing.T) {
	st := openLegacyStore(t)
	c, err := st.GetConnection(context.Background(), "acme", "legacy")
	if err != nil {
		t.Fatal(err)
	}
	if c.CredentialKind != KindUnknown || c.CreateTime.IsZero() || !c.CredentialsUpdateTime.Equal(c.CreateTime) {
		t.Errorf("migrated row: kind %q, credentials set %v, created %v; want UNKNOWN set at creation", c.CredentialKind, c.CredentialsUpdateTime, c.CreateTime)
	}
	if p := rotationProblem(c.CredentialKind, c.CredentialsUpdateTime, c.CreateTime.Add(RotationAdvisedAfter+time.Hour)); p == nil ||
		!strings.Contains(p.Remedy, "Service keys") || !strings.Contains(p.Remedy, "Distribution tab") || !strings.Contains(p.Remedy, "Private Apps") {
		t.Errorf("rotation advice for an unknown kind = %+v, want the steps of every kind", p)
	}
}
