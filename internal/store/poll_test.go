package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// A page's snapshots and cursor are saved together, read back as saved, and leave with
// their connection.
func TestPollCursorAndSnapshots(t *testing.T) { storetest.OnEachEngine(t, testPollCursorAndSnapshots) }

func testPollCursorAndSnapshots(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	if err := s.InsertConnection(ctx, &Connection{Workspace: "acme", ID: "prod", DisplayName: "Prod", Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
	k := PollKey{Workspace: "acme", ConnectionID: "prod", ObjectType: "contacts"}
	if c, err := s.GetPollCursor(ctx, k); err != nil || c.Found {
		t.Fatalf("cursor before any poll = %+v, %v; want not found", c, err)
	}
	cur := PollCursor{Found: true, SinceMs: 1000, ModifiedMs: 2000, ObjectID: 7, Polls: 3}
	snaps := []PollSnapshot{
		{RecordID: 7, ModifiedMs: 2000, Values: map[string]string{"email": "a@b.example"}},
		{RecordID: 9, ModifiedMs: 1500, Deleted: true, Values: map[string]string{}},
	}
	if err := s.SavePollPage(ctx, k, cur, snaps); err != nil {
		t.Fatal(err)
	}
	snaps[0].ModifiedMs, snaps[0].Values["email"] = 2500, "c@d.example"
	cur.ModifiedMs = 2500
	if err := s.SavePollPage(ctx, k, cur, snaps[:1]); err != nil {
		t.Fatal(err)
	}
	gotCur, err := s.GetPollCursor(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cur, gotCur); diff != "" {
		t.Errorf("cursor (-want +got):\n%s", diff)
	}
	got, err := s.GetPollSnapshots(ctx, k, []int64{7, 8, 9})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]PollSnapshot{7: snaps[0], 9: snaps[1]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshots (-want +got):\n%s", diff)
	}
	if _, err := s.GetPollSnapshots(ctx, k, make([]int64, MaxPollSnapshotsRead+1)); err == nil {
		t.Error("reading more snapshots than the bound succeeded")
	}
	if err := s.DeleteConnection(ctx, "acme", "prod", ""); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.GetPollCursor(ctx, k); c.Found {
		t.Error("a deleted connection's cursor remains")
	}
	if got, _ := s.GetPollSnapshots(ctx, k, []int64{7, 9}); len(got) != 0 {
		t.Errorf("a deleted connection's snapshots remain: %v", got)
	}
}
