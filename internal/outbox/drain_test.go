package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/mattn/go-sqlite3"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/store/storetest"
)

// drainEvents is the backlog of the drain-rate measurement.
const drainEvents = 3000

// TestDrainRateAtAScaledBudget measures how close a backlog drains to HubSpot's ceiling:
// 100 engagements per request × the request budget. It logs the figure and asserts only
// what a slow machine cannot break (everything delivered, budget respected).
func TestDrainRateAtAScaledBudget(t *testing.T) {
	limits := sandbox.Limits{PerWindow: 10, Window: time.Second, SearchPerSecond: 50}
	e := newTestEnv(t, envOptions{limits: limits})
	ob := e.open(e.config())
	ids := enqueueNotes(t, ob, e.contact("drain@example.com"), drainEvents)

	start := time.Now()
	if err := ob.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.waitAllFinal()
	took := time.Since(start)
	assertExactlyOnce(t, e, ids)

	requests := (drainEvents + hubspot.MaxBatchInputs - 1) / hubspot.MaxBatchInputs
	// A rolling window lets a full budget go at once, so the least time N requests can take
	// is (ceil(N/budget) - 1) windows.
	minimum := time.Duration((requests+limits.PerWindow-1)/limits.PerWindow-1) * limits.Window
	ceilingRate := float64(limits.PerWindow*hubspot.MaxBatchInputs) / limits.Window.Seconds()
	rate := float64(drainEvents) / took.Seconds()
	t.Logf("drained %d events in %d requests in %v: theoretical minimum %v → %.0f%% of the ceiling; %.0f events/s vs the sustained ceiling of %.0f/s",
		drainEvents, requests, took.Round(time.Millisecond), minimum, 100*minimum.Seconds()/took.Seconds(), rate, ceilingRate)
	if c := e.sb.Counters(); c.RateLimited["TEN_SECONDLY_ROLLING"] > 0 {
		t.Errorf("%d 429s while draining", c.RateLimited["TEN_SECONDLY_ROLLING"])
	}
}

// openBenchStore opens the store at dsn with the benchmarks' connection.
func openBenchStore(b *testing.B, dsn string) *store.Store {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	if err := st.InsertConnection(ctx, &store.Connection{Workspace: testWorkspace, ID: testConnection,
		DisplayName: "Bench", Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		b.Fatal(err)
	}
	return st
}

// loopEnqueue enqueues ev through an outbox on st, a new request_id each time. Nothing is
// delivered, so the queue grows with the loop: no cap, and the count behind the cap covers
// every event enqueued so far (-benchtime 10000x is the default cap's worst case).
func loopEnqueue(b *testing.B, st *store.Store, ev Event) {
	ob, err := New(Config{Store: st, MaxQueued: 1 << 30, Clients: ClientsFunc(func(context.Context, store.Connection) (*hubspot.Client, error) {
		return nil, fmt.Errorf("not started")
	})})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ev.RequestID = fmt.Sprintf("req-%d", i)
		i++
		if _, err := ob.Enqueue(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnqueue compares Enqueue (validate, encode, insert with the request_id check) with
// a bare SQLite insert of the same row on the same database settings.
func BenchmarkEnqueue(b *testing.B) {
	ctx := context.Background()
	setup := func(b *testing.B) (*store.Store, string) {
		path := filepath.Join(b.TempDir(), "bench.db")
		return openBenchStore(b, path), path
	}
	ev := benchEvent()

	b.Run("outbox.Enqueue", func(b *testing.B) {
		st, _ := setup(b)
		loopEnqueue(b, st, ev)
	})
	b.Run("bare_insert", func(b *testing.B) {
		_, path := setup(b)
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_busy_timeout", "5000")
		q.Set("_foreign_keys", "on")
		q.Set("_synchronous", store.WriterSynchronous) // the store's writer's
		q.Set("_txlock", "immediate")
		db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		body, _ := json.Marshal(payloadOf(&ev))
		now := time.Now().UTC()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_, err := db.ExecContext(ctx, `INSERT INTO outbox_events(workspace, connection_id, id, request_id, kind, payload,
				status, attempts, last_error, next_attempt_ms, create_time) VALUES (?,?,?,?,?,?,?,0,'',?,?)`,
				testWorkspace, testConnection, fmt.Sprintf("id-%d", i), fmt.Sprintf("req-%d", i), string(ev.Kind), body,
				"QUEUED", now.UnixMilli(), now.Format(time.RFC3339Nano))
			i++
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEnqueuePostgres is BenchmarkEnqueue on PostgreSQL (INTEGRATIONS_TEST_POSTGRES),
// where each call is a few round trips to the server: Enqueue's transaction (begin, the
// connection's advisory lock, a savepoint, the insert, commit) against a bare insert of the
// same row in autocommit. docs/outbox.md compares both with River's InsertTx.
func BenchmarkEnqueuePostgres(b *testing.B) {
	ctx := context.Background()
	setup := func(b *testing.B) (*store.Store, string) {
		dsn := storetest.PostgresDSN(b)
		return openBenchStore(b, dsn), dsn
	}
	ev := benchEvent()

	b.Run("outbox.Enqueue", func(b *testing.B) {
		st, _ := setup(b)
		loopEnqueue(b, st, ev)
	})
	b.Run("bare_insert", func(b *testing.B) {
		_, dsn := setup(b)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		body, _ := json.Marshal(payloadOf(&ev))
		now := time.Now().UTC()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_, err := conn.Exec(ctx, `INSERT INTO outbox_events(workspace, connection_id, id, request_id, kind, payload,
				status, attempts, last_error, next_attempt_ms, create_time) VALUES ($1,$2,$3,$4,$5,$6,$7,0,'',$8,$9)`,
				testWorkspace, testConnection, fmt.Sprintf("id-%d", i), fmt.Sprintf("req-%d", i), string(ev.Kind), body,
				"QUEUED", now.UnixMilli(), now.Format(time.RFC3339Nano))
			i++
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchEvent() Event {
	return Event{Workspace: testWorkspace, Connection: testConnection, Kind: KindCall, ContactEmail: "bench@example.com",
		CreateContactIfMissing: true, ContactProperties: map[string]string{"firstname": "Ben", "lastname": "Bench"},
		OccurredAt: time.Now(), Title: "Inbound call", Body: "The customer asked about renewal pricing and the Q3 roadmap.",
		Direction: DirectionInbound, Duration: 3 * time.Minute, FromNumber: "+15550100", ToNumber: "+15550199",
		RecordingURL: "https://rec.example.com/abc.mp3", ConversationURL: "https://app.connectflo.com/c/1",
		Metadata: map[string]string{"agent": "Robo", "queue": "sales"}}
}
