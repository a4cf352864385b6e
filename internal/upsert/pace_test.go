package upsert_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/upsert"
)

// gatedSender is a recordingSender whose batches stay on the wire until gate is closed.
type gatedSender struct {
	*recordingSender
	gate chan struct{}
}

func (s *gatedSender) BatchUpsertWithPermit(ctx context.Context, objectType string, inputs []hubspot.BatchUpsertInput, p *hubspot.Permit) (*hubspot.BatchResult, error) {
	<-s.gate
	return s.recordingSender.BatchUpsertWithPermit(ctx, objectType, inputs, p)
}

// TestPartialBatchesWaitForCompanyWhenTheWindowIsNearlySpent: while a batch is on the
// wire (its callers may come back) and the window is nearly spent, a partial batch keeps
// filling instead of taking one of the last slots for a few contacts. At a budget of 10
// per second with 9 slots taken, 30 callers then 70 more go out as one request of 100,
// not as 30 and 70: the request saved is a tenth of the window's throughput. With nothing
// on the wire, the last callers of a load leave without waiting for company. Time is
// synctest's: nothing here depends on the machine's speed.
func TestPartialBatchesWaitForCompanyWhenTheWindowIsNearlySpent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &gatedSender{gate: make(chan struct{}), recordingSender: &recordingSender{
			limiter: hubspot.NewLimiter(hubspot.LimiterConfig{Budget: 10, Window: time.Second, SafetyMargin: -1})}}
		b := upsert.New(s, upsert.Config{Linger: 20 * time.Millisecond})
		defer b.Close()
		upsertN := func(prefix string, n int) *sync.WaitGroup {
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					if _, err := b.Upsert(t.Context(), email(prefix, i), nil); err != nil {
						t.Errorf("%s %d: %v", prefix, i, err)
					}
				})
			}
			return &wg
		}

		// Other calls of the connection take 8 slots, and a lone upsert's batch a ninth,
		// staying on the wire: one slot is left in this window.
		for range 8 {
			p, err := s.limiter.Wait(t.Context(), hubspot.KindStandard)
			if err != nil {
				t.Fatal(err)
			}
			p.Done(nil)
		}
		lone := upsertN("lone", 1)
		time.Sleep(50 * time.Millisecond) // past its linger: the lone batch is on the wire
		synctest.Wait()
		first := upsertN("first", 30)
		time.Sleep(200 * time.Millisecond) // well past the linger and a tenth of the window
		synctest.Wait()
		if st := b.Stats(); st.BatchesSent != 1 || st.Queued != 30 {
			t.Errorf("stats %+v with one slot left: want the lone batch sent, the 30 still queued", st)
		}
		second := upsertN("second", 70)
		synctest.Wait()
		close(s.gate)
		lone.Wait()
		first.Wait()
		second.Wait()
		// Nothing on the wire: the last callers go as soon as the window frees a slot.
		upsertN("last", 5).Wait()

		var sizes []int
		for _, batch := range s.recorded() {
			sizes = append(sizes, len(batch))
		}
		slices.Sort(sizes)
		if diff := cmp.Diff([]int{1, 5, 100}, sizes); diff != "" {
			t.Errorf("batch sizes (-want +got):\n%s", diff)
		}
	})
}

