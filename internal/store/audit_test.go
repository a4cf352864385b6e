package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// A workspace's log is pruned as events are appended: by age and by count, without touching
// another workspace's events; listing pages newest first and filters.
func TestAuditRetentionAndListing(t *testing.T) {
	storetest.OnEachEngine(t, testAuditRetentionAndListing)
}

func testAuditRetentionAndListing(t *testing.T, e storetest.Engine) {
	st, _ := openOn(t, e)
	ctx := context.Background()
	keep := AuditRetention{MaxAge: 24 * time.Hour, MaxEvents: 3}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	appendAt := func(ws, id string, at time.Time, action string) {
		t.Helper()
		if err := st.AppendAuditEvent(ctx, AuditEvent{ID: id, Workspace: ws, Time: at, Action: action, Resource: "workspaces/" + ws, Outcome: "OK"}, keep); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ws string, before int64, f AuditFilter, limit int) []string {
		t.Helper()
		events, err := st.ListAuditEvents(ctx, ws, before, f, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range events {
			out = append(out, e.ID)
		}
		return out
	}
	appendAt("globex", "g1", start, "CONNECT")
	for i := 1; i <= 5; i++ { // one an hour: the count bound keeps the newest 3
		appendAt("acme", fmt.Sprintf("a%d", i), start.Add(time.Duration(i)*time.Hour), []string{"CONNECT", "DELETE_CONNECTION"}[i%2])
	}
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"count bound, newest first", ids("acme", 0, AuditFilter{}, 10), []string{"a5", "a4", "a3"}},
		{"other workspace untouched", ids("globex", 0, AuditFilter{}, 10), []string{"g1"}},
		{"action filter", ids("acme", 0, AuditFilter{Action: "CONNECT"}, 10), []string{"a4"}},
		{"resource filter", ids("acme", 0, AuditFilter{Resource: "workspaces/globex"}, 10), nil},
		{"limit", ids("acme", 0, AuditFilter{}, 2), []string{"a5", "a4"}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	events, _ := st.ListAuditEvents(ctx, "acme", 0, AuditFilter{}, 2)
	if diff := cmp.Diff([]string{"a3"}, ids("acme", events[1].Seq, AuditFilter{}, 10)); diff != "" {
		t.Errorf("next page (-want +got):\n%s", diff)
	}
	// Two days later one event ages the older ones out.
	appendAt("acme", "a6", start.Add(48*time.Hour), "CONNECT")
	if diff := cmp.Diff([]string{"a6"}, ids("acme", 0, AuditFilter{}, 10)); diff != "" {
		t.Errorf("age bound (-want +got):\n%s", diff)
	}
}
