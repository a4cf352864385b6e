package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestEnqueueRefusesPastTheQueueCap(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	cfg := e.config()
	cfg.MaxQueued = 3
	ob := e.open(cfg) // not started: everything stays queued
	ctx := context.Background()
	var first Event
	for i := range cfg.MaxQueued {
		ev := note("1", i)
		ev.RequestID = fmt.Sprint("req-", i)
		got, err := ob.Enqueue(ctx, ev)
		if err != nil {
			t.Fatalf("event %d of %d: %v", i+1, cfg.MaxQueued, err)
		}
		if i == 0 {
			first = got
		}
	}
	_, err := ob.Enqueue(ctx, note("1", 9))
	var full *QueueFullError
	if !errors.As(err, &full) || !errors.Is(err, ErrQueueFull) || full.Limit != 3 || full.Connection != testConnection {
		t.Fatalf("Enqueue past the cap: err = %v, want a QueueFullError with limit 3", err)
	}
	// A retry of an accepted event is not new work: it still gets its event back.
	replay := note("1", 0)
	replay.RequestID = "req-0"
	if got, err := ob.Enqueue(ctx, replay); err != nil || got.ID != first.ID {
		t.Errorf("replay with a full queue = %s, %v; want %s", got.ID, err, first.ID)
	}
}

func TestListEndsAPageAtMaxPageBytes(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	ob := e.open(e.config())
	ctx := context.Background()
	const events, bodyChars = 25, 60_000
	want := map[string]bool{}
	for i := range events {
		ev := note("1", i)
		ev.Body = strings.Repeat("b", bodyChars)
		got, err := ob.Enqueue(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		want[got.ID] = true
	}
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		page, err := ob.List(ctx, ListOptions{Workspace: testWorkspace, Connection: testConnection, PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		size := 0
		for _, ev := range page.Events {
			if seen[ev.ID] {
				t.Errorf("event %s on two pages", ev.ID)
			}
			seen[ev.ID] = true
			size += len(ev.Body)
		}
		if size > MaxPageBytes+bodyChars {
			t.Errorf("page %d holds %d bytes of bodies; want at most MaxPageBytes (%d) and one event", pages, size, MaxPageBytes)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	if pages < 2 || len(seen) != len(want) {
		t.Errorf("%d events over %d pages; want all %d events over more than one page", len(seen), pages, events)
	}
}

func TestSweepDeletesFinishedEventsPastRetention(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	cfg := e.config()
	ob := e.start(cfg)
	ctx := context.Background()
	old := waitDelivered(t, ob, mustEnqueue(t, ob, note(e.contact("old@example.com"), 1)).ID)
	e.clock.Advance(DefaultRetention - time.Hour)
	recent := waitDelivered(t, ob, mustEnqueue(t, ob, note(e.contact("recent@example.com"), 2)).ID)
	e.clock.Advance(2 * time.Hour) // old finished a retention and an hour ago; recent an hour ago

	// Held (the token is revoked): a queued event is never swept.
	if err := e.sb.RevokeToken(e.token); err != nil {
		t.Fatal(err)
	}
	queued := mustEnqueue(t, ob, note("1", 3))

	if n := ob.deleteExpired(); n != 1 {
		t.Errorf("sweep deleted %d events, want 1 (the one finished past retention)", n)
	}
	tests := []struct {
		name    string
		id      string
		wantErr error
	}{
		{"finished past retention", old.ID, ErrNotFound},
		{"finished within retention", recent.ID, nil},
		{"queued", queued.ID, nil},
	}
	for _, tc := range tests {
		if _, err := ob.Get(ctx, testWorkspace, testConnection, tc.id); !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: Get err = %v, want %v", tc.name, err, tc.wantErr)
		}
	}
}

// Start sweeps at once: a restart after a long stop cleans up without waiting an interval.
func TestStartSweeps(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	cfg := e.config()
	cfg.Retention = time.Hour
	first := e.start(cfg)
	done := waitDelivered(t, first, mustEnqueue(t, first, note(e.contact("a@example.com"), 1)).ID)
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := first.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	cfg.SweepInterval = 24 * time.Hour // only the sweep at Start can delete it
	cfg.Logger = slog.New(&logRecorder{changed: e.changes.notify})
	second := e.start(cfg)
	e.waitUntil("the sweep at Start to delete the event finished two hours ago", func() bool {
		_, err := second.Get(context.Background(), testWorkspace, testConnection, done.ID)
		return errors.Is(err, ErrNotFound)
	})
}

func mustEnqueue(t *testing.T, ob *Outbox, ev Event) Event {
	t.Helper()
	got, err := ob.Enqueue(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
