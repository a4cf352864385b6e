package pgnotify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"

	"github.com/connectflo/integrations/internal/changes"
)

// postgresEnv is the variable naming the PostgreSQL the tests may use.
const postgresEnv = "INTEGRATIONS_TEST_POSTGRES"

// testPostgres returns the postgres:// URL of INTEGRATIONS_TEST_POSTGRES. Without it the test
// is skipped, or fails when POSTGRES_REQUIRED=1 (CI, where a missing database must not pass
// silently). Notifications need no table: tests share the database and tell their own
// notifications apart by random payloads.
func testPostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		if os.Getenv("POSTGRES_REQUIRED") == "1" {
			t.Fatalf("%s is not set and POSTGRES_REQUIRED=1", postgresEnv)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL notifier (set it to a postgres:// URL of a database the tests may use)", postgresEnv)
	}
	return dsn
}

func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func randomName(t *testing.T, prefix string) string {
	t.Helper()
	var raw [6]byte
	if _, err := rand.Read(raw[:]); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(raw[:])
}

// heard is one delivery of a listener.
type heard struct {
	Channel, Payload string
}

// recorder records a listener's deliveries, in order.
type recorder struct {
	heard     chan heard
	listening chan struct{}
}

func newRecorder() *recorder {
	return &recorder{heard: make(chan heard, 1000), listening: make(chan struct{}, 100)}
}

// record keeps h unless the recorder is full: a listener's delivery must not wait, and a test
// waiting for h fails when it was dropped.
func (r *recorder) record(h heard) {
	select {
	case r.heard <- h:
	default:
	}
}

// deliver records into r, then hands to next (when set).
func (r *recorder) deliver(next *Deliver) Deliver {
	return Deliver{
		Changes: func(uid string) {
			if next != nil {
				next.Changes(uid)
			}
			r.record(heard{ChangesChannel, uid})
		},
		Inbox: func(news changes.InboxNews) {
			if next != nil {
				next.Inbox(news)
			}
			r.record(heard{InboxChannel, string(news)})
		},
		Listening: func() {
			if next != nil {
				next.Listening()
			}
			select {
			case r.listening <- struct{}{}:
			default: // more reconnects than any test waits for
			}
		},
	}
}

// waitCtx ends a little before the test's deadline, so that a notification that never
// comes fails the test with a message rather than the binary with a panic. It bounds a hang,
// it does not time anything.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	deadline, ok := t.Deadline()
	if !ok {
		return t.Context()
	}
	ctx, cancel := context.WithDeadline(t.Context(), deadline.Add(-5*time.Second))
	t.Cleanup(cancel)
	return ctx
}

// waitHeard waits until r hears want, skipping what other tests on the database notified.
func waitHeard(ctx context.Context, t *testing.T, r *recorder, want heard) {
	t.Helper()
	for {
		select {
		case got := <-r.heard:
			if got == want {
				return
			}
		case <-ctx.Done():
			t.Fatalf("never heard %+v", want)
		}
	}
}

func waitListening(ctx context.Context, t *testing.T, r *recorder) {
	t.Helper()
	select {
	case <-r.listening:
	case <-ctx.Done():
		t.Fatal("the listener never listened")
	}
}

