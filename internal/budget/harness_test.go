package budget_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"

	"github.com/connectflo/integrations/internal/budget"
	"github.com/connectflo/integrations/internal/hubspot"
)

// postgresEnv is the variable naming the PostgreSQL the tests may create schemas in.
const postgresEnv = "INTEGRATIONS_TEST_POSTGRES"

// testPostgres returns a postgres:// URL whose connections use a new, empty schema holding
// the budget's tables (created from the migration file itself), dropped when the test ends.
// Without INTEGRATIONS_TEST_POSTGRES the test is skipped, or fails when POSTGRES_REQUIRED=1
// (CI, where a missing database must not pass silently).
func testPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv(postgresEnv)
	if base == "" {
		if os.Getenv("POSTGRES_REQUIRED") == "1" {
			t.Fatalf("%s is not set and POSTGRES_REQUIRED=1", postgresEnv)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL ledger (set it to a postgres:// URL of a database the tests may create schemas in)", postgresEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var raw [6]byte
	if _, err := rand.Read(raw[:]); err != nil {
		t.Fatal(err)
	}
	schema := "budget_test_" + hex.EncodeToString(raw[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating a schema in %s: %v", postgresEnv, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	migration, err := os.ReadFile("../store/migrations_postgres/0018_hubspot_budget.sql")
	if err != nil {
		t.Fatal(err)
	}
	db := openPostgres(t, u.String())
	if _, err := db.ExecContext(ctx, string(migration)); err != nil {
		t.Fatalf("applying the migration: %v", err)
	}
	return u.String()
}

// openPostgres opens a pool on dsn, closed when the test ends: one per replica.
func openPostgres(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// replicas is one ledger as several replicas see it: replica(i) is the i-th replica's
// window of a budget key, and age makes d pass for that key's slots on the ledger's clock.
type replicas struct {
	replica func(i int, key string) hubspot.SharedWindow
	age     func(t *testing.T, key string, d time.Duration)
}

// ledgerKind is one implementation of the ledger under test.
type ledgerKind struct {
	name string
	open func(t *testing.T, hold time.Duration) replicas
}

var ledgerKinds = []ledgerKind{
	{"memory", openMemory},
	{"postgres", openPostgresLedger},
}

// fakeClock is the memory ledger's clock, which age moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openMemory(t *testing.T, hold time.Duration) replicas {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)}
	m := budget.NewMemory(hold, clock.Now)
	return replicas{
		replica: func(_ int, key string) hubspot.SharedWindow { return m.Window(key) },
		age:     func(_ *testing.T, _ string, d time.Duration) { clock.advance(d) },
	}
}

// openPostgresLedger gives each replica its own pool and ledger on one schema; age moves
// the key's stamps back, which is time passing for every comparison the ledger makes.
func openPostgresLedger(t *testing.T, hold time.Duration) replicas {
	dsn := testPostgres(t)
	var mu sync.Mutex
	ledgers := map[int]*budget.Postgres{}
	admin := openPostgres(t, dsn)
	return replicas{
		replica: func(i int, key string) hubspot.SharedWindow {
			mu.Lock()
			defer mu.Unlock()
			if ledgers[i] == nil {
				ledgers[i] = budget.NewPostgres(openPostgres(t, dsn), hold)
			}
			return ledgers[i].Window(key)
		},
		age: func(t *testing.T, key string, d time.Duration) {
			t.Helper()
			if _, err := admin.ExecContext(context.Background(), `UPDATE hubspot_budget_slots
				SET granted_at = granted_at - $2 * interval '1 microsecond', stamp = stamp - $2 * interval '1 microsecond'
				WHERE budget_key = $1`, key, d.Microseconds()); err != nil {
				t.Fatal(err)
			}
		},
	}
}
