package store

import (
	"context"
	"sync"
	"testing"
	"time"
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
func TestReadPoolIsBounded(t *testing.T) {
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
	// Every reader beyond the bound waits for a connection (database/sql counts it in
	// WaitCount); without a bound all of them open one.
	deadline := time.Now().Add(10 * time.Second)
	for s.db.Stats().WaitCount < readers-maxReaders {
		if n := len(opened); n > maxReaders {
			t.Fatalf("%d reads hold a connection at once, want at most %d", n, maxReaders)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %d reads hold a connection, %d wait", len(opened), s.db.Stats().WaitCount)
		}
		time.Sleep(time.Millisecond)
	}
	if got := s.db.Stats().OpenConnections; got > maxReaders {
		t.Errorf("%d read connections open, want at most %d", got, maxReaders)
	}
}
