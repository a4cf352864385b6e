package store

import (
	"context"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// TestDeleteConnectionTakesItsChanges: what a connection's uid keys (its webhook secret,
// changes, own writes, inbox) goes with the connection; another connection's stays.
func TestDeleteConnectionTakesItsChanges(t *testing.T) {
	storetest.OnEachEngine(t, testDeleteConnectionTakesItsChanges)
}

func testDeleteConnectionTakesItsChanges(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var uids []string
	for _, id := range []string{"gone", "kept"} {
		c := &Connection{Workspace: "acme", ID: id, DisplayName: id, Status: "CONNECTED", CreateTime: now, UpdateTime: now}
		if err := s.CreateConnection(ctx, c, "", 0); err != nil {
			t.Fatal(err)
		}
		uids = append(uids, c.UID)
		if err := s.SetWebhookSecret(ctx, c.UID, "k1", []byte{1}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.IngestChanges(ctx, c.UID, []Change{{Key: "k", ObjectType: "contacts", RecordID: "1", Kind: "CREATED", Occur: now, Detect: now, Source: "WEBHOOK"}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordOwnWrites(ctx, c.UID, []OwnWrite{{ObjectType: "contacts", RecordID: "1", UpdatedAt: now}}, now); err != nil {
			t.Fatal(err)
		}
		if err := s.AddToInbox(ctx, []InboxEvent{{ConnectionUID: c.UID, Event: []byte(`{}`), Received: now}}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddUsage(ctx, []UsageCount{{ConnectionUID: c.UID, Hour: now, Kind: "standard", Requests: 1}}, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteConnection(ctx, "acme", "gone", ""); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{0, 1} {
		for _, table := range []string{"change_settings", "changes", "own_writes", "webhook_inbox", "usage_hours", "usage_totals"} {
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE connection_uid = ?`, uids[i]).Scan(&n); err != nil { //nolint:gosec // constant table names
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("%s rows of connection %d after deleting the first: %d, want %d", table, i, n, want)
			}
		}
	}
}
