package upsert_test

import (
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/upsert"
)

// TestThroughputAtTheScaledCeiling pushes a burst through the scaled budget
// (20 requests per 200 ms, HubSpot's Free tier fifty times faster) and logs
// the theoretical minimum time over the measured time. It asserts only
// correctness (every upsert done, the window never exceeded): speed on a
// shared machine is logged, not asserted.
func TestThroughputAtTheScaledCeiling(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 50})
	b := e.batcher(t, upsert.Config{})

	const bulkCalls, singles = 9, 1000 // 10,000 contacts: 100 batches, five windows
	const n = bulkCalls*upsert.MaxBulk + singles
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	fail := func(err error) {
		if err != nil {
			mu.Lock()
			failed++
			mu.Unlock()
		}
	}
	start := time.Now()
	for c := range bulkCalls {
		wg.Go(func() {
			contacts := make([]upsert.Contact, upsert.MaxBulk)
			for i := range contacts {
				contacts[i] = upsert.Contact{Email: email("tp", c*upsert.MaxBulk+i), Properties: map[string]string{"firstname": "T"}}
			}
			out, err := b.UpsertMany(t.Context(), contacts)
			fail(err)
			for _, r := range out {
				fail(r.Err)
			}
		})
	}
	for i := range singles {
		wg.Go(func() {
			_, err := b.Upsert(t.Context(), email("tp", bulkCalls*upsert.MaxBulk+i), map[string]string{"firstname": "T"})
			fail(err)
		})
	}
	wg.Wait()
	measured := time.Since(start)

	batches := (n + hubspot.MaxBatchInputs - 1) / hubspot.MaxBatchInputs
	windows := (batches + scaledBudget - 1) / scaledBudget
	theoretical := scaledWindow * time.Duration(windows-1)
	c := e.sb.Counters()
	receipts := c.ReceiptTimes[firstApp(c)]
	st := b.Stats()
	t.Logf("%d upserts in %v; theoretical minimum %v (%d batches, %d per %v): ratio %.2f; %d requests, average batch %.1f, max %d in a window",
		n, measured.Round(time.Millisecond), theoretical, batches, scaledBudget, scaledWindow,
		theoretical.Seconds()/measured.Seconds(), len(receipts), st.AverageBatchSize(), sandbox.MaxInWindow(receipts, scaledWindow))
	if failed != 0 {
		t.Errorf("%d upserts failed", failed)
	}
	if got := e.contactCount(); got != n {
		t.Errorf("sandbox holds %d contacts, want %d", got, n)
	}
	if m := sandbox.MaxInWindow(receipts, scaledWindow); m > scaledBudget || total(c.RateLimited) != 0 {
		t.Errorf("max %d requests in a window (budget %d), 429s %v", m, scaledBudget, c.RateLimited)
	}
}
