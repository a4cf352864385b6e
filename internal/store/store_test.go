package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// openOn opens a store on a fresh database of e, closed when t ends, and returns it with its
// data source (to open it again).
func openOn(t *testing.T, e storetest.Engine) (*Store, string) {
	t.Helper()
	dsn := e.DSN(t)
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

// openTemp opens a store on a fresh SQLite file, for what only SQLite has (files, PRAGMAs).
func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	return openOn(t, storetest.SQLite)
}

func TestOpenCreatesPrivateFilesInWALMode(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %o, want %o", p, got, want)
		}
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var timeout int
	if err := s.db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if timeout != int(busyTimeout.Milliseconds()) {
		t.Errorf("busy_timeout = %d, want %d", timeout, busyTimeout.Milliseconds())
	}
}

func TestMigrationsApplyOnceAndReopen(t *testing.T) {
	storetest.OnEachEngine(t, testMigrationsApplyOnceAndReopen)
}

func testMigrationsApplyOnceAndReopen(t *testing.T, e storetest.Engine) {
	s, path := openOn(t, e)
	ctx := context.Background()
	ms, err := loadMigrations(s.engine)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := ms[len(ms)-1].version; v != want {
		t.Fatalf("schema version = %d, want %d", v, want)
	}
	if err := s.CreateAPIKey(ctx, APIKey{ID: "k1", Hash: []byte("h"), Workspace: "acme", CreateTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if _, err := s2.APIKeyByID(ctx, "k1"); err != nil {
		t.Fatalf("key lost across reopen: %v", err)
	}
	var n int
	if err := s2.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d (each migration once)", n, len(ms))
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) { storetest.OnEachEngine(t, testOpenRefusesNewerSchema) }

func testOpenRefusesNewerSchema(t *testing.T, e storetest.Engine) {
	s, path := openOn(t, e)
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (9999, 'future', 'x')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path); err == nil {
		t.Fatal("Open accepted a database from a newer binary")
	}
}

func TestAPIKeys(t *testing.T) { storetest.OnEachEngine(t, testAPIKeys) }

func testAPIKeys(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	created := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	k := APIKey{ID: "abc", Hash: []byte{1, 2, 3}, Workspace: AllWorkspaces, CreateTime: created}
	if err := s.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := s.APIKeyByID(ctx, "abc")
	if err != nil {
		t.Fatal(err)
	}
	if got.Workspace != AllWorkspaces || string(got.Hash) != string(k.Hash) || !got.CreateTime.Equal(created) {
		t.Errorf("APIKeyByID = %+v, want %+v", got, k)
	}
	if err := s.CreateAPIKey(ctx, k); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate key id: err = %v, want ErrConflict", err)
	}
	if _, err := s.APIKeyByID(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown key: err = %v, want ErrNotFound", err)
	}
}

func TestConnectionsPagingAndUniqueness(t *testing.T) {
	storetest.OnEachEngine(t, testConnectionsPagingAndUniqueness)
}

func testConnectionsPagingAndUniqueness(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		c := &Connection{Workspace: "acme", ID: fmt.Sprintf("c%d", i), DisplayName: fmt.Sprintf("HubSpot %d", i),
			Status: "CONNECTED", GrantedScopes: []string{"a", "b"}, CreateTime: now, UpdateTime: now}
		if err := s.InsertConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		if c.Seq != int64(i+1) {
			t.Errorf("Seq = %d, want %d", c.Seq, i+1)
		}
	}
	other := &Connection{Workspace: "globex", ID: "c0", DisplayName: "HubSpot 0", Status: "CONNECTED", CreateTime: now, UpdateTime: now}
	if err := s.InsertConnection(ctx, other); err != nil {
		t.Fatalf("same id and name in another workspace: %v", err)
	}
	dup := &Connection{Workspace: "acme", ID: "c9", DisplayName: "HubSpot 2", Status: "CONNECTED", CreateTime: now, UpdateTime: now}
	if err := s.InsertConnection(ctx, dup); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate display name: err = %v, want ErrConflict", err)
	}

	var names []string
	var after int64
	for {
		page, err := s.ListConnections(ctx, "acme", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			names = append(names, c.ID)
		}
		after = page[len(page)-1].Seq
	}
	if fmt.Sprint(names) != "[c0 c1 c2 c3 c4]" {
		t.Errorf("paged ids = %v, want c0..c4 in creation order", names)
	}
	got, err := s.GetConnection(ctx, "acme", "c3")
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "HubSpot 3" || fmt.Sprint(got.GrantedScopes) != "[a b]" || !got.FieldsDiscoveredAt.IsZero() {
		t.Errorf("GetConnection = %+v", got)
	}
	if _, err := s.GetConnection(ctx, "globex", "c3"); !errors.Is(err, ErrNotFound) {
		t.Errorf("connection of another workspace: err = %v, want ErrNotFound", err)
	}
}

func TestAPIKeysListAndRevoke(t *testing.T) { storetest.OnEachEngine(t, testAPIKeysListAndRevoke) }

func testAPIKeysListAndRevoke(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for i, k := range []APIKey{{ID: "bbb", Workspace: "acme"}, {ID: "aaa", Workspace: "globex"}, {ID: "ccc", Workspace: AllWorkspaces}, {ID: "ddd", Workspace: "acme"}} {
		k.Hash, k.CreateTime = []byte{byte(i)}, t0.Add(time.Duration(i)*time.Minute)
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ks []APIKey) (out []string) {
		for _, k := range ks {
			out = append(out, k.ID)
		}
		return out
	}
	all, err := s.ListAPIKeys(ctx, "")
	if err != nil || !slices.Equal(ids(all), []string{"ccc", "bbb", "ddd", "aaa"}) {
		t.Fatalf("ListAPIKeys = %v, %v; want by workspace then creation", ids(all), err)
	}
	if acme, _ := s.ListAPIKeys(ctx, "acme"); !slices.Equal(ids(acme), []string{"bbb", "ddd"}) {
		t.Errorf("acme keys = %v", ids(acme))
	}
	revokedAt := t0.Add(time.Hour)
	k, err := s.RevokeAPIKey(ctx, "bbb", revokedAt)
	if err != nil || !k.Revoked() || !k.RevokeTime.Equal(revokedAt) || k.Workspace != "acme" {
		t.Fatalf("RevokeAPIKey = %+v, %v", k, err)
	}
	if k, err := s.RevokeAPIKey(ctx, "bbb", revokedAt.Add(time.Hour)); err != nil || !k.RevokeTime.Equal(revokedAt) {
		t.Errorf("revoking again must keep the first time: %+v, %v", k, err)
	}
	if _, err := s.RevokeAPIKey(ctx, "zzz", revokedAt); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking an unknown id: %v, want ErrNotFound", err)
	}
	if k, err := s.APIKeyByID(ctx, "bbb"); err != nil || !k.Revoked() {
		t.Errorf("APIKeyByID of a revoked key = %+v, %v", k, err)
	}
	if k, err := s.APIKeyByID(ctx, "ddd"); err != nil || k.Revoked() {
		t.Errorf("APIKeyByID of an active key = %+v, %v", k, err)
	}
}
