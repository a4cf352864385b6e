package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// This file is the one place where the two engines differ: which one a data source names,
// how PostgreSQL is opened (and its placeholders rewritten), how driver errors become the
// store's sentinels, and the per-key transaction lock that PostgreSQL needs where SQLite's
// single writer already serialises. Queries are written once, in SQL both engines accept;
// where they cannot be, the branch sits beside the query.

// engine is the database behind a Store.
type engine int

const (
	sqliteEngine engine = iota
	postgresEngine
)

// IsPostgres reports whether a data source names PostgreSQL: a postgres:// or postgresql://
// URL. Anything else is the path of a SQLite file.
func IsPostgres(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}

// Redact returns a data source fit for logs and errors: a PostgreSQL URL without its
// password (and without a password given as a query parameter); a SQLite path as it is.
func Redact(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL)" // its text may hold the password
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// maxPostgresConns bounds the PostgreSQL pool, readers and writers together. PostgreSQL
// takes concurrent writers (row locks, not one lock for the database), so unlike SQLite one
// pool serves both. Each connection is a server process with its own memory, and every
// replica shares the server's max_connections (100 by default): ten per replica leaves room
// for several replicas and an operator's psql. Callers beyond it queue in database/sql.
const maxPostgresConns = 10

// openPostgres opens the pool of a postgres:// URL and checks that the server answers.
func openPostgres(ctx context.Context, dsn string) (*sql.DB, error) {
	return OpenPostgres(ctx, dsn, maxPostgresConns)
}

// OpenPostgres opens a pool of at most maxConns connections to the PostgreSQL database at
// dsn, with the store's settings (a bounded lock wait, the store's ? placeholders accepted
// beside $n), for a package that keeps its own tables there (the shared HubSpot budget). Its
// errors never hold the URL's password.
func OpenPostgres(ctx context.Context, dsn string, maxConns int) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors name the URL with its password masked; ours too.
		return nil, fmt.Errorf("store: PostgreSQL URL %s: %w", Redact(dsn), err)
	}
	// A statement waits at most busyTimeout for a lock, as SQLite's writers do, so that a
	// transaction stuck holding one (a process hung mid-write) fails callers rather than
	// holding them; a URL that sets lock_timeout itself keeps its own.
	if _, set := cfg.RuntimeParams["lock_timeout"]; !set {
		cfg.RuntimeParams["lock_timeout"] = fmt.Sprint(busyTimeout.Milliseconds())
	}
	db := sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", Redact(dsn), err)
	}
	return db, nil
}

// rebindConnector hands out pgx connections that accept the store's ? placeholders.
type rebindConnector struct{ driver.Connector }

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return rebindConn{conn.(*stdlib.Conn)}, nil
}

// rebindConn is a pgx connection whose statements are written with ? placeholders, as
// SQLite's are; it rewrites them to PostgreSQL's $1, $2, … Everything else (transactions,
// argument checks, session reset) is pgx's own.
type rebindConn struct{ *stdlib.Conn }

func (c rebindConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebind(query))
}

func (c rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// rebind rewrites each ? placeholder of query to $1, $2, … in order. A ? inside a string
// literal ('…', where a doubled quote is a quote), a quoted identifier ("…") or a comment (--
// to the end of the line, /* … */) is text and stays. The store's SQL has no dollar-quoted
// string holding a ?, and no ?NNN (SQLite's numbered placeholder).
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(query[i+1:], c) // a doubled quote reads as two literals: same text
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+1])
			i += end
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+4])
			i += end + 3
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// PostgreSQL's SQLSTATE codes the store translates (www.postgresql.org/docs/15/errcodes-appendix.html).
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// translate maps driver errors to the store's sentinels: no row is ErrNotFound, a unique or
// primary key violation is ErrConflict (wrapping the driver's error), on either engine.
func translate(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrConstraint &&
		(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == pgUniqueViolation {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// pgDeadlockDetected is PostgreSQL's code for a transaction it aborted to break a deadlock.
const pgDeadlockDetected = "40P01"

// deadlockAttempts bounds retryOnDeadlock: a deadlock is two transactions taking the same rows
// in different orders at the same moment, unlikely twice in a row, let alone three times.
const deadlockAttempts = 3

// retryOnDeadlock runs op, a whole transaction or one statement, and again when PostgreSQL
// aborted it to break a deadlock (its work undone, so running it again is safe), up to
// deadlockAttempts times. Several replicas writing one connection's timeline events (one
// rescheduling them while another saves a batch's outcome) can meet that way; SQLite, with
// one writer at a time, never does.
func retryOnDeadlock(ctx context.Context, op func() error) error {
	var err error
	for range deadlockAttempts {
		var pe *pgconn.PgError
		if err = op(); !errors.As(err, &pe) || pe.Code != pgDeadlockDetected || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// isForeignKeyViolation reports whether err is a write refused for naming a row that does
// not exist.
func isForeignKeyViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintForeignKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == pgForeignKeyViolation
}

// lockKeys serialises, until tx ends, the transactions that lock one of keys. On SQLite it
// does nothing: every write transaction holds the database's write lock from BEGIN (the
// single writer, _txlock=immediate). On PostgreSQL, READ COMMITTED lets writers run
// side by side, and a check-then-write (a count against a cap, a seq handed out by a
// sequence) would see neither the other's uncommitted rows nor wait for them; a transaction
// advisory lock per key makes them take turns, and each statement after the lock sees what
// the previous holder committed. Keys are locked in sorted order, so two transactions
// locking overlapping sets never deadlock. Keys are hashed to 64 bits: two keys sharing a
// hash only take turns needlessly.
func (s *Store) lockKeys(ctx context.Context, tx *sql.Tx, keys ...string) error {
	if s.engine != postgresEngine || len(keys) == 0 {
		return nil
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	for _, k := range sorted {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, k); err != nil {
			return fmt.Errorf("store: lock %s: %w", k, err)
		}
	}
	return nil
}

// boolInt is a flag as the store keeps it: an INTEGER 0 or 1 on both engines (pgx does not
// write a Go bool into an integer column).
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
