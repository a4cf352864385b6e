package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// The schema history: migrations/ for SQLite and migrations_postgres/ for PostgreSQL hold the
// same versions under the same names (TestMigrationsOfBothEnginesMatch), so that a version
// means one schema whatever the engine.
//
//go:embed migrations/*.sql migrations_postgres/*.sql
var migrationFiles embed.FS

// migrationDir is the folder of e's migrations.
func migrationDir(e engine) string {
	if e == postgresEngine {
		return "migrations_postgres"
	}
	return "migrations"
}

// migration is one numbered SQL file of a migrations folder.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations of eng in version order. File names are
// NNNN_description.sql; versions must be unique.
func loadMigrations(eng engine) ([]migration, error) {
	dir := migrationDir(eng)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %q is not named NNNN_description.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("store: migrations %q and %q share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(migrationFiles, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrationLock is the PostgreSQL advisory lock key taken around a migration run, per schema:
// replicas starting together take turns, and each finds the migrations the first applied.
const migrationLock = "store/migrations/"

// migrate applies the migrations newer than the database, all in one transaction: either
// every pending one is applied or none is. On PostgreSQL the transaction first takes an
// advisory lock of the database's schema, so that processes starting together apply each
// migration once: the others wait, then read the version the first committed. On SQLite the
// transaction holds the write lock from BEGIN, which does the same.
func (s *Store) migrate(ctx context.Context) error {
	// Processes opening a new SQLite file together can meet at its creation (the switch to
	// WAL, the first write lock) where SQLite answers "database is locked" without waiting
	// for the busy timeout. The whole run is one transaction, so it is simply run again,
	// within busyTimeout.
	deadline := time.Now().Add(busyTimeout)
	for {
		err := s.migrateOnce(ctx)
		if s.engine != sqliteEngine || !isSQLiteBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// isSQLiteBusy reports whether err is SQLite's "database is locked" (or busy).
func isSQLiteBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// migrateOnce is one run of migrate.
func (s *Store) migrateOnce(ctx context.Context) error {
	ms, err := loadMigrations(s.engine)
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if s.engine == postgresEngine {
		// Another process may be applying a long migration: wait for it as long as ctx
		// allows, not the lock_timeout of ordinary writes.
		if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = 0`); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		var schema string
		if err := tx.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		if err := s.lockKeys(ctx, tx, migrationLock+schema); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if n := len(ms); n > 0 && current > ms[n-1].version {
		return fmt.Errorf("store: database schema version %d is newer than this binary's %d; run a newer build", current, ms[n-1].version)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, timeText(s.now())); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