// runListener runs a listener on dsn delivering to d until the test ends; idle > 0 replaces
// the idle check's period.
func runListener(t *testing.T, dsn string, d Deliver, idle time.Duration) {
	t.Helper()
	l, err := NewListener(dsn, d, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if idle > 0 {
		l.idle = idle
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// TestNotifyReachesAListenerOnAnotherConnection: what one replica's pool notifies, a listener
// on its own connection hears, on the right channel with the payload sent.
func TestNotifyReachesAListenerOnAnotherConnection(t *testing.T) {
	t.Parallel()
	dsn := testPostgres(t)
	ctx := waitCtx(t)
	r := newRecorder()
	runListener(t, dsn, r.deliver(nil), 0)
	waitListening(ctx, t, r)
	sender := NewNotifier(openDB(t, dsn))
	uid := randomName(t, "uid-")
	for _, tc := range []struct {
		name string
		send func() error
		want heard
	}{
		{"changes of a connection", func() error { return sender.NotifyChanges(ctx, uid) }, heard{ChangesChannel, uid}},
		{"events added to the inbox", func() error { return sender.NotifyInbox(ctx, changes.InboxEventsAdded) }, heard{InboxChannel, "events"}},
		{"the inbox lease freed", func() error { return sender.NotifyInbox(ctx, changes.InboxLeaseFreed) }, heard{InboxChannel, "released"}},
	} {
		if err := tc.send(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		waitHeard(ctx, t, r, tc.want)
	}
}

// TestListenerReconnectsAndWakesEveryWatcher: a listener whose connection the server kills
// connects again, wakes every watcher of the feed (what was notified meanwhile is lost), has
// the inbox processor look again, and hears notifications again.
func TestListenerReconnectsAndWakesEveryWatcher(t *testing.T) {
	t.Parallel()
	base := testPostgres(t)
	ctx := waitCtx(t)
	app := randomName(t, "pgnotify_test_")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("application_name", app) // how the test finds the listener's backend
	u.RawQuery = q.Encode()

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	feed := changes.NewFeed(nil, logger)
	to := To(feed, changes.NewProcessor(feed, nil, nil, logger))
	r := newRecorder()
	runListener(t, u.String(), r.deliver(&to), 0)
	waitListening(ctx, t, r)

	watchers := map[string]<-chan struct{}{"uid-a": feed.Wake("uid-a"), "uid-b": feed.Wake("uid-b")}
	admin := openDB(t, base)
	var backends, pid int
	if err := admin.QueryRowContext(ctx, `SELECT count(*), coalesce(min(pid), 0) FROM pg_stat_activity WHERE application_name = $1`,
		app).Scan(&backends, &pid); err != nil {
		t.Fatal(err)
	}
	if backends != 1 {
		t.Fatalf("%d backends named %s, want the listener's one", backends, app)
	}
	var killed bool
	if err := admin.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminating the listener's backend: %v, %v", killed, err)
	}
	waitListening(ctx, t, r)
	woken := map[string]bool{}
	for uid, w := range watchers {
		select {
		case <-w:
			woken[uid] = true
		default:
			woken[uid] = false
		}
	}
	if d := cmp.Diff(map[string]bool{"uid-a": true, "uid-b": true}, woken); d != "" {
		t.Errorf("watchers woken by the reconnect (-want +got):\n%s", d)
	}
	uid := randomName(t, "uid-")
	if err := NewNotifier(admin).NotifyChanges(ctx, uid); err != nil {
		t.Fatal(err)
	}
	waitHeard(ctx, t, r, heard{ChangesChannel, uid})
}

// TestIdleChecksKeepTheConnection: the idle check (a wait cut short, then a ping) neither
// breaks the connection nor loses a notification, however often it runs.
func TestIdleChecksKeepTheConnection(t *testing.T) {
	t.Parallel()
	dsn := testPostgres(t)
	ctx := waitCtx(t)
	r := newRecorder()
	runListener(t, dsn, r.deliver(nil), time.Millisecond) // a check at almost every wait
	waitListening(ctx, t, r)
	sender := NewNotifier(openDB(t, dsn))
	for i := range 20 {
		uid := randomName(t, fmt.Sprintf("uid-%d-", i))
		if err := sender.NotifyChanges(ctx, uid); err != nil {
			t.Fatal(err)
		}
		waitHeard(ctx, t, r, heard{ChangesChannel, uid})
	}
	if n := len(r.listening); n != 0 {
		t.Errorf("the listener connected %d more times: the idle checks broke its connection", n)
	}
}

// TestNotifierRefusesWhatCannotBeAPayload: payloads are checked before the database is asked.
func TestNotifierRefusesWhatCannotBeAPayload(t *testing.T) {
	t.Parallel()
	n := NewNotifier(nil) // never reached
	for _, tc := range []struct {
		name string
		send func() error
	}{
		{"an empty uid", func() error { return n.NotifyChanges(t.Context(), "") }},
		{"a uid over the payload limit", func() error { return n.NotifyChanges(t.Context(), strings.Repeat("u", MaxPayload+1)) }},
		{"unknown inbox news", func() error { return n.NotifyInbox(t.Context(), "full") }},
	} {
		if err := tc.send(); err == nil {
			t.Errorf("%s: sent", tc.name)
		}
	}
}

// TestNewListenerHidesTheURL: a URL pgx cannot read is refused without being quoted, since
// it may hold a password.
func TestNewListenerHidesTheURL(t *testing.T) {
	t.Parallel()
	d := Deliver{Changes: func(string) {}, Inbox: func(changes.InboxNews) {}, Listening: func() {}}
	for _, tc := range []struct {
		name, dsn string
		d         Deliver
	}{
		{"a URL pgx cannot read", "postgres://user:s3cr3t@localhost:notaport/db", d},
		{"a delivery missing", "postgres://user:s3cr3t@localhost/db", Deliver{Changes: d.Changes}},
	} {
		_, err := NewListener(tc.dsn, tc.d, nil)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error quotes the password: %v", tc.name, err)
		}
	}
}
