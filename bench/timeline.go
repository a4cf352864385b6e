package main

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// benchTimeline measures LogTimelineEvent's enqueue path (accepted per second over gRPC, as a
// ratio of bare SQLite inserts of the same row) and the outbox's drain rate at the Free
// budget as a fraction of HubSpot's ceiling of 100 engagements × 100 requests per 10 s.
func benchTimeline(ctx context.Context, env *benchEnv) ([]row, error) {
	log := env.log
	bin, err := env.serverBinary(ctx)
	if err != nil {
		return nil, err
	}
	h, err := newBenchHub(sandbox.Options{}, sandbox.TierFree)
	if err != nil {
		return nil, err
	}
	defer h.close()
	sb, acct, tok := h.sb, h.acct, h.token
	seed, err := sb.SeedSampleData(acct.HubID)
	if err != nil {
		return nil, err
	}
	// 18,500 events are 185 batch requests. UpdateCredentials, which releases them, makes 10
	// counted calls of its own (account details, then the field discovery it refreshes: three
	// object types' properties and groups, the deal pipelines, active and archived owners):
	// 195 requests, two rolling windows with room for the limiter's margin, so the theoretical
	// minimum is one window (10 s). (At 19,000 events and 200 requests the drain needs a
	// third window, because the limiter never fills a window to its last slot.)
	const n, callers = 18500, 50
	// The whole backlog waits for delivery at once: raise the per-connection cap on queued
	// events (default outbox.DefaultMaxQueued, below n) so that none is refused.
	srv, err := startServerProcess(ctx, bin, h.srv.URL, "--timeline-max-queued", fmt.Sprint(n))
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c, conn, err := connectBench(ctx, srv.grpcAddr, srv.key, h, client.WithTimeout(time.Minute))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// Hold delivery while the backlog builds: without the contacts write scope HubSpot
	// refuses engagements (403), which the outbox holds, never fails.
	if err := sb.SetTokenScopes(tok.Token, withoutScope(sandbox.AllScopes(), "crm.objects.contacts.write")); err != nil {
		return nil, err
	}
	var next, failed atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= n {
					return
				}
				_, err := c.LogTimelineEvent(ctx, &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(), RequestId: fmt.Sprintf("evt-%d", i),
					TimelineEvent: &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE, Title: "Chat",
						Body:      "Customer asked about pricing; sent the plans page.",
						Contact:   &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: seed.Contacts[i%int64(len(seed.Contacts))]}},
						OccurTime: timestamppb.New(time.Date(2026, 11, 27, 12, 0, 0, int(i), time.UTC))}})
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	// A refused call would make both the rate and the drain measure fewer events than they
	// claim: stop rather than report them.
	if f := failed.Load(); f > 0 {
		return nil, fmt.Errorf("%d of %d LogTimelineEvent calls failed; the first: %w", f, n, *firstErr.Load())
	}
	accepted := float64(n) / time.Since(start).Seconds()
	bare, err := bareInsertRate(ctx, 5000, store.WriterSynchronous)
	if err != nil {
		return nil, err
	}
	// What durability costs: the same inserts with the WAL synced only at checkpoints.
	unsynced, err := bareInsertRate(ctx, 5000, "NORMAL")
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "timeline: %.0f events accepted/s over gRPC; bare SQLite insert %.0f/s (synchronous %s), %.0f/s (NORMAL)\n",
		accepted, bare, store.WriterSynchronous, unsynced)

	// Release: restore the scope; rotating to the same token wakes the held events.
	time.Sleep(10500 * time.Millisecond) // let the refused attempts leave the rolling window
	if err := sb.SetTokenScopes(tok.Token, sandbox.AllScopes()); err != nil {
		return nil, err
	}
	sb.ResetCounters()
	if _, err := c.UpdateCredentials(ctx, &integrationsv1.UpdateCredentialsRequest{Name: conn.GetName(), AccessToken: tok.Token}); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(3 * time.Minute)
	for sb.RecordCount(acct.HubID, "notes") < n+1 && time.Now().Before(deadline) { // +1: the seeded note
		time.Sleep(100 * time.Millisecond)
	}
	delivered := sb.RecordCount(acct.HubID, "notes") - 1
	if delivered != n {
		return nil, fmt.Errorf("timeline drain: %d of %d events delivered within 3 minutes", delivered, n)
	}
	counters := sb.Counters()
	receipts := counters.ReceiptTimes[tok.AppID]
	sort.Slice(receipts, func(i, j int) bool { return receipts[i].Before(receipts[j]) })
	limited := 0
	for _, v := range counters.RateLimited {
		limited += v
	}
	var measured time.Duration
	if len(receipts) > 1 {
		measured = receipts[len(receipts)-1].Sub(receipts[0])
	}
	minimum := time.Duration(math.Ceil(float64(len(receipts))/100)-1) * 10 * time.Second
	fraction := 0.0
	if measured > 0 {
		fraction = float64(minimum) / float64(measured)
	}
	fmt.Fprintf(log, "timeline drain: %d of %d delivered; %d requests over %v (minimum %v), 429s %d\n", delivered, n, len(receipts), measured.Round(time.Millisecond), minimum, limited)
	group := "LogTimelineEvent (Free budget: 100 requests / 10 s)"
	return []row{
		{group, "accepted per second over gRPC (50 callers) / bare SQLite inserts per second", fmt.Sprintf("%.2f (%.0f/s vs %.0f/s)", accepted/bare, accepted, bare), "—"},
		{group, "bare SQLite inserts per second, synchronous " + store.WriterSynchronous + " (every commit synced) / NORMAL (synced at checkpoints)",
			fmt.Sprintf("%.2f (%.0f/s vs %.0f/s)", bare/unsynced, bare, unsynced), "—"},
		{group, fmt.Sprintf("drain of %d queued events (by contact id): theoretical minimum / measured time", n), fmt.Sprintf("%.3f (%v / %v, %d requests, %d delivered)",
			fraction, minimum, measured.Round(time.Millisecond), len(receipts), delivered), "≥ 0.9"},
		{group, "429s during the drain", fmt.Sprint(limited), "0"},
	}, nil
}

func withoutScope(scopes []string, drop string) []string {
	var out []string
	for _, s := range scopes {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

// bareInsertRate inserts n outbox rows of the same shape with plain SQL, one statement each,
// in a fresh database with the service's settings and the given PRAGMA synchronous (the
// writer's is store.WriterSynchronous): the floor under the enqueue path.
func bareInsertRate(ctx context.Context, n int, synchronous string) (float64, error) {
	dir, err := os.MkdirTemp("", "bench-sql")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bare.db")
	st, err := store.Open(ctx, path) // creates the schema
	if err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	if err := st.InsertConnection(ctx, &store.Connection{Workspace: "bench", ID: "c", DisplayName: "c", Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		return 0, err
	}
	st.Close()
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", synchronous)
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	payload := []byte(`{"kind":"NOTE","contact_email":"ada.lovelace0@acme.example","occurred_at":"2026-11-27T12:00:00Z","title":"Chat","body":"Customer asked about pricing; sent the plans page."}`)
	start := time.Now()
	for i := range n {
		if _, err := db.ExecContext(ctx, `INSERT INTO outbox_events(workspace, connection_id, id, request_id, kind, payload, status, attempts, last_error, next_attempt_ms, create_time)
			VALUES (?,?,?,?,?,?,?,0,'',?,?)`, "bench", "c", fmt.Sprintf("id%d", i), fmt.Sprintf("evt-%d", i), "NOTE", payload, "QUEUED", now.UnixMilli(), now.Format(time.RFC3339Nano)); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
