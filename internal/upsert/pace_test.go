package upsert_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/upsert"
)

// TestPartialBatchesWaitForCompanyWhenTheWindowIsNearlySpent: a partial batch leaves after
// its linger while the window has slots to spare, but when the window is nearly spent it
// keeps filling instead of taking one of the last slots for a few contacts. At a budget of
// 10 per second with 9 spent, 30 callers then 70 more go out as one request of 100, not
// as 30 and 70: the request saved is a tenth of the window's throughput. Callers who find
// nobody to share with still leave, once the window frees slots. Time is synctest's:
// nothing here depends on the machine's speed.
func TestPartialBatchesWaitForCompanyWhenTheWindowIsNearlySpent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &recordingSender{limiter: hubspot.NewLimiter(hubspot.LimiterConfig{Budget: 10, Window: time.Second, SafetyMargin: -1})}
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

		// An idle connection: a lone upsert leaves after its linger.
		upsertN("lone", 1).Wait()
		// Other calls of the connection spend 8 more slots: one is left in this window.
		for range 8 {
			p, err := s.limiter.Wait(t.Context(), hubspot.KindStandard)
			if err != nil {
				t.Fatal(err)
			}
			p.Done(nil)
		}
		first := upsertN("first", 30)
		time.Sleep(200 * time.Millisecond) // well past the linger and a tenth of the window
		synctest.Wait()
		second := upsertN("second", 70)
		first.Wait()
		second.Wait()
		// Nobody to share with: the last callers leave when the window gives slots back.
		upsertN("last", 5).Wait()

		var sizes []int
		for _, batch := range s.recorded() {
			sizes = append(sizes, len(batch))
		}
		if diff := cmp.Diff([]int{1, 100, 5}, sizes); diff != "" {
			t.Errorf("batch sizes (-want +got):\n%s", diff)
		}
	})
}
