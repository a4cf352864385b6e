// Package storetest gives tests a fresh, empty database on each engine the store runs on:
// a SQLite file in the test's temporary folder, and a schema of its own on the PostgreSQL
// server that INTEGRATIONS_TEST_POSTGRES names.
//
// Without that variable the PostgreSQL tests skip, saying how to run them; with
// POSTGRES_REQUIRED=1 (CI) they fail instead. scripts/postgres starts a throwaway server and
// prints its URL.
package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The environment of the PostgreSQL tests.
const (
	// PostgresEnv names a postgres:// URL of a database in which the tests may create and
	// drop schemas.
	PostgresEnv = "INTEGRATIONS_TEST_POSTGRES"
	// RequiredEnv set to 1 makes a missing PostgresEnv a failure rather than a skip.
	RequiredEnv = "POSTGRES_REQUIRED"
)

// Engine is one engine the store runs on, and how a test gets a fresh data source for it.
type Engine struct {
	Name string
	// DSN returns a data source (store.Open's argument) of an empty database for t alone,
	// removed when t ends.
	DSN func(t testing.TB) string
}

// SQLite and Postgres are the engines.
var (
	SQLite   = Engine{Name: "sqlite", DSN: SQLiteDSN}
	Postgres = Engine{Name: "postgres", DSN: PostgresDSN}
)

// Engines is every engine the store runs on: a test that holds on both runs as a subtest of each.
func Engines() []Engine { return []Engine{SQLite, Postgres} }

// OnEachEngine runs test once per engine, as subtests named after them ("sqlite", "postgres").
func OnEachEngine(t *testing.T, test func(t *testing.T, e Engine)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) { test(t, e) })
	}
}

// SQLiteDSN is the path of a database file (not yet created) in t's temporary folder.
func SQLiteDSN(t testing.TB) string {
	return filepath.Join(t.TempDir(), "data", "integrations.db")
}

// PostgresURL returns the URL of the test server, or skips t (fails it under
// POSTGRES_REQUIRED=1) when none is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u != "" {
		return u
	}
	msg := fmt.Sprintf("PostgreSQL tests need %s, a postgres:// URL of a database they may create schemas in "+
		"(scripts/postgres start runs a throwaway server and prints one)", PostgresEnv)
	if os.Getenv(RequiredEnv) == "1" {
		t.Fatalf("%s=1 but %s is unset: %s", RequiredEnv, PostgresEnv, msg)
	}
	t.Skip("skipped: " + msg)
	return ""
}

// PostgresDSN creates a schema of its own for t on the test server and returns the server's
// URL with that schema as its search_path, so that every table the store creates lands in it.
// The schema is dropped, with everything in it, when t ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("storetest: connect to %s: %v", PostgresEnv, err)
	}
	defer conn.Close(ctx)
	schema := "test_" + strings.ToLower(rand.Text())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
