package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// TestPruneUsage: hours older than the retention go, younger stay; totals go only once their
// connection is gone and they were not written for the retention.
func TestPruneUsage(t *testing.T) { storetest.OnEachEngine(t, testPruneUsage) }

func testPruneUsage(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	live := &Connection{Workspace: "acme", ID: "prod", DisplayName: "prod", Status: "CONNECTED", CreateTime: now, UpdateTime: now}
	if err := s.CreateConnection(ctx, live, "", 0); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-UsageRetention - time.Hour)
	add := func(uid string, hour time.Time) {
		t.Helper()
		if err := s.AddUsage(ctx, []UsageCount{{ConnectionUID: uid, Hour: hour, Kind: "standard", Requests: 2, RateLimited: 1}}, hour); err != nil {
			t.Fatal(err)
		}
	}
	add(live.UID, old)
	add(live.UID, now.Add(-UsageRetention))
	add(live.UID, now)
	add("gone-long-ago", old)
	add("gone-lately", now)

	n, err := s.PruneUsage(ctx, now, 100)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 { // two hours older than the retention, and the totals of gone-long-ago
		t.Errorf("deleted %d rows, want 3", n)
	}
	hours, err := s.UsageHours(ctx, live.UID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := []UsageCount{
		{ConnectionUID: live.UID, Hour: now.Add(-UsageRetention), Kind: "standard", Requests: 2, RateLimited: 1},
		{ConnectionUID: live.UID, Hour: now, Kind: "standard", Requests: 2, RateLimited: 1},
	}
	if diff := cmp.Diff(want, hours); diff != "" {
		t.Errorf("hours kept (-want +got):\n%s", diff)
	}
	for uid, want := range map[string]UsageTotal{live.UID: {Requests: 6, RateLimited: 3}, "gone-lately": {Requests: 2, RateLimited: 1}, "gone-long-ago": {}} {
		got, err := s.UsageTotals(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("totals of %s: %+v, want %+v", uid, got, want)
		}
	}
}
