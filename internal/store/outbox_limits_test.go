package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// outboxFixture is a store with connections acme/prod and acme/other.
func outboxFixture(t *testing.T, e storetest.Engine) (*Store, time.Time) {
	t.Helper()
	s, _ := openOn(t, e)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"prod", "other"} {
		if err := s.InsertConnection(context.Background(), &Connection{Workspace: "acme", ID: id, DisplayName: id,
			Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
			t.Fatal(err)
		}
	}
	return s, now
}

func queuedEvent(conn, id, requestID string, payload string, now time.Time) *OutboxEvent {
	return &OutboxEvent{Workspace: "acme", ConnectionID: conn, ID: id, RequestID: requestID, Kind: "NOTE",
		Payload: []byte(payload), Status: OutboxQueued, NextAttempt: now, CreateTime: now}
}

func TestInsertOutboxEventCapsQueuedEventsPerConnection(t *testing.T) {
	storetest.OnEachEngine(t, testInsertOutboxEventCapsQueuedEventsPerConnection)
}

func testInsertOutboxEventCapsQueuedEventsPerConnection(t *testing.T, e storetest.Engine) {
	s, now := outboxFixture(t, e)
	ctx := context.Background()
	const limit = 3
	for i := range limit {
		if _, inserted, err := s.InsertOutboxEvent(ctx, queuedEvent("prod", fmt.Sprint("e", i), fmt.Sprint("r", i), `{}`, now), limit); err != nil || !inserted {
			t.Fatalf("event %d of %d: inserted %v, %v", i+1, limit, inserted, err)
		}
	}
	tests := []struct {
		name         string
		ev           *OutboxEvent
		wantErr      error
		wantExisting string // the replayed event's id
	}{
		{"one more is refused", queuedEvent("prod", "x1", "r-new", `{}`, now), ErrQueueFull, ""},
		{"one more without request id is refused", queuedEvent("prod", "x2", "", `{}`, now), ErrQueueFull, ""},
		{"a replay still answers", queuedEvent("prod", "x3", "r1", `{}`, now), nil, "e1"},
		{"another connection has its own cap", queuedEvent("other", "o1", "r-new", `{}`, now), nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, inserted, err := s.InsertOutboxEvent(ctx, tc.ev, limit)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantExisting != "" && (inserted || got.ID != tc.wantExisting) {
				t.Errorf("replay = %s (inserted %v), want %s", got.ID, inserted, tc.wantExisting)
			}
		})
	}
	// Finished events leave the queue and make room.
	due, _ := s.DueOutboxEvents(ctx, "acme", "prod", now, 1)
	due[0].Status, due[0].DeliverTime = OutboxDelivered, now
	if err := s.SaveOutboxEvents(ctx, due); err != nil {
		t.Fatal(err)
	}
	if _, inserted, err := s.InsertOutboxEvent(ctx, queuedEvent("prod", "after", "", `{}`, now), limit); err != nil || !inserted {
		t.Errorf("after one delivery: inserted %v, %v; want room for one", inserted, err)
	}
}

// Concurrent inserts never overshoot the cap: the count and the insert are one statement.
func TestInsertOutboxEventCapHoldsUnderConcurrency(t *testing.T) {
	storetest.OnEachEngine(t, testInsertOutboxEventCapHoldsUnderConcurrency)
}

func testInsertOutboxEventCapHoldsUnderConcurrency(t *testing.T, e storetest.Engine) {
	s, now := outboxFixture(t, e)
	const limit, callers = 10, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, refused := 0, 0
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.InsertOutboxEvent(context.Background(), queuedEvent("prod", fmt.Sprint("c", i), "", `{}`, now), limit)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, ErrQueueFull):
				refused++
			default:
				t.Errorf("insert: %v", err)
			}
		}()
	}
	wg.Wait()
	if accepted != limit || refused != callers-limit {
		t.Errorf("accepted %d and refused %d of %d; want %d and %d", accepted, refused, callers, limit, callers-limit)
	}
}

func TestListOutboxEventsStopsAtTheByteBudget(t *testing.T) {
	storetest.OnEachEngine(t, testListOutboxEventsStopsAtTheByteBudget)
}

func testListOutboxEventsStopsAtTheByteBudget(t *testing.T, e storetest.Engine) {
	s, now := outboxFixture(t, e)
	ctx := context.Background()
	big := `{"body":"` + strings.Repeat("x", 1000) + `"}`
	for i := range 5 {
		if _, _, err := s.InsertOutboxEvent(ctx, queuedEvent("prod", fmt.Sprint("e", i), "", big, now), 0); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		limit     int
		maxBytes  int
		want      string
		wantMore  bool
		beforeSeq int64
	}{
		{"no byte budget", 10, 0, "e4,e3,e2,e1,e0", false, 0},
		{"count ends the page", 2, 0, "e4,e3", true, 0},
		{"bytes end the page after the event that reaches them", 10, 2 * len(big), "e4,e3", true, 0},
		{"one event over the budget still comes alone", 10, 1, "e4", true, 0},
		{"the last page by bytes has nothing after it", 10, 2 * len(big), "e1,e0", false, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, more, err := s.ListOutboxEvents(ctx, "acme", "prod", "", tc.beforeSeq, tc.limit, tc.maxBytes)
			if err != nil || ids(got) != tc.want || more != tc.wantMore {
				t.Errorf("list = %s, more %v, %v; want %s, more %v", ids(got), more, err, tc.want, tc.wantMore)
			}
		})
	}
}

