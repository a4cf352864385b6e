package upsert_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/upsert"
)

// TestUpsertsSurviveFaults: with a fifth of batch upserts failing (503s,
// resets before HubSpot reads the request, and writes applied whose
// response is lost), every caller ends in success or a clear error, no
// contact is created twice, HubSpot ends with the last write of each email
// although rounds of writes to the same emails overlap, and Created is
// reported once per new contact even when its creating response was lost.
func TestUpsertsSurviveFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 30, retry: hubspot.RetryPolicy{MaxAttempts: 8, BaseDelay: 5 * time.Millisecond, MaxDelay: 40 * time.Millisecond}})
	// A little latency before HubSpot handles a request, as on any real
	// network (it also lets createdAt tell a lost attempt's creation apart).
	if _, err := e.sb.AddFault(sandbox.FaultRule{Method: "POST", Path: "/crm/objects/2026-03/contacts/batch/upsert",
		Latency: 2 * time.Millisecond, Jitter: 3 * time.Millisecond,
		ErrorRates: map[int]float64{503: 0.08}, ResetRate: 0.06, LostResponseRate: 0.08}); err != nil {
		t.Fatal(err)
	}
	// Small batches, so that enough requests are made for every kind of
	// fault to strike many times.
	b := e.batcher(t, upsert.Config{MaxBatch: 25})

	const emails, rounds = 400, 5
	existing := map[string]bool{}
	for i := 0; i < emails; i += 3 {
		e.createContact(t, email("rel", i))
		existing[email("rel", i)] = true
	}
	before := e.contactCount()

	type outcome struct {
		res upsert.Result
		err error
	}
	out := make([][]outcome, rounds) // round → email index
	var wg sync.WaitGroup
	for r := range rounds {
		out[r] = make([]outcome, emails)
		for i := range emails {
			wg.Go(func() {
				res, err := b.Upsert(t.Context(), email("rel", i), map[string]string{"firstname": fmt.Sprintf("round-%d", r)})
				out[r][i] = outcome{res, err}
			})
		}
		// The next round of writes to the same emails is queued only once
		// this one has left the queue, so the order of writes per email is
		// known and rounds do not merge, while they still overlap on the
		// wire (a write waits for the previous one of its email).
		waitForQueue(t, b, "a round to be sent", func() bool {
			st := b.Stats()
			return st.Accepted == uint64((r+1)*emails) && st.Queued == 0
		})
	}
	wg.Wait()

	failed := 0
	for i := range emails {
		addr := email("rel", i)
		lastOK, id, created := -1, "", 0
		for r := range rounds {
			o := out[r][i]
			if o.err != nil {
				failed++
				if !errors.Is(o.err, hubspot.ErrUnavailable) {
					t.Errorf("%s round %d: err %v, want success or ErrUnavailable", addr, r, o.err)
				}
				continue
			}
			lastOK = r
			if id != "" && o.res.ID != id {
				t.Errorf("%s round %d: id %s, earlier rounds %s", addr, r, o.res.ID, id)
			}
			id = o.res.ID
			if o.res.Created {
				created++
				if r != 0 || existing[addr] {
					t.Errorf("%s round %d reported Created (existed before: %v)", addr, r, existing[addr])
				}
			}
		}
		if lastOK < 0 {
			continue
		}
		if !existing[addr] && out[0][i].err == nil && created != 1 {
			t.Errorf("%s: %d calls reported Created, want exactly the first", addr, created)
		}
		got := e.contact(t, id)["firstname"]
		if want := fmt.Sprintf("round-%d", lastOK); got != want && lastOK == rounds-1 {
			t.Errorf("%s ends with firstname %q, want the last write %q", addr, got, want)
		}
	}
	if got, want := e.contactCount(), before+emails-len(existing); got != want {
		t.Errorf("sandbox holds %d contacts, want %d: a contact was created twice or lost", got, want)
	}
	c := e.sb.Counters()
	t.Logf("%d upserts, %d failed with a clear error; %d batch requests (%v), faults %v, stats %+v",
		emails*rounds, failed, e.upsertRequests(), c.Requests[upsertEndpoint], c.Faults, b.Stats())
	if c.Faults["lost_response"] == 0 || c.Faults["connection_reset"] == 0 || c.Faults["error_5xx"] == 0 {
		t.Errorf("faults %v: every kind should have been injected at least once", c.Faults)
	}
	if failed > emails*rounds/20 {
		t.Errorf("%d of %d upserts failed despite retries", failed, emails*rounds)
	}
}

// TestCreatedSurvivesALostResponse: the attempt that created the contact
// loses its response; the retry is told new=false, but the caller that
// created the contact is still told Created.
func TestCreatedSurvivesALostResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 31, retry: hubspot.RetryPolicy{BaseDelay: 5 * time.Millisecond}})
	if _, err := e.sb.AddFault(sandbox.FaultRule{Method: "POST", Path: "/crm/objects/2026-03/contacts/batch/upsert",
		Latency: 2 * time.Millisecond, LostResponseRate: 1, Count: 1}); err != nil {
		t.Fatal(err)
	}
	existing := e.createContact(t, "old@example.com")
	b := e.batcher(t, upsert.Config{})
	out, err := b.UpsertMany(t.Context(), []upsert.Contact{{Email: "new@example.com"}, {Email: "old@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Err != nil || out[1].Err != nil {
		t.Fatalf("errors: %v, %v", out[0].Err, out[1].Err)
	}
	if !out[0].Created {
		t.Error("the contact created by the lost attempt is reported as not created")
	}
	if out[1].Created || out[1].ID != existing {
		t.Errorf("the existing contact: %+v, want id %s not created", out[1].Result, existing)
	}
	if c := e.sb.Counters(); c.Faults["lost_response"] != 1 || e.upsertRequests() != 2 {
		t.Errorf("faults %v, %d requests: want one lost response and one retry", c.Faults, e.upsertRequests())
	}
	if n := e.contactCount(); n != 2 {
		t.Errorf("sandbox holds %d contacts, want 2", n)
	}
}
