package outbox

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

const batchCreatePath = "/crm/objects/2026-03/*/batch/create"

// enqueueNotes enqueues n notes on one contact and returns their ids.
func enqueueNotes(t *testing.T, ob *Outbox, contactID string, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := range n {
		q, err := ob.Enqueue(context.Background(), note(contactID, i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, q.ID)
	}
	return ids
}

func TestLostResponsesStillDeliverExactlyOnce(t *testing.T) {
	const events = 1000
	e := newTestEnv(t, envOptions{})
	if _, err := e.sb.AddFault(sandbox.FaultRule{Method: "POST", Path: batchCreatePath, LostResponseRate: 0.2}); err != nil {
		t.Fatal(err)
	}
	ob := e.start(e.config())
	ids := enqueueNotes(t, ob, e.contact("lost@example.com"), events)
	e.waitAllFinal()
	assertExactlyOnce(t, e, ids)
	c := e.sb.Counters()
	if c.Faults["lost_response"] == 0 {
		t.Fatal("no response was lost: the test did not exercise the check")
	}
	searches := 0
	for endpoint, byStatus := range c.Requests {
		if strings.HasSuffix(endpoint, "/search") {
			searches += byStatus[200]
		}
	}
	if searches == 0 {
		t.Error("no search for markers: lost responses must be checked before resending")
	}
	t.Logf("%d batch creates lost their response; %d searches checked for markers", c.Faults["lost_response"], searches)
}

func TestOutageUnderLoadLosesNothingAndDrainsWithout429s(t *testing.T) {
	const events = 2000
	limits := sandbox.Limits{PerWindow: 10, Window: time.Second, SearchPerSecond: 50}
	e := newTestEnv(t, envOptions{limits: limits})
	ob := e.start(e.config())
	contact := e.contact("outage@example.com")

	var ids []string
	var wg sync.WaitGroup
	wg.Go(func() { ids = enqueueNotes(t, ob, contact, events) })
	// Under load: the outage starts once some events have reached HubSpot.
	e.waitUntil("a first batch in HubSpot", func() bool { return len(markerCounts(e.sb, e.hubID)) > 0 })
	if _, err := e.sb.AddFault(sandbox.FaultRule{Method: "POST", Path: batchCreatePath, Outage: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	outageEnd := time.Now().Add(3 * time.Second)
	wg.Wait()
	e.waitAllFinal()
	drained := time.Now()
	assertExactlyOnce(t, e, ids)

	c := e.sb.Counters()
	if c.Faults["outage"] == 0 {
		t.Fatal("no request met the outage")
	}
	if n := c.RateLimited["TEN_SECONDLY_ROLLING"] + c.RateLimited["SECONDLY"]; n > 0 {
		t.Errorf("HubSpot answered %d 429s: the backlog must drain at the budget, not in a burst", n)
	}
	var receipts []time.Time
	for _, ts := range c.ReceiptTimes {
		receipts = append(receipts, ts...)
	}
	slices.SortFunc(receipts, func(a, b time.Time) int { return a.Compare(b) })
	if got := sandbox.MaxInWindow(receipts, limits.Window); got > limits.PerWindow {
		t.Errorf("%d requests in one window, budget %d", got, limits.PerWindow)
	}
	t.Logf("outage: %d requests refused; backlog drained %v after the outage ended", c.Faults["outage"], drained.Sub(outageEnd).Round(time.Millisecond))
}

func TestDailyBudgetHoldsEventsUntilTheReset(t *testing.T) {
	const events = 500
	e := newTestEnv(t, envOptions{limits: sandbox.Limits{PerWindow: 50, Window: time.Second, SearchPerSecond: 50, Daily: 3}})
	cfg := e.config()
	cfg.MaxAge = 72 * time.Hour // the test jumps a day ahead
	ob := e.open(cfg)
	ids := enqueueNotes(t, ob, e.contact("daily@example.com"), events)
	if err := ob.Start(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Three requests fit in the day: 300 events go out, the rest are held, not failed.
	var counts map[string]int
	e.waitUntil("the daily budget reported spent", func() bool {
		counts, _ = e.st.CountOutboxEvents(context.Background(), testWorkspace, testConnection)
		return counts[store.OutboxDelivered] == 300 && len(e.healthReports()) > 0 && heldAll(e, queuedOf(e, ids))
	})
	if counts[store.OutboxFailed] != 0 || counts[store.OutboxQueued] != events-300 {
		t.Fatalf("after the budget ran out: %v, want 300 delivered and the rest queued", counts)
	}
	reports := e.healthReports()
	if h := reports[len(reports)-1]; !h.Held || h.Reason != HoldDailyLimit || h.RetryAt.IsZero() || h.Message == "" {
		t.Fatalf("health = %+v, want held for the daily limit with the reset time", h)
	}

	// A wake before the reset (credentials updated, say) retries the held events: the
	// budget is still spent, so they are held again and nothing reaches HubSpot.
	requestsBefore := sandboxRequests(e.sb)
	heldBefore := e.heldSaves.Load()
	ob.Wake(testWorkspace, testConnection)
	e.waitUntil("the held events to be held again", func() bool { return e.heldSaves.Load() > heldBefore })
	if counts, _ := e.st.CountOutboxEvents(context.Background(), testWorkspace, testConnection); counts[store.OutboxDelivered] != 300 {
		t.Fatalf("events went out while the budget was spent: %v", counts)
	}
	if n := sandboxRequests(e.sb); n != requestsBefore {
		t.Fatalf("%d requests reached HubSpot while the daily budget was spent", n-requestsBefore)
	}

	// Midnight in the account's time zone (UTC here) resets the budget; the service wakes the outbox.
	now := e.clock.Now().UTC()
	e.clock.Advance(time.Date(now.Year(), now.Month(), now.Day()+1, 0, 1, 0, 0, time.UTC).Sub(now))
	ob.Wake(testWorkspace, testConnection)
	e.waitAllFinal()
	assertExactlyOnce(t, e, ids)
	// The worker reports the connection healthy once the batch that succeeded has settled,
	// which is after its events were saved.
	e.waitUntil("the connection reported healthy after the reset", func() bool {
		reports := e.healthReports()
		return !reports[len(reports)-1].Held
	})
}

func TestMissingScopesHoldUntilCredentialsChange(t *testing.T) {
	scopes := slices.DeleteFunc(sandbox.AllScopes(), func(s string) bool { return s == "crm.objects.contacts.write" })
	e := newTestEnv(t, envOptions{scopes: scopes})
	ob := e.open(e.config())
	contact := e.contact("scopes@example.com")
	ids := enqueueNotes(t, ob, contact, 10)
	if err := ob.Start(context.Background()); err != nil {
		t.Fatal(err)
	}

	e.waitUntil("missing scopes reported", func() bool { return len(e.healthReports()) > 0 && heldAll(e, ids) })
	h := e.healthReports()[0]
	if !h.Held || h.Reason != HoldMissingScopes || !slices.Contains(h.RequiredScopes, "crm.objects.contacts.write") {
		t.Fatalf("health = %+v, want held for the missing crm.objects.contacts.write", h)
	}
	for _, id := range ids {
		ev, err := ob.Get(context.Background(), testWorkspace, testConnection, id)
		if err != nil || ev.Status != StatusQueued || ev.LastError == "" {
			t.Fatalf("held event = %+v, %v; want QUEUED with the reason", ev, err)
		}
	}

	// Events logged while held join the hold without a request: each would be refused
	// alike, and spend a slot of the budget the rest of the connection shares.
	sent := sandboxRequests(e.sb)
	var later []string
	for range 5 {
		later = append(later, enqueueNotes(t, ob, contact, 1)...)
	}
	e.waitUntil("the events logged while held are held", func() bool { return heldAll(e, later) })
	if got := sandboxRequests(e.sb) - sent; got != 0 {
		t.Errorf("%d requests sent for events logged while held, want none", got)
	}
	ids = append(ids, later...)

	// The customer adds the scope and updates the credentials; the service wakes the outbox.
	if err := e.sb.SetTokenScopes(e.token, sandbox.AllScopes()); err != nil {
		t.Fatal(err)
	}
	ob.Wake(testWorkspace, testConnection)
	e.waitAllFinal()
	assertExactlyOnce(t, e, ids)
	// The worker reports the connection healthy once the batch that succeeded has settled,
	// which is after its events were saved.
	e.waitUntil("a second health report", func() bool { return len(e.healthReports()) >= 2 })
	if reports := e.healthReports(); len(reports) != 2 || reports[1].Held {
		t.Errorf("health reports = %+v, want held then healthy", reports)
	}
}

// sandboxRequests is the number of requests the sandbox has answered, whatever their status.
func sandboxRequests(sb *sandbox.Sandbox) int {
	n := 0
	for _, byStatus := range sb.Counters().Requests {
		for _, c := range byStatus {
			n += c
		}
	}
	return n
}

// queuedOf returns the events of ids that are QUEUED.
func queuedOf(e *testEnv, ids []string) []string {
	var queued []string
	for _, id := range ids {
		if row, err := e.st.GetOutboxEvent(context.Background(), testWorkspace, testConnection, id); err == nil && row.Status == store.OutboxQueued {
			queued = append(queued, id)
		}
	}
	return queued
}

// heldAll reports whether every event is queued with the hold's reason recorded.
func heldAll(e *testEnv, ids []string) bool {
	for _, id := range ids {
		row, err := e.st.GetOutboxEvent(context.Background(), testWorkspace, testConnection, id)
		if err != nil || row.Status != store.OutboxQueued || row.LastError == "" {
			return false
		}
	}
	return true
}

func TestInvalidInputFailsAloneWithTheReason(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	ob := e.start(e.config())
	contact := e.contact("mixed@example.com")
	good := enqueueNotes(t, ob, contact, 3)
	bad := note("999999", 99) // no such contact: HubSpot rejects the association
	q, err := ob.Enqueue(context.Background(), bad)
	if err != nil {
		t.Fatal(err)
	}
	got := waitDelivered(t, ob, q.ID)
	if got.Status != StatusFailed || got.LastError == "" {
		t.Fatalf("bad event = %+v, want FAILED with HubSpot's reason", got)
	}
	e.waitAllFinal()
	for _, id := range good {
		if ev, _ := ob.Get(context.Background(), testWorkspace, testConnection, id); ev.Status != StatusDelivered {
			t.Errorf("good event %s = %s (%s)", id, ev.Status, ev.LastError)
		}
	}
	t.Logf("reason kept: %s", got.LastError)
}

func TestMaxAgeEndsRetrying(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	if _, err := e.sb.AddFault(sandbox.FaultRule{Method: "POST", Path: batchCreatePath, ErrorRates: map[int]float64{503: 1}}); err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.MaxAge = 700 * time.Millisecond
	ob := e.start(cfg)
	ids := enqueueNotes(t, ob, e.contact("old@example.com"), 5)
	got := waitDelivered(t, ob, ids[0])
	if got.Status != StatusFailed || got.Attempts < 2 {
		t.Fatalf("event = %+v, want FAILED after several attempts", got)
	}
	t.Logf("reason kept: %s", got.LastError)
}

// TestInDoubtCheckRunsAfterTheSearchLag: an event whose response was lost is checked by a
// search CheckDelay later. Against the sandbox's default search lag (HubSpot's is a few
// seconds), the default CheckDelay finds the engagement and delivers the event exactly once;
// a CheckDelay shorter than the lag searches too early, misses it and sends it again, which
// is why CheckDelay must exceed the lag.
func TestInDoubtCheckRunsAfterTheSearchLag(t *testing.T) {
	tests := []struct {
		name       string
		checkDelay time.Duration
		copies     int
	}{
		{"the default delay, past the lag: delivered once", defaultCheckDelay, 1},
		{"a delay below the lag: the check misses it and it is sent twice", sandbox.DefaultSearchLag / 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, envOptions{searchLag: sandbox.DefaultSearchLag})
			if _, err := e.sb.AddFault(sandbox.FaultRule{Method: "POST", Path: batchCreatePath, LostResponseRate: 1, Count: 1}); err != nil {
				t.Fatal(err)
			}
			cfg := e.config()
			cfg.CheckDelay = tt.checkDelay
			ob := e.start(cfg)
			id := enqueueNotes(t, ob, e.contact("lag@example.com"), 1)[0]
			// The response was lost after the note was created: the event waits for its check.
			e.waitUntil("the event in doubt after a lost response", func() bool {
				row, err := e.st.GetOutboxEvent(context.Background(), testWorkspace, testConnection, id)
				return err == nil && row.Status == store.OutboxQueued && !row.InDoubtSince.IsZero() && row.LastError != ""
			})
			if got := markerCounts(e.sb, e.hubID)[markerOf(id)]; got != 1 {
				t.Fatalf("%d notes in HubSpot after the lost response, want 1", got)
			}
			e.clock.Advance(tt.checkDelay)
			ob.Wake(testWorkspace, testConnection)
			if counts := e.waitAllFinal(); counts[store.OutboxDelivered] != 1 {
				t.Fatalf("statuses %v, want the event delivered", counts)
			}
			if got := markerCounts(e.sb, e.hubID)[markerOf(id)]; got != tt.copies {
				t.Fatalf("%d notes in HubSpot, want %d", got, tt.copies)
			}
		})
	}
}
