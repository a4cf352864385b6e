package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// A group committed together gives each call the answer it would have had alone: the queue
// cap and request_ids of earlier events in the group count for later ones, an unknown
// connection or a cancelled caller fails alone, and every accepted event is stored.
func TestInsertGroupAnswersEachCallAsAlone(t *testing.T) {
	storetest.OnEachEngine(t, testInsertGroupAnswersEachCallAsAlone)
}

func testInsertGroupAnswersEachCallAsAlone(t *testing.T, e storetest.Engine) {
	s, now := outboxFixture(t, e)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	ctx := context.Background()
	ev := func(conn, id, requestID string) *OutboxEvent { return queuedEvent(conn, id, requestID, `{}`, now) }
	calls := []struct {
		name string
		ctx  context.Context
		ev   *OutboxEvent
		// want
		inserted bool
		existing string // the replayed event's id
		err      error
	}{
		{"first", ctx, ev("prod", "e1", "r1"), true, "", nil},
		{"same request_id in the same group replays the first", ctx, ev("prod", "e2", "r1"), false, "e1", nil},
		{"second fills the cap of 2", ctx, ev("prod", "e3", ""), true, "", nil},
		{"third is over the cap", ctx, ev("prod", "e4", "r4"), false, "", ErrQueueFull},
		{"unknown connection", ctx, ev("ghost", "g1", ""), false, "", ErrNotFound},
		{"cancelled caller", cancelled, ev("other", "c1", ""), false, "", context.Canceled},
		{"another connection has room", ctx, ev("other", "o1", "r1"), true, "", nil},
	}
	group := make([]*insertCall, len(calls))
	for i, c := range calls {
		group[i] = &insertCall{ctx: c.ctx, e: c.ev, maxQueued: 2, done: make(chan struct{})}
	}
	s.insertGroup(group)
	for i, c := range calls {
		got := group[i]
		if !errors.Is(got.err, c.err) || got.inserted != c.inserted || (c.existing != "" && got.existing.ID != c.existing) {
			t.Errorf("%s: inserted %v, existing %q, err %v; want inserted %v, existing %q, err %v",
				c.name, got.inserted, got.existing.ID, got.err, c.inserted, c.existing, c.err)
		}
	}
	var stored []string
	for _, conn := range []string{"prod", "other", "ghost"} {
		evs, _, err := s.ListOutboxEvents(ctx, "acme", conn, "", 0, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			stored = append(stored, e.ID)
		}
	}
	if d := cmp.Diff([]string{"e3", "e1", "o1"}, stored); d != "" {
		t.Errorf("stored events, newest first per connection (-want +got):\n%s", d)
	}
}

// Concurrent callers share commits and each gets its own event back; none is lost.
func TestConcurrentInsertsAreEachCommitted(t *testing.T) {
	storetest.OnEachEngine(t, testConcurrentInsertsAreEachCommitted)
}

func testConcurrentInsertsAreEachCommitted(t *testing.T, e storetest.Engine) {
	s, now := outboxFixture(t, e)
	const callers = 64
	var wg sync.WaitGroup
	ids := make([]string, callers)
	for i := range callers {
		wg.Go(func() {
			got, inserted, err := s.InsertOutboxEvent(context.Background(), queuedEvent("prod", fmt.Sprint("e", i), fmt.Sprint("r", i), `{}`, now), 0)
			if err != nil || !inserted {
				t.Errorf("caller %d: inserted %v, %v", i, inserted, err)
			}
			ids[i] = got.ID
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id != fmt.Sprint("e", i) {
			t.Errorf("caller %d got event %q back", i, id)
		}
	}
	evs, _, err := s.ListOutboxEvents(context.Background(), "acme", "prod", "", 0, 1000, 0)
	if err != nil || len(evs) != callers {
		t.Errorf("%d events stored (%v), want %d", len(evs), err, callers)
	}
	if s.inserts.writing || len(s.inserts.pending) != 0 {
		t.Errorf("after every call returned: writing %v, %d pending", s.inserts.writing, len(s.inserts.pending))
	}
}
