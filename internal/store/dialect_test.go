package store

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectflo/integrations/internal/store/storetest"
)

func TestRebindNumbersPlaceholdersOutsideTextAndComments(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"none", `SELECT 1`, `SELECT 1`},
		{"in order", `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`},
		{"string literal", `SELECT '?' || ? FROM t`, `SELECT '?' || $1 FROM t`},
		{"doubled quote inside a literal", `SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{"quoted identifier", `SELECT "a?b" FROM t WHERE x = ?`, `SELECT "a?b" FROM t WHERE x = $1`},
		{"line comment", "-- which? it's due\nSELECT ?", "-- which? it's due\nSELECT $1"},
		{"block comment", `SELECT /* why? */ ?`, `SELECT /* why? */ $1`},
		{"unterminated literal is left alone", `SELECT ? , 'a?`, `SELECT $1 , 'a?`},
		{"ten and more", strings.Repeat("?,", 10) + "?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, rebind(tc.query)); d != "" {
				t.Errorf("rebind(%q) (-want +got):\n%s", tc.query, d)
			}
		})
	}
}

func TestDataSourceEngineAndRedaction(t *testing.T) {
	tests := []struct {
		dsn      string
		postgres bool
		redacted string
	}{
		{"data/integrations.db", false, "data/integrations.db"},
		{"/var/lib/postgres://odd/name.db", false, "/var/lib/postgres://odd/name.db"},
		{"file:x.db?mode=rwc", false, "file:x.db?mode=rwc"},
		{"postgres://app:s3cret@db.internal:5432/integrations?sslmode=require", true, "postgres://app:xxxxx@db.internal:5432/integrations?sslmode=require"},
		{"PostgreSQL://app@db/integrations", true, "postgresql://app@db/integrations"},
		{"postgresql://db/integrations?user=app&password=s3cret", true, "postgresql://db/integrations?password=xxxxx&user=app"},
		{"postgres://app:s3cret@db:bad port/x", true, "postgres://(unparsable URL)"},
	}
	for _, tc := range tests {
		t.Run(tc.dsn, func(t *testing.T) {
			if got := IsPostgres(tc.dsn); got != tc.postgres {
				t.Errorf("IsPostgres = %v, want %v", got, tc.postgres)
			}
			if d := cmp.Diff(tc.redacted, Redact(tc.dsn)); d != "" {
				t.Errorf("Redact (-want +got):\n%s", d)
			}
		})
	}
}

// A server that cannot be reached fails Open with an error that names it without the
// password. Port 1 on loopback refuses at once.
func TestOpenPostgresErrorHidesThePassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://app:s3cret@127.0.0.1:1/integrations?connect_timeout=5")
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "app:xxxxx@127.0.0.1:1") {
		t.Errorf("Open error = %q; want the URL with its password masked", err)
	}
}

// On PostgreSQL one pool serves readers and writers, bounded, and a statement waits for a lock
// at most busyTimeout, as SQLite's writers do.
func TestPostgresPoolAndLockWaitAreBounded(t *testing.T) {
	s, _ := openOn(t, storetest.Postgres)
	if s.w != s.db || s.db.Stats().MaxOpenConnections != maxPostgresConns {
		t.Errorf("pools: one shared %v, bound %d; want one pool of %d", s.w == s.db, s.db.Stats().MaxOpenConnections, maxPostgresConns)
	}
	var got string
	if err := s.db.QueryRowContext(context.Background(), `SHOW lock_timeout`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "5s" { // PostgreSQL's display of busyTimeout
		t.Errorf("lock_timeout = %q, want 5s (busyTimeout)", got)
	}
}

// FuzzRebind: rebind only turns ? into $1, $2, … in order and leaves every other byte as it
// was, so numbering the placeholders back to ? gives the query again.
func FuzzRebind(f *testing.F) {
	for _, q := range []string{`SELECT ? FROM t WHERE a = '?' AND b = ?`, "-- ?\nSELECT ?", `/* ? */ "?" ?`, `'it''s' ?`, `?????`} {
		f.Add(q)
	}
	placeholder := regexp.MustCompile(`\$[0-9]+`)
	numbered := regexp.MustCompile(`\?[0-9]`) // SQLite's ?NNN, which the store never writes
	f.Fuzz(func(t *testing.T, query string) {
		if strings.Contains(query, "$") || numbered.MatchString(query) {
			return // a $ of the query, or a digit after a ?, could not be told from a placeholder
		}
		got := rebind(query)
		n := 0
		back := placeholder.ReplaceAllStringFunc(got, func(p string) string {
			n++
			if p != "$"+strconv.Itoa(n) {
				t.Fatalf("rebind(%q) = %q: placeholder %d is %s", query, got, n, p)
			}
			return "?"
		})
		if back != query {
			t.Fatalf("rebind(%q) = %q, which is not the query with ? numbered", query, got)
		}
	})
}

// TestRetryOnDeadlock: a transaction PostgreSQL aborted to break a deadlock is run again, at
// most deadlockAttempts times; any other outcome is returned at once.
func TestRetryOnDeadlock(t *testing.T) {
	t.Parallel()
	deadlock := &pgconn.PgError{Code: pgDeadlockDetected}
	other := errors.New("connection reset")
	for _, tc := range []struct {
		name     string
		results  []error // what each attempt returns, in order
		wantErr  error
		wantRuns int
	}{
		{"done at once", []error{nil}, nil, 1},
		{"a deadlock, then done", []error{deadlock, nil}, nil, 2},
		{"deadlocks every time", []error{deadlock, deadlock, deadlock, nil}, deadlock, deadlockAttempts},
		{"another error is not retried", []error{other, nil}, other, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			err := retryOnDeadlock(context.Background(), func() error {
				runs++
				return tc.results[runs-1]
			})
			if !errors.Is(err, tc.wantErr) || runs != tc.wantRuns {
				t.Errorf("err %v after %d runs; want %v after %d", err, runs, tc.wantErr, tc.wantRuns)
			}
		})
	}
}