// TestBatchesLeaveASlotToTheConnectionsOtherCallers: while the connection has other callers
// (one held a slot within the last minute), the batcher never takes the window's last free
// slot, so a burst of upserts does not make their next request wait for the window to roll.
// At a budget of 10 per second, 1,000 callers queued at once are 10 full batches: 9 go at
// once and a read asked 150 ms later is granted at once, the 10th batch going when the
// window rolls. With no other caller in the last minute, the burst takes the whole window
// and the read waits for it to roll. Time is synctest's.
func TestBatchesLeaveASlotToTheConnectionsOtherCallers(t *testing.T) {
	for _, tc := range []struct {
		name         string
		readBefore   time.Duration // a read this long before the burst; 0: none
		wantReadWait time.Duration
		wantAtOnce   int // batches sent in the burst's first instant
	}{
		{"another caller read 30 s before", 30 * time.Second, 0, 9},
		{"no other caller for two minutes", 2 * time.Minute, 850 * time.Millisecond, 10},
		{"no other caller ever", 0, 850 * time.Millisecond, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &recordingSender{limiter: hubspot.NewLimiter(hubspot.LimiterConfig{Budget: 10, Window: time.Second, SafetyMargin: -1})}
				b := upsert.New(s, upsert.Config{Linger: 20 * time.Millisecond})
				defer b.Close()
				read := func() time.Duration {
					asked := time.Now()
					p, err := s.limiter.Wait(hubspot.WithCaller(t.Context(), "a workflow's read"), hubspot.KindStandard)
					if err != nil {
						t.Fatal(err)
					}
					p.Done(nil)
					return time.Since(asked)
				}
				if tc.readBefore > 0 {
					read()
					// The batcher sees the read while it holds a slot of the window.
					if _, err := b.Upsert(t.Context(), email("early", 0), nil); err != nil {
						t.Fatal(err)
					}
					time.Sleep(tc.readBefore)
				}
				var wg sync.WaitGroup
				for i := range 1000 {
					wg.Go(func() {
						if _, err := b.Upsert(t.Context(), email("burst", i), nil); err != nil {
							t.Errorf("burst %d: %v", i, err)
						}
					})
				}
				synctest.Wait()
				atOnce := len(s.recorded())
				if tc.readBefore > 0 {
					atOnce-- // the early upsert's batch
				}
				if atOnce != tc.wantAtOnce {
					t.Errorf("%d batches sent at once, want %d", atOnce, tc.wantAtOnce)
				}
				time.Sleep(150 * time.Millisecond)
				if waited := read(); waited != tc.wantReadWait {
					t.Errorf("the read waited %v for a slot beside the upserts; want %v", waited, tc.wantReadWait)
				}
				wg.Wait()
				sizes := map[int]int{}
				for _, batch := range s.recorded() {
					sizes[len(batch)]++
				}
				if sizes[100] != 10 {
					t.Errorf("batch sizes %v; want 10 full batches of the burst", sizes)
				}
			})
		})
	}
}

// TestCallersJustAnsweredAreWaitedForLikeCallersOnTheWire: the callers of a batch come back
// one by one over the time their answer and their next call take. Once every batch of the
// connection is answered, none is on the wire, but its callers are on their way: a partial
// batch waits for them as for the callers of a batch on the wire, rather than go at the idle
// pace and carry the first few (replicas whose batches are all answered together made 410
// requests for 400 ideal this way, 455 without). At 10 requests a second with 6 taken by the
// connection's other calls, 200 callers answered together and coming back over 200 ms send
// two more full batches, not a batch of those back within the idle pace. Time is synctest's.
func TestCallersJustAnsweredAreWaitedForLikeCallersOnTheWire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &gatedSender{gate: make(chan struct{}), recordingSender: &recordingSender{
			limiter: hubspot.NewLimiter(hubspot.LimiterConfig{Budget: 10, Window: time.Second, SafetyMargin: -1})}}
		b := upsert.New(s, upsert.Config{Linger: 20 * time.Millisecond})
		defer b.Close()
		for range 6 {
			p, err := s.limiter.Wait(hubspot.WithCaller(t.Context(), "a workflow's read"), hubspot.KindStandard)
			if err != nil {
				t.Fatal(err)
			}
			p.Done(nil)
		}
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				for round := range 2 {
					if _, err := b.Upsert(t.Context(), email("caller", i), map[string]string{"round": string(rune('a' + round))}); err != nil {
						t.Errorf("caller %d: %v", i, err)
					}
					time.Sleep(time.Duration(i) * time.Millisecond) // the way back to the next call
				}
			})
		}
		time.Sleep(50 * time.Millisecond) // two full batches on the wire
		synctest.Wait()
		close(s.gate)
		wg.Wait()

		var sizes []int
		for _, batch := range s.recorded() {
			sizes = append(sizes, len(batch))
		}
		if diff := cmp.Diff([]int{100, 100, 100, 100}, sizes); diff != "" {
			t.Errorf("batch sizes in order (-want +got):\n%s", diff)
		}
	})
}
