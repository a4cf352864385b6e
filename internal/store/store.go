// Package store persists workspaces, API keys, connections and everything kept for them, in
// SQLite (the embedded default) or PostgreSQL (several replicas sharing one database).
//
// Open picks the engine from its data source: a postgres:// or postgresql:// URL is
// PostgreSQL, anything else a SQLite file. A SQLite database is created on first use (folder
// 0700, file 0600) in WAL mode with a busy timeout. On either engine the numbered migrations
// embedded in the binary (migrations/ for SQLite, migrations_postgres/ for PostgreSQL: the same
// versions and names, one schema history) are applied at open. Callers see the package's
// sentinel errors, never driver codes.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// Sentinel errors returned by the store.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a uniqueness rule would be broken (for example a duplicate name).
	ErrConflict = errors.New("store: conflict")
)

// busyTimeout is how long a writer waits for a lock before failing: SQLite's write lock, or on
// PostgreSQL any row or advisory lock (lock_timeout).
const busyTimeout = 5 * time.Second

// Store is the persistence of the service, on SQLite or PostgreSQL.
//
// On SQLite, writes go through w, a pool of one connection: SQLite allows one writer at a
// time, and writers that meet at SQLite's lock back off by sleeping (up to 100 ms a time),
// which stalled the outbox under load; queueing them in Go instead costs nothing. Its commits
// are durable (WriterSynchronous). Reads use db, a pool of at most maxReaders connections, and
// never wait for writers (WAL). On PostgreSQL, w and db are one pool (maxPostgresConns).
type Store struct {
	db      *sql.DB
	w       *sql.DB
	engine  engine
	now     func() time.Time
	inserts outboxInserts // groups concurrent outbox inserts into one commit
	replies *replyWriter  // group commits of request_replies
}

// Open opens the database that dsn names, creating a SQLite file if needed, and applies
// pending migrations. A postgres:// or postgresql:// URL is PostgreSQL (its database must
// exist); anything else is the path of a SQLite file. Errors never hold a URL's password.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var s *Store
	var err error
	if IsPostgres(dsn) {
		var db *sql.DB
		if db, err = openPostgres(ctx, dsn); err != nil {
			return nil, err
		}
		s = &Store{db: db, w: db, engine: postgresEngine, now: time.Now}
	} else if s, err = openSQLite(dsn); err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		return nil, errors.Join(err, s.closeDBs())
	}
	s.startReplyWriter()
	return s, nil
}

// openSQLite opens (creating if needed) the SQLite database at path.
func openSQLite(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create folder for %s: %w", path, err)
		}
	}
	// Create the file ourselves so that it is 0600 whatever the umask; SQLite gives its
	// -wal and -shm files the same mode as the database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // the operator names the database
	if err != nil {
		return nil, fmt.Errorf("store: create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", path, err)
	}
	db, err := sql.Open("sqlite3", sqliteDSN(path, readerSynchronous))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxReaders)
	db.SetMaxIdleConns(maxReaders)
	w, err := sql.Open("sqlite3", sqliteDSN(path, WriterSynchronous))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	return &Store{db: db, w: w, engine: sqliteEngine, now: time.Now}, nil
}

// WriterSynchronous is the writer's PRAGMA synchronous. In WAL mode NORMAL syncs only at
// checkpoints, so an OS crash or power loss can take back transactions that were already
// committed, and with them an accepted timeline event or the in-doubt mark written before
// its send (a duplicate in HubSpot later). FULL syncs the WAL at every commit: an answered
// write survives power loss. The cost is one fsync per write transaction (the bench measures
// it beside NORMAL).
const WriterSynchronous = "FULL"

// readerSynchronous: readers commit nothing, so the setting only matters to writes.
const readerSynchronous = "NORMAL"

// maxReaders bounds the read pool. WAL readers do not block each other, but each connection
// holds its own page cache and file handles; past a few per core more connections add
// memory, not throughput, and an unbounded pool let a burst of slow reads open as many
// connections as there were requests. Callers beyond the bound queue in database/sql.
const maxReaders = 8

// sqliteDSN is the connection string of the database at path with the given PRAGMA synchronous.
func sqliteDSN(path, synchronous string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", synchronous)
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Close closes the database.
func (s *Store) Close() error {
	s.stopReplyWriter()
	return s.closeDBs()
}

// closeDBs closes the pools (one on PostgreSQL).
func (s *Store) closeDBs() error {
	if s.w == s.db {
		return s.db.Close()
	}
	return errors.Join(s.w.Close(), s.db.Close())
}

// Ping checks that the database answers; /healthz uses it.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// timeText formats t the way the store keeps times: RFC 3339 in UTC with nanoseconds.
func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// parseTime reads a time written by timeText.
func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