func TestDeleteFinishedOutboxEventsKeepsQueuedAndRecent(t *testing.T) {
	storetest.OnEachEngine(t, testDeleteFinishedOutboxEventsKeepsQueuedAndRecent)
}

func testDeleteFinishedOutboxEventsKeepsQueuedAndRecent(t *testing.T, e storetest.Engine) {
	s, now := outboxFixture(t, e)
	ctx := context.Background()
	longAgo := now.Add(-60 * 24 * time.Hour) // queued events are kept however old
	for i := range 8 {
		if _, _, err := s.InsertOutboxEvent(ctx, queuedEvent("prod", fmt.Sprint("e", i), "", `{}`, longAgo), 0); err != nil {
			t.Fatal(err)
		}
	}
	rows, _ := s.DueOutboxEvents(ctx, "acme", "prod", now, 10)
	if len(rows) != 8 {
		t.Fatalf("%d events due, want 8", len(rows))
	}
	// e0..e2 delivered 40 days ago, e3 failed 31 days ago, e4 delivered 29 days ago, e5..e7 queued.
	finished := []struct {
		status string
		age    time.Duration
	}{{OutboxDelivered, 40 * 24 * time.Hour}, {OutboxDelivered, 40 * 24 * time.Hour}, {OutboxDelivered, 40 * 24 * time.Hour},
		{OutboxFailed, 31 * 24 * time.Hour}, {OutboxDelivered, 29 * 24 * time.Hour}}
	for i, f := range finished {
		rows[i].Status, rows[i].DeliverTime = f.status, now.Add(-f.age)
	}
	if err := s.SaveOutboxEvents(ctx, rows[:len(finished)]); err != nil {
		t.Fatal(err)
	}
	cutoff := now.Add(-30 * 24 * time.Hour)
	// Chunks of 3: the first deletes three of the four old events, the next the last one.
	for _, want := range []int{3, 1, 0} {
		n, err := s.DeleteFinishedOutboxEvents(ctx, cutoff, 3)
		if err != nil || n != want {
			t.Fatalf("delete chunk = %d, %v; want %d", n, err, want)
		}
	}
	left, _, _ := s.ListOutboxEvents(ctx, "acme", "prod", "", 0, 100, 0)
	if ids(left) != "e7,e6,e5,e4" {
		t.Errorf("left = %s; want the queued events and the one finished 29 days ago", ids(left))
	}
}

// The queued count the cap reads (outbox_queued, kept by triggers) equals the queue through
// every way a row enters or leaves it.
func TestOutboxQueuedCountFollowsTheQueue(t *testing.T) {
	storetest.OnEachEngine(t, testOutboxQueuedCountFollowsTheQueue)
}

func testOutboxQueuedCountFollowsTheQueue(t *testing.T, e storetest.Engine) {
	s, now := outboxFixture(t, e)
	ctx := context.Background()
	check := func(step string) {
		t.Helper()
		var kept, counted int
		s.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT queued FROM outbox_queued WHERE workspace = 'acme' AND connection_id = 'prod'), 0)`).Scan(&kept)
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox_events WHERE workspace = 'acme' AND connection_id = 'prod' AND status = 'QUEUED'`).Scan(&counted); err != nil {
			t.Fatal(err)
		}
		if kept != counted {
			t.Errorf("after %s: the kept count is %d, the queue holds %d", step, kept, counted)
		}
	}
	for i := range 4 {
		if _, _, err := s.InsertOutboxEvent(ctx, queuedEvent("prod", fmt.Sprint("e", i), fmt.Sprint("r", i), `{}`, now), 10); err != nil {
			t.Fatal(err)
		}
	}
	s.InsertOutboxEvent(ctx, queuedEvent("prod", "dup", "r0", `{}`, now), 10) // a replay inserts nothing
	check("four inserts and a replay")
	rows, _ := s.DueOutboxEvents(ctx, "acme", "prod", now, 10)
	rows[0].Status, rows[0].DeliverTime = OutboxDelivered, now
	rows[1].Status, rows[1].DeliverTime = OutboxFailed, now
	rows[2].Attempts = 1 // saved, still queued
	if err := s.SaveOutboxEvents(ctx, rows[:3]); err != nil {
		t.Fatal(err)
	}
	check("one delivered, one failed, one retried")
	if _, err := s.DeleteFinishedOutboxEvents(ctx, now.Add(time.Hour), 10); err != nil {
		t.Fatal(err)
	}
	check("the retention sweep")
	if err := s.DeleteConnection(ctx, "acme", "prod", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertConnection(ctx, &Connection{Workspace: "acme", ID: "prod", DisplayName: "again",
		Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
	check("deleting the connection and creating it again")
	if _, inserted, err := s.InsertOutboxEvent(ctx, queuedEvent("prod", "new", "", `{}`, now), 1); err != nil || !inserted {
		t.Errorf("first event of the new connection with a cap of 1: %v, %v", inserted, err)
	}
	check("an insert on the new connection")
}
