package upsert_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/upsert"
)

// TestConcurrentUpsertsAreCoalesced: a burst of 1,000 callers goes out in
// about ten batch requests, and each caller gets its own contact's id and
// whether it was created, although the sandbox shuffles batch results.
func TestConcurrentUpsertsAreCoalesced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 1})
	// A linger far longer than the burst takes to queue even on a loaded
	// machine: full batches leave without lingering, so the count is exact.
	b := e.batcher(t, upsert.Config{Linger: time.Second})

	const n = 1000
	existing := map[string]string{} // email → id of contacts already in the CRM
	for i := 0; i < n; i += 7 {
		existing[email("burst", i)] = e.createContact(t, email("burst", i))
	}
	before := e.contactCount()

	results := make([]upsert.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{}) // a burst: every caller ready, then all at once
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], errs[i] = b.Upsert(t.Context(), email("burst", i),
				map[string]string{"firstname": "F" + strconv.Itoa(i), "lastname": "L" + strconv.Itoa(i)})
		})
	}
	close(start)
	wg.Wait()

	for i := range n {
		addr := email("burst", i)
		if errs[i] != nil {
			t.Fatalf("upsert %d: %v", i, errs[i])
		}
		got := e.contact(t, results[i].ID)
		if got["email"] != addr || got["firstname"] != "F"+strconv.Itoa(i) {
			t.Fatalf("upsert %d returned id %s, which is contact %s (firstname %q): results were matched to the wrong callers",
				i, results[i].ID, got["email"], got["firstname"])
		}
		id, wasThere := existing[addr]
		if results[i].Created == wasThere {
			t.Errorf("upsert %d: Created=%v, but the contact existed before: %v", i, results[i].Created, wasThere)
		}
		if wasThere && results[i].ID != id {
			t.Errorf("upsert %d: id %s, want the existing contact %s", i, results[i].ID, id)
		}
	}
	if got, want := e.contactCount(), before+n-len(existing); got != want {
		t.Errorf("sandbox holds %d contacts, want %d", got, want)
	}
	reqs := e.upsertRequests()
	st := b.Stats()
	t.Logf("%d upserts in %d batch requests (average %.1f contacts per batch)", n, reqs, st.AverageBatchSize())
	if reqs != n/hubspot.MaxBatchInputs {
		t.Errorf("%d upserts took %d batch requests, want %d", n, reqs, n/hubspot.MaxBatchInputs)
	}
	if st.BatchesSent != uint64(reqs) || st.ContactsSent != n || st.Queued != 0 || st.InFlightBatches != 0 {
		t.Errorf("stats %+v do not match %d requests for %d contacts", st, reqs, n)
	}
}

// TestUpdatesOfOneEmailMergeInArrivalOrder: callers of one email in one
// batch become one input whose later values win, and all of them get the
// same outcome.
func TestUpdatesOfOneEmailMergeInArrivalOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 2})
	// A long linger keeps the batch open while the callers arrive one by one.
	b := e.batcher(t, upsert.Config{Linger: 300 * time.Millisecond})

	updates := []map[string]string{
		{"firstname": "Ada", "lastname": "One", "jobtitle": "first"},
		{"firstname": "Grace"},
		{"lastname": "Three", "jobtitle": ""},
		{"firstname": "Linus"},
	}
	results := make([]upsert.Result, len(updates))
	errs := make([]error, len(updates))
	var wg sync.WaitGroup
	for i, props := range updates {
		wg.Go(func() { results[i], errs[i] = b.Upsert(t.Context(), "merge@example.com", props) })
		waitForQueue(t, b, "the caller to queue", func() bool { return b.Stats().Accepted == uint64(i+1) })
	}
	other, err := b.Upsert(t.Context(), "other@example.com", map[string]string{"firstname": "Other"})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	for i := range updates {
		if errs[i] != nil {
			t.Fatalf("update %d: %v", i, errs[i])
		}
		if results[i] != results[0] {
			t.Errorf("update %d got %+v, update 0 got %+v: callers merged into one input must share its outcome", i, results[i], results[0])
		}
	}
	if !results[0].Created || !other.Created {
		t.Errorf("Created = %v / %v, want true for both new contacts", results[0].Created, other.Created)
	}
	got := e.contact(t, results[0].ID)
	want := map[string]string{"email": "merge@example.com", "firstname": "Linus", "lastname": "Three", "jobtitle": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("merged contact %s = %q, want %q (later values win)", k, got[k], v)
		}
	}
	if n := e.upsertRequests(); n != 1 {
		t.Errorf("five callers took %d requests, want one batch", n)
	}
}

// TestUpsertManyKeepsOrderAndRejectsBadCalls: the bulk form returns one
// outcome per contact in input order, fails an invalid contact alone, and
// refuses more than MaxBulk contacts.
func TestUpsertManyKeepsOrderAndRejectsBadCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 3})
	b := e.batcher(t, upsert.Config{})

	contacts := make([]upsert.Contact, 250)
	for i := range contacts {
		contacts[i] = upsert.Contact{Email: email("bulk", i), Properties: map[string]string{"firstname": "B" + strconv.Itoa(i)}}
	}
	contacts[17].Email = ""
	contacts[42].Properties = map[string]string{"email": "someone-else@example.com"}
	out, err := b.UpsertMany(t.Context(), contacts)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(contacts) {
		t.Fatalf("%d results for %d contacts", len(out), len(contacts))
	}
	for i, r := range out {
		if i == 17 || i == 42 {
			if !errors.Is(r.Err, upsert.ErrInvalidContact) {
				t.Errorf("contact %d: err %v, want ErrInvalidContact", i, r.Err)
			}
			continue
		}
		if r.Err != nil {
			t.Fatalf("contact %d: %v", i, r.Err)
		}
		if got := e.contact(t, r.ID); got["email"] != contacts[i].Email || !r.Created {
			t.Errorf("result %d is contact %s (created %v), want new %s", i, got["email"], r.Created, contacts[i].Email)
		}
	}
	if n := e.upsertRequests(); n != 3 {
		t.Errorf("248 contacts took %d requests, want 3", n)
	}

	if _, err := b.UpsertMany(t.Context(), make([]upsert.Contact, upsert.MaxBulk+1)); !errors.Is(err, upsert.ErrInvalidContact) {
		t.Errorf("%d contacts: err %v, want ErrInvalidContact", upsert.MaxBulk+1, err)
	}
}

// TestCloseDrainsQueuedWork: Close sends what is queued, waits for it, and
// later calls fail with ErrClosed.
func TestCloseDrainsQueuedWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 4})
	b := upsert.New(e.client, upsert.Config{Linger: time.Hour})
	var wg sync.WaitGroup
	errs := make([]error, 30)
	for i := range errs {
		wg.Go(func() { _, errs[i] = b.Upsert(context.Background(), email("close", i), nil) })
	}
	waitForQueue(t, b, "the callers to queue", func() bool { return b.Stats().Queued == len(errs) })
	b.Close()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if _, err := b.Upsert(t.Context(), "late@example.com", nil); !errors.Is(err, upsert.ErrClosed) {
		t.Errorf("after Close: err %v, want ErrClosed", err)
	}
	if n := e.upsertRequests(); n != 1 {
		t.Errorf("Close sent %d requests, want 1", n)
	}
}
