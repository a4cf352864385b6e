// Package store persists workspaces, API keys and connections in SQLite.
//
// The database is created on first use (folder 0700, file 0600) in WAL mode with a busy
// timeout, and the numbered migrations embedded in the binary are applied at open. Callers see
// the package's sentinel errors, never SQLite codes.
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

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Sentinel errors returned by the store.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a uniqueness rule would be broken (for example a duplicate name).
	ErrConflict = errors.New("store: conflict")
)

// busyTimeout is how long a writer waits for SQLite's write lock before failing.
const busyTimeout = 5 * time.Second

// Store is the SQLite-backed persistence of the service.
//
// Writes go through w, a pool of one connection: SQLite allows one writer at a time, and
// writers that meet at SQLite's lock back off by sleeping (up to 100 ms a time), which
// stalled the outbox under load; queueing them in Go instead costs nothing. Its commits are
// durable (WriterSynchronous). Reads use db, a pool of at most maxReaders connections, and
// never wait for writers (WAL).
type Store struct {
	db      *sql.DB
	w       *sql.DB
	now     func() time.Time
	inserts outboxInserts // groups concurrent outbox inserts into one commit
	replies *replyWriter  // group commits of request_replies
}

// Open opens (creating if needed) the database at path and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
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
	db, err := sql.Open("sqlite3", dsn(path, readerSynchronous))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxReaders)
	db.SetMaxIdleConns(maxReaders)
	w, err := sql.Open("sqlite3", dsn(path, WriterSynchronous))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	s := &Store{db: db, w: w, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		s.w.Close()
		s.db.Close()
		return nil, err
	}
	s.startReplyWriter()
	return s, nil
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

// dsn is the connection string of the database at path with the given PRAGMA synchronous.
func dsn(path, synchronous string) string {
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
	return errors.Join(s.w.Close(), s.db.Close())
}

// Ping checks that the database answers; /healthz uses it.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// translate maps driver errors to the store's sentinels.
func translate(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrConstraint &&
		(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// timeText formats t the way the store keeps times: RFC 3339 in UTC with nanoseconds.
func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// parseTime reads a time written by timeText.
func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
