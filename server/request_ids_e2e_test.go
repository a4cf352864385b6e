package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store"
)

// TestExpiredRequestIDsArePrunedAtStart: the server's sweep forgets request_ids older than
// store.RequestIDRetention and keeps the fresh ones.
func TestExpiredRequestIDsArePrunedAtStart(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.stop()
	ctx := context.Background()
	st, err := store.Open(ctx, ts.db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ages := map[string]time.Duration{"expired": store.RequestIDRetention + time.Hour, "fresh": time.Hour}
	for id, age := range ages {
		created := now.Add(-age)
		c := &store.Connection{Workspace: "acme", ID: id, DisplayName: id, Status: "CONNECTED", CreateTime: created, UpdateTime: created}
		if err := st.CreateConnection(ctx, c, "req-"+id, 0); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	mark := len(ts.logs.String())
	ts.start(t)
	if deleted := waitLog(t, ts.logs, mark, "pruned expired request_ids", 10*time.Second)["deleted"]; deleted != float64(1) {
		t.Errorf("pruned %v request_ids, want 1", deleted)
	}
	ts.stop()

	st, err = store.Open(ctx, ts.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kept := map[string]bool{}
	for id := range ages {
		_, err := st.RequestResource(ctx, "acme", "Connect", "req-"+id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		kept[id] = err == nil
	}
	if d := cmp.Diff(map[string]bool{"expired": false, "fresh": true}, kept); d != "" {
		t.Errorf("request_ids kept (-want +got):\n%s", d)
	}
}
