package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// Several processes on one database: each test opens two stores on one fresh database (two
// replicas, or two processes on one SQLite file) and sends concurrent callers through both.
// What one process guaranteed with SQLite's single writer must hold across them, and on
// PostgreSQL, whose writers run side by side.

// openReplicas opens two stores on one fresh database of e.
func openReplicas(t *testing.T, e storetest.Engine) [2]*Store {
	t.Helper()
	a, dsn := openOn(t, e)
	b, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return [2]*Store{a, b}
}

// onBoth runs n callers, caller i on replica i%2, and waits for all.
func onBoth(replicas [2]*Store, n int, call func(i int, s *Store)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { call(i, replicas[i%2]) })
	}
	wg.Wait()
}

func TestReplicasKeepTheQueueCap(t *testing.T) {
	storetest.OnEachEngine(t, testReplicasKeepTheQueueCap)
}

func testReplicasKeepTheQueueCap(t *testing.T, e storetest.Engine) {
	r := openReplicas(t, e)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	if err := r[0].InsertConnection(context.Background(), &Connection{Workspace: "acme", ID: "prod", DisplayName: "prod",
		Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
	const limit, callers = 10, 40
	var mu sync.Mutex
	outcomes := map[string]int{}
	onBoth(r, callers, func(i int, s *Store) {
		_, _, err := s.InsertOutboxEvent(context.Background(), queuedEvent("prod", fmt.Sprint("e", i), "", `{}`, now), limit)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			outcomes["accepted"]++
		case errors.Is(err, ErrQueueFull):
			outcomes["queue full"]++
		default:
			t.Errorf("insert: %v", err)
		}
	})
	if d := cmp.Diff(map[string]int{"accepted": limit, "queue full": callers - limit}, outcomes); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
}

func TestReplicasKeepTheConnectionLimit(t *testing.T) {
	storetest.OnEachEngine(t, testReplicasKeepTheConnectionLimit)
}

func testReplicasKeepTheConnectionLimit(t *testing.T, e storetest.Engine) {
	r := openReplicas(t, e)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	const limit, callers = 5, 20
	var mu sync.Mutex
	outcomes := map[string]int{}
	var seqs []int64
	onBoth(r, callers, func(i int, s *Store) {
		c := &Connection{Workspace: "acme", ID: fmt.Sprint("c", i), DisplayName: fmt.Sprint("HubSpot ", i),
			Status: "CONNECTED", CreateTime: now, UpdateTime: now}
		err := s.CreateConnection(context.Background(), c, fmt.Sprint("req-", i), limit)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			outcomes["created"]++
			seqs = append(seqs, c.Seq)
		case errors.Is(err, ErrConnectionLimit):
			outcomes["over the limit"]++
		default:
			t.Errorf("create: %v", err)
		}
	})
	if d := cmp.Diff(map[string]int{"created": limit, "over the limit": callers - limit}, outcomes); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	got := map[int64]bool{}
	for _, s := range seqs {
		got[s] = true
	}
	if d := cmp.Diff(map[int64]bool{1: true, 2: true, 3: true, 4: true, 5: true}, got); d != "" {
		t.Errorf("seqs of the connections created (-want +got):\n%s", d)
	}
}

func TestReplicasClaimARequestIDOnce(t *testing.T) {
	storetest.OnEachEngine(t, testReplicasClaimARequestIDOnce)
}

func testReplicasClaimARequestIDOnce(t *testing.T, e storetest.Engine) {
	r := openReplicas(t, e)
	const callers = 20
	var mu sync.Mutex
	holders := 0
	onBoth(r, callers, func(i int, s *Store) {
		_, claimed, err := s.ClaimRequest(context.Background(), RequestCall{Workspace: "acme", RequestID: "same", Method: "/s/M",
			Fingerprint: []byte{1}, Claim: fmt.Sprint(i), Expire: time.Now().Add(time.Hour)})
		if err != nil {
			t.Errorf("claim: %v", err)
		}
		if claimed {
			mu.Lock()
			holders++
			mu.Unlock()
		}
	})
	if holders != 1 {
		t.Errorf("%d callers hold the request_id, want 1", holders)
	}
}

func TestReplicasHoldALeaseOneAtATime(t *testing.T) {
	storetest.OnEachEngine(t, testReplicasHoldALeaseOneAtATime)
}

func testReplicasHoldALeaseOneAtATime(t *testing.T, e storetest.Engine) {
	r := openReplicas(t, e)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	const callers = 20
	leases := make([]Lease, callers)
	onBoth(r, callers, func(i int, s *Store) {
		var err error
		if leases[i], err = s.AcquireLease(context.Background(), OutboxDeliveryLease, fmt.Sprint("owner-", i), now, time.Minute); err != nil {
			t.Errorf("acquire: %v", err)
		}
	})
	holders := map[string]bool{}
	for i, l := range leases {
		if l.HeldBy(fmt.Sprint("owner-", i), now) {
			holders[l.Owner] = true
		}
	}
	if len(holders) != 1 {
		t.Errorf("%d callers were given the lease (%v), want 1", len(holders), holders)
	}
}

// A reader following one connection's changes by seq while two replicas store them misses
// none: a change never commits with a seq below one already read.
func TestReplicasCommitChangesInSeqOrder(t *testing.T) {
	storetest.OnEachEngine(t, testReplicasCommitChangesInSeqOrder)
}

func testReplicasCommitChangesInSeqOrder(t *testing.T, e storetest.Engine) {
	r := openReplicas(t, e)
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	const writers, perWriter = 4, 25
	done := make(chan struct{})
	go func() {
		defer close(done)
		onBoth(r, writers, func(w int, s *Store) {
			for i := range perWriter {
				c := Change{Key: fmt.Sprintf("w%d-%d", w, i), ObjectType: "contacts", RecordID: "1", Kind: "UPDATED", Occur: now, Detect: now, Source: "WEBHOOK"}
				if _, err := s.IngestChanges(ctx, "uid-1", []Change{c}, nil); err != nil {
					t.Errorf("ingest: %v", err)
					return
				}
			}
		})
	}()
	seen := map[string]int{}
	var after int64
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := r[0].ListChanges(ctx, "uid-1", after, nil, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			seen[c.Key]++
			after = c.Seq
		}
		if finished && len(page) == 0 { // read once more after every writer returned
			break
		}
	}
	if len(seen) != writers*perWriter {
		t.Errorf("the reader saw %d of the %d changes: a change committed below its cursor", len(seen), writers*perWriter)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("change %s read %d times", k, n)
		}
	}
}
