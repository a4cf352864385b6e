package store

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// One schema history: each engine's folder has the same versions under the same names.
func TestMigrationsOfBothEnginesMatch(t *testing.T) {
	names := func(e engine) []string {
		ms, err := loadMigrations(e)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.name)
		}
		return out
	}
	if d := cmp.Diff(names(sqliteEngine), names(postgresEngine)); d != "" {
		t.Errorf("migrations/ (-) and migrations_postgres/ (+) differ:\n%s", d)
	}
}

// Replicas starting together on a fresh database all open it, and each migration is applied
// once: one run takes the lock, the others wait and find the schema current.
func TestConcurrentOpensApplyEachMigrationOnce(t *testing.T) {
	storetest.OnEachEngine(t, testConcurrentOpensApplyEachMigrationOnce)
}

func testConcurrentOpensApplyEachMigrationOnce(t *testing.T, e storetest.Engine) {
	const replicas = 4
	dsn := e.DSN(t)
	stores := make([]*Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("replica %d: Open: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { s.Close() })
	}
	if t.Failed() {
		return
	}
	ms, err := loadMigrations(stores[0].engine)
	if err != nil {
		t.Fatal(err)
	}
	var want, got []int
	for _, m := range ms {
		want = append(want, m.version)
	}
	rows, err := stores[0].db.QueryContext(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("applied migrations (-want +got):\n%s", d)
	}
}
