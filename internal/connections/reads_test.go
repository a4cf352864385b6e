package connections

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store"
)

// fakeRow is a connection row whose reads can be held, counted and changed between.
type fakeRow struct {
	reads   atomic.Int32
	version atomic.Int64 // the row's SchemaVersion: a write bumps it
	hold    chan struct{}
	err     error
}

func (f *fakeRow) read(ctx context.Context) (store.Connection, error) {
	f.reads.Add(1)
	v := f.version.Load() // read as of the read's start
	if f.hold != nil {
		<-f.hold
	}
	return store.Connection{ID: "c", SchemaVersion: v, GrantedScopes: []string{"crm.objects.contacts.read"}}, f.err
}

// waitJoined waits until n Gets wait for the read after the one under way for key.
func waitJoined(t *testing.T, r *connectionReads, key string, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		r.mu.Lock()
		cur := r.turns[key]
		joined := cur != nil && cur.next != nil && cur.next.waiting+1 == n
		r.mu.Unlock()
		if joined {
			return
		}
	}
	t.Fatalf("%d Gets did not queue behind the read under way", n)
}

// Gets that arrive while a row is being read share one read, begun after they arrived: they
// see a write made before they were called, never the answer of the read already under way,
// and 20 of them cost one read, not 20.
func TestConnectionReadsShareOnlyLaterReads(t *testing.T) {
	var r connectionReads
	row := &fakeRow{hold: make(chan struct{})}
	ctx := context.Background()
	first := make(chan store.Connection, 1)
	go func() {
		c, _ := r.get(ctx, "c", row.read)
		first <- c
	}()
	for row.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	row.version.Store(1) // a write committed while the first read is under way, before the others are called
	const n = 20
	got := make([]store.Connection, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := r.get(ctx, "c", row.read)
			if err != nil {
				t.Errorf("get: %v", err)
			}
			got[i] = c
		})
	}
	waitJoined(t, &r, "c", n)
	close(row.hold)
	wg.Wait()
	if c := <-first; c.SchemaVersion != 0 {
		t.Errorf("the first Get saw version %d, want 0 (its own read began before the write)", c.SchemaVersion)
	}
	for i, c := range got {
		if c.SchemaVersion != 1 {
			t.Errorf("Get %d saw version %d, want 1: it was called after the write", i, c.SchemaVersion)
		}
	}
	if reads := row.reads.Load(); reads != 2 {
		t.Errorf("%d reads, want 2 (the first Get's, and one for the %d called during it)", reads, n)
	}
	// Each Get has its own copy: one changing its scopes changes no other's.
	got[0].GrantedScopes[0] = "changed"
	if got[1].GrantedScopes[0] != "crm.objects.contacts.read" {
		t.Errorf("Gets share their slices: %v", got[1].GrantedScopes)
	}
	// With nothing under way, a Get reads alone, at once.
	row.hold = nil
	if c, err := r.get(ctx, "c", row.read); err != nil || c.SchemaVersion != 1 || row.reads.Load() != 3 {
		t.Errorf("a lone Get: %+v, %v after %d reads; want version 1 from a third read", c, err, row.reads.Load())
	}
}

// A read's error is every Get's that shared it; a Get whose context ends while it waits
// fails with its context's error, and the others still get the read's answer.
func TestConnectionReadsErrorsAndCancellation(t *testing.T) {
	var r connectionReads
	boom := errors.New("database gone")
	row := &fakeRow{hold: make(chan struct{}), err: boom}
	ctx := context.Background()
	errs := make(chan error, 3)
	go func() {
		_, err := r.get(ctx, "c", row.read)
		errs <- err
	}()
	for row.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	go func() {
		_, err := r.get(ctx, "c", row.read)
		errs <- err
	}()
	waitJoined(t, &r, "c", 1) // this one runs the next read; the cancelled one only waits for it
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		_, err := r.get(cctx, "c", row.read)
		errs <- err
	}()
	waitJoined(t, &r, "c", 2)
	cancel()
	var got []error
	got = append(got, <-errs) // the cancelled one leaves while the read is held
	close(row.hold)
	got = append(got, <-errs, <-errs)
	if !errors.Is(got[0], context.Canceled) {
		t.Errorf("the cancelled Get: %v, want context.Canceled", got[0])
	}
	for _, err := range got[1:] {
		if !errors.Is(err, boom) {
			t.Errorf("a Get: %v, want the read's error", err)
		}
	}
}

// The Get that begins a read leaves when its context ends, like those that share it: the
// read goes on for the others (and ends after readTimeout at the latest).
func TestConnectionReadsTheFirstGetLeavesOnItsContext(t *testing.T) {
	var r connectionReads
	row := &fakeRow{hold: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := r.get(ctx, "c", row.read)
		errc <- err
	}()
	for row.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) { // while its read is still held
		t.Errorf("the first Get after its context ended: %v, want context.Canceled", err)
	}
	close(row.hold)
	if c, err := r.get(context.Background(), "c", row.read); err != nil || c.ID != "c" {
		t.Errorf("a Get after the held read: %+v, %v", c, err)
	}
}
