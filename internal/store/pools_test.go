package store

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
)

// An answered write must survive an OS crash or power loss: the writer syncs the WAL at
// every commit (PRAGMA synchronous FULL = 2), not only at checkpoints (NORMAL = 1).
func TestWriterSyncsEveryCommit(t *testing.T) {
	s, _ := openTemp(t)
	var level int
	if err := s.w.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != 2 {
		t.Errorf("writer's PRAGMA synchronous = %d, want 2 (FULL)", level)
	}
}

// A burst of concurrent reads opens at most maxReaders connections; the rest wait for one.
// It runs in a synctest bubble: synctest.Wait returns once every reader either holds a
// connection (and waits to be released) or waits in database/sql for one.
func TestReadPoolIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := openTemp(t)
		ctx := context.Background()
		const readers = 3 * maxReaders
		opened := make(chan struct{}, readers)
		release := make(chan struct{})
		var wg sync.WaitGroup
		for range readers {
			wg.Go(func() {
				rows, err := s.db.QueryContext(ctx, "SELECT 1") //nolint:rowserrcheck // held open to occupy a connection, never read
				if err != nil {
					t.Error(err)
					return
				}
				defer rows.Close()
				opened <- struct{}{}
				<-release
			})
		}
		defer wg.Wait()
		defer close(release)
		synctest.Wait()
		// Every reader beyond the bound waits for a connection (database/sql counts it in
		// WaitCount); without a bound all of them open one.
		st := s.db.Stats()
		if n := len(opened); n != maxReaders || st.WaitCount != readers-maxReaders {
			t.Errorf("%d reads hold a connection and %d wait, want %d and %d", n, st.WaitCount, maxReaders, readers-maxReaders)
		}
		if st.OpenConnections > maxReaders {
			t.Errorf("%d read connections open, want at most %d", st.OpenConnections, maxReaders)
		}
	})
}
