package pgnotify

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/store"
)

// TestIngestOnOneReplicaWakesAWatcherOnAnother: two replicas' feeds over one store, each with
// its own pool and listener on PostgreSQL: a change stored by one wakes a watcher of that
// connection on the other.
func TestIngestOnOneReplicaWakesAWatcherOnAnother(t *testing.T) {
	t.Parallel()
	dsn := testPostgres(t)
	ctx := waitCtx(t)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "replicas.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	replica := func() *changes.Feed {
		f := changes.NewFeed(st, logger).WithNotifier(NewNotifier(openDB(t, dsn)))
		to := To(f, changes.NewProcessor(f, st, nil, logger))
		r := newRecorder()
		runListener(t, dsn, r.deliver(&to), 0)
		waitListening(ctx, t, r)
		return f
	}
	a, b := replica(), replica()

	uid := randomName(t, "uid-")
	w := b.Wake(uid)
	if _, err := a.Ingest(ctx, uid, []changes.Detected{{ObjectType: "contacts", RecordID: "1", Kind: changes.KindCreated,
		Occur: time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC), Source: changes.SourcePoll}}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w:
	case <-ctx.Done():
		t.Fatal("the watcher on the other replica was never woken")
	}
	got, err := b.List(ctx, uid, 0, nil, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("the woken replica reads %d changes, %v; want the one stored", len(got), err)
	}
}
