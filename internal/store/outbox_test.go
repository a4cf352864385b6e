package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store/storetest"
)

func TestOutboxEventLifecycle(t *testing.T) { storetest.OnEachEngine(t, testOutboxEventLifecycle) }

func testOutboxEventLifecycle(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if err := s.InsertConnection(ctx, &Connection{Workspace: "acme", ID: "prod", DisplayName: "Production HubSpot",
		Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
	newEvent := func(id, requestID string, due time.Time) *OutboxEvent {
		return &OutboxEvent{Workspace: "acme", ConnectionID: "prod", ID: id, RequestID: requestID, Kind: "NOTE",
			Payload: []byte(`{"body":"hi"}`), Status: OutboxQueued, NextAttempt: due, CreateTime: now}
	}

	first, inserted, err := s.InsertOutboxEvent(ctx, newEvent("e1", "req-1", now), 0)
	if err != nil || !inserted || first.Seq == 0 {
		t.Fatalf("insert = %+v, %v, %v", first, inserted, err)
	}
	// The same request_id on the same connection returns the first event and inserts nothing.
	again, inserted, err := s.InsertOutboxEvent(ctx, newEvent("e2", "req-1", now), 0)
	if err != nil || inserted || again.ID != "e1" || string(again.Payload) != `{"body":"hi"}` {
		t.Fatalf("replayed insert = %+v, %v, %v; want e1", again, inserted, err)
	}
	// Without a request_id every insert is new.
	for i := range 3 {
		if _, inserted, err := s.InsertOutboxEvent(ctx, newEvent(fmt.Sprintf("n%d", i), "", now.Add(time.Duration(i+1)*time.Minute)), 0); err != nil || !inserted {
			t.Fatalf("insert without request_id: %v, %v", inserted, err)
		}
	}
	if _, _, err := s.InsertOutboxEvent(ctx, &OutboxEvent{Workspace: "acme", ConnectionID: "gone", ID: "x", Kind: "NOTE",
		Payload: []byte(`{}`), Status: OutboxQueued, CreateTime: now}, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("insert for an unknown connection: err = %v, want ErrNotFound", err)
	}

	due, err := s.DueOutboxEvents(ctx, "acme", "prod", now.Add(90*time.Second), 10)
	if err != nil || len(due) != 2 || due[0].ID != "e1" || due[1].ID != "n0" {
		t.Fatalf("due = %v, %v; want e1 and n0", ids(due), err)
	}
	next, ok, err := s.NextOutboxAttempt(ctx, "acme", "prod")
	if err != nil || !ok || !next.Equal(now) {
		t.Errorf("next attempt = %v, %v, %v", next, ok, err)
	}

	// Save delivery state: one delivered, one in doubt and rescheduled.
	d := due[0]
	d.Status, d.Attempts, d.HubSpotObjectType, d.HubSpotObjectID, d.HubSpotContactID = OutboxDelivered, 1, "notes", "901", "501"
	d.LastAttempt, d.InDoubtSince, d.DeliverTime = now, now, now.Add(time.Second)
	r := due[1]
	r.Attempts, r.LastError, r.InDoubtSince, r.LastAttempt = 1, "503", now, now
	r.NextAttempt = now.Add(time.Hour)
	if err := s.SaveOutboxEvents(ctx, []OutboxEvent{d, r}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetOutboxEvent(ctx, "acme", "prod", "e1")
	if err != nil || got.Status != OutboxDelivered || got.HubSpotObjectID != "901" || !got.DeliverTime.Equal(d.DeliverTime) || !got.InDoubtSince.Equal(now) {
		t.Errorf("after save: %+v, %v", got, err)
	}
	got, _ = s.GetOutboxEvent(ctx, "acme", "prod", "n0")
	if got.LastError != "503" || !got.NextAttempt.Equal(now.Add(time.Hour)) || !got.LastAttempt.Equal(now) || !got.DeliverTime.IsZero() {
		t.Errorf("rescheduled: %+v", got)
	}
	if err := s.RescheduleOutboxEvents(ctx, "acme", "prod", now); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueOutboxEvents(ctx, "acme", "prod", now, 10); len(due) != 3 {
		t.Errorf("after releasing holds, %d due, want every queued event (3)", len(due))
	}

	queued, _, _ := s.ListOutboxEvents(ctx, "acme", "prod", OutboxQueued, 0, 10, 0)
	all, more, _ := s.ListOutboxEvents(ctx, "acme", "prod", "", 0, 2, 0)
	older, _, _ := s.ListOutboxEvents(ctx, "acme", "prod", "", all[1].Seq, 10, 0)
	if len(queued) != 3 || ids(all) != "n2,n1" || !more || ids(older) != "n0,e1" {
		t.Errorf("lists: queued %s; newest %s; older %s", ids(queued), ids(all), ids(older))
	}
	backlog, err := s.OutboxBacklogs(ctx)
	if err != nil || len(backlog) != 1 || backlog[0].Queued != 3 {
		t.Errorf("backlog = %+v, %v", backlog, err)
	}
	counts, _ := s.CountOutboxEvents(ctx, "acme", "prod")
	if counts[OutboxQueued] != 3 || counts[OutboxDelivered] != 1 {
		t.Errorf("counts = %v", counts)
	}

	// Deleting the connection erases its events.
	if err := s.DeleteConnection(ctx, "acme", "prod", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetOutboxEvent(ctx, "acme", "prod", "e1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("event after connection delete: err = %v, want ErrNotFound", err)
	}
	if backlog, _ := s.OutboxBacklogs(ctx); len(backlog) != 0 {
		t.Errorf("backlog after delete = %+v", backlog)
	}
}

func ids(events []OutboxEvent) string {
	out := ""
	for i, e := range events {
		if i > 0 {
			out += ","
		}
		out += e.ID
	}
	return out
}

func TestDueOutboxEventsPutsEventsInDoubtFirst(t *testing.T) {
	storetest.OnEachEngine(t, testDueOutboxEventsPutsEventsInDoubtFirst)
}

// A process that takes delivery over (or restarts) finds the events whose send it cannot
// know the outcome of due CheckDelay after that send, later than the backlog queued before
// it: they are still the first due, so that they are checked before the backlog is sent.
func testDueOutboxEventsPutsEventsInDoubtFirst(t *testing.T, e storetest.Engine) {
	s, now := outboxFixture(t, e)
	ctx := context.Background()
	events := []struct {
		id    string
		due   time.Duration // next attempt, from now
		doubt bool          // a send of it has an unknown outcome
	}{
		{"backlog-1", -time.Minute, false},
		{"sent-1", -time.Second, true},
		{"backlog-2", -time.Minute, false},
		{"sent-2", -2 * time.Second, true},
		{"backlog-3", -30 * time.Second, false},
		{"sent-later", time.Second, true}, // not due yet
		{"backlog-later", time.Second, false},
	}
	for _, ev := range events {
		row, _, err := s.InsertOutboxEvent(ctx, queuedEvent("prod", ev.id, ev.id, `{}`, now.Add(ev.due)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if ev.doubt {
			row.Attempts, row.InDoubtSince, row.LastAttempt = 1, now.Add(ev.due-time.Second), now.Add(ev.due-time.Second)
			if err := s.SaveOutboxEvents(ctx, []OutboxEvent{row}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		limit int
		want  string
	}{
		{10, "sent-2,sent-1,backlog-1,backlog-2,backlog-3"},
		{2, "sent-2,sent-1"},
		{3, "sent-2,sent-1,backlog-1"},
	}
	for _, tc := range tests {
		due, err := s.DueOutboxEvents(ctx, "acme", "prod", now, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(due); got != tc.want {
			t.Errorf("DueOutboxEvents(limit %d) = %s; want %s", tc.limit, got, tc.want)
		}
	}
}
