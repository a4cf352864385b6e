package outbox

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// candidatesPastTheCap is how many other notes the check must page through: more than one
// search query can page (hubspot.MaxSearchResults).
const candidatesPastTheCap = hubspot.MaxSearchResults + 50

// An event in doubt whose search matches more engagements than one query can page through
// (other notes at the event's hs_timestamp, created since its send) is still checked to a
// conclusion: found past the 10,000th candidate, it is DELIVERED with that engagement;
// absent, it is sent again, once. Candidates created one by one span many create times;
// imported ones share one, which the check reads by id.
func TestInDoubtCheckPagesPastTheSearchResultCap(t *testing.T) {
	tests := []struct {
		name      string
		imported  bool // the other notes share one create time (an import), else created one by one
		inHubSpot bool // HubSpot applied the send late: the event's note comes after the others
	}{
		{"created one by one, the event's note last: delivered with it", false, true},
		{"imported at one time, the event's note last: delivered with it", true, true},
		{"imported at one time, the event's note absent: sent again once", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, cfg := newCheckEnv(t)
			ob := e.start(cfg)
			id := enqueueNotes(t, ob, e.contact("past-the-cap@example.com"), 1)[0]
			ev := e.waitInDoubt(id)[0]

			// Other notes at the event's hs_timestamp, created after its send.
			other := map[string]string{"hs_timestamp": hubspotTime(ev.OccurredAt), "hs_note_body": "<p>another conversation</p>"}
			if tt.imported {
				notes := make([]map[string]string, candidatesPastTheCap)
				for i := range notes {
					notes[i] = other
				}
				if _, err := e.sb.ImportRecords(e.hubID, "notes", notes); err != nil {
					t.Fatal(err)
				}
			} else {
				for range candidatesPastTheCap {
					if _, err := e.sb.CreateRecord(e.hubID, "notes", other); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := ""
			if tt.inHubSpot {
				var err error
				if want, err = e.sb.CreateRecord(e.hubID, "notes", engagementProperties(&ev)); err != nil {
					t.Fatal(err)
				}
			}

			before := searchCount(e.sb)
			e.clock.Advance(cfg.CheckDelay)
			ob.Wake(testWorkspace, testConnection)
			var got store.OutboxEvent
			e.waitUntil("the event's check to conclude", func() bool {
				var err error
				got, err = e.st.GetOutboxEvent(context.Background(), testWorkspace, testConnection, id)
				return err == nil && (got.Status != store.OutboxQueued || strings.HasPrefix(got.LastError, checkFailedPrefix))
			})
			if got.Status == store.OutboxQueued {
				t.Fatalf("the check ended without a conclusion, the event still in doubt: %s", got.LastError)
			}
			var carrying []string // the notes carrying the event's marker
			for _, r := range e.sb.Records(e.hubID, "notes") {
				if extractMarker(r.Properties[bodyProperty(hubspot.EngagementNote)]) == markerOf(id) {
					carrying = append(carrying, r.ID)
				}
			}
			type outcome struct {
				Status, ObjectID string
				Sends            int
				Carrying         []string
			}
			wantOutcome := outcome{store.OutboxDelivered, want, 1, []string{want}}
			if !tt.inHubSpot { // sent again after the check: delivered with the note that send created
				wantOutcome = outcome{store.OutboxDelivered, got.HubSpotObjectID, 2, []string{got.HubSpotObjectID}}
			}
			if d := cmp.Diff(wantOutcome, outcome{got.Status, got.HubSpotObjectID, got.Attempts, carrying}); d != "" || got.HubSpotObjectID == "" {
				t.Errorf("event after its check (-want +got):\n%s\nlast error: %s", d, got.LastError)
			}
			candidates := candidatesPastTheCap
			if tt.inHubSpot {
				candidates++
			}
			t.Logf("the check took %d searches for %d candidates", searchCount(e.sb)-before, candidates)
		})
	}
}

// After a query stops at the cap, the next starts where it ended: from its last create time,
// by id at a create time its whole window shares, after the ids a tie query read; results
// out of create-time order are an error, not a query that would never end.
func TestCandidateQueryNext(t *testing.T) {
	at := func(id string, ms int64) hubspot.Object {
		return hubspot.Object{ID: hubspot.ID(id), Properties: hubspot.Properties{"hs_createdate": time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)}}
	}
	tests := []struct {
		name        string
		q           candidateQuery
		first, last hubspot.Object
		want        candidateQuery
		wantErr     bool
	}{
		{"a scan goes on from its last create time", candidateQuery{from: true, t: 100}, at("7", 100), at("9", 250),
			candidateQuery{from: true, t: 250}, false},
		{"a scan after a tie goes on from its last create time", candidateQuery{t: 100}, at("7", 101), at("9", 250),
			candidateQuery{from: true, t: 250}, false},
		{"a window of one create time is read by id", candidateQuery{from: true, t: 100}, at("7", 250), at("9", 250),
			candidateQuery{tie: true, t: 250}, false},
		{"a tie query goes on after its last id", candidateQuery{tie: true, t: 250, id: 3}, at("7", 250), at("9", 250),
			candidateQuery{tie: true, t: 250, id: 9}, false},
		{"the create time from createdAt when the property is missing", candidateQuery{from: true, t: 100}, at("7", 100),
			hubspot.Object{ID: "9", CreatedAt: hubspot.Timestamp{Time: time.UnixMilli(250)}}, candidateQuery{from: true, t: 250}, false},
		{"no create time", candidateQuery{from: true, t: 100}, at("7", 100), hubspot.Object{ID: "9"}, candidateQuery{}, true},
		{"a last result before the first", candidateQuery{from: true, t: 100}, at("7", 250), at("9", 200), candidateQuery{}, true},
		{"a result before the scan's start", candidateQuery{from: true, t: 100}, at("7", 50), at("9", 50), candidateQuery{}, true},
		{"a result at the start of a scan after it", candidateQuery{t: 100}, at("7", 100), at("9", 100), candidateQuery{}, true},
		{"an id that is not a number", candidateQuery{tie: true, t: 250}, at("7", 250), at("x", 250), candidateQuery{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.q.next(tt.first, tt.last)
			if (err != nil) != tt.wantErr {
				t.Fatalf("next: error %v, want an error: %v", err, tt.wantErr)
			}
			if err == nil {
				if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(candidateQuery{})); d != "" {
					t.Errorf("next query (-want +got):\n%s", d)
				}
			}
		})
	}
}

// MaxAge does not end an event in doubt whose check has not concluded, since it may be in
// HubSpot; one whose check finds nothing fails, and its reason says that HubSpot's search
// did not find it.
func TestMaxAgeEndsAnEventInDoubtOnlyAfterItsCheck(t *testing.T) {
	tests := []struct {
		name        string
		searchFails bool
		wantStatus  string
		wantReason  string // a part of the last error
	}{
		{"the search fails: still in doubt", true, store.OutboxQueued, checkFailedPrefix},
		{"the search finds nothing: failed, saying so", false, store.OutboxFailed, "HubSpot's search then found no engagement with its marker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, envOptions{})
			e.failFirstSend()
			if tt.searchFails {
				if _, err := e.sb.AddFault(sandbox.FaultRule{Method: "POST", Path: "/crm/objects/2026-03/*/search", ErrorRates: map[int]float64{503: 1}}); err != nil {
					t.Fatal(err)
				}
			}
			cfg := e.config()
			cfg.CheckDelay, cfg.MaxAge = time.Hour, 2*time.Hour
			ob := e.start(cfg)
			id := enqueueNotes(t, ob, e.contact("old-doubt@example.com"), 1)[0]
			e.waitInDoubt(id)
			e.clock.Advance(cfg.MaxAge + cfg.CheckDelay)
			ob.Wake(testWorkspace, testConnection)
			var got store.OutboxEvent
			e.waitUntil("the event's check to end", func() bool {
				var err error
				got, err = e.st.GetOutboxEvent(context.Background(), testWorkspace, testConnection, id)
				return err == nil && (got.Status != store.OutboxQueued || strings.HasPrefix(got.LastError, checkFailedPrefix))
			})
			if got.Status != tt.wantStatus || !strings.Contains(got.LastError, tt.wantReason) || got.InDoubtSince.IsZero() {
				t.Errorf("event %s (in doubt since %v): %q; want %s with %q", got.Status, got.InDoubtSince, got.LastError, tt.wantStatus, tt.wantReason)
			}
			if n := markerCounts(e.sb, e.hubID)[markerOf(id)]; n != 0 {
				t.Errorf("%d notes in HubSpot, want none: an event past MaxAge is not sent again", n)
			}
		})
	}
}

// A chunk of events in doubt whose search matches more than the cap is searched by halves
// when its events span more than one occurred_at: here the other notes lie between the two
// events' times, so each half matches none, and the check takes 3 searches (the first page,
// then one per half) where reading every candidate takes 53.
func TestInDoubtCheckSplitsAWideChunkPastTheCap(t *testing.T) {
	e, cfg := newCheckEnv(t)
	ob := e.open(cfg)
	ids := enqueueNotes(t, ob, e.contact("split@example.com"), 2) // occurred 1 s apart
	if err := ob.Start(context.Background()); err != nil {        // one batch: both queued before
		t.Fatal(err)
	}
	e.waitInDoubt(ids...)
	between := note("", 0).OccurredAt.Add(500 * time.Millisecond)
	notes := make([]map[string]string, candidatesPastTheCap)
	for i := range notes {
		notes[i] = map[string]string{"hs_timestamp": hubspotTime(between), "hs_note_body": "<p>another conversation</p>"}
	}
	if _, err := e.sb.ImportRecords(e.hubID, "notes", notes); err != nil {
		t.Fatal(err)
	}
	before := searchCount(e.sb)
	e.clock.Advance(cfg.CheckDelay)
	ob.Wake(testWorkspace, testConnection)
	e.waitAllFinal()
	assertExactlyOnce(t, e, ids)
	if got := searchCount(e.sb) - before; got != 3 {
		t.Errorf("the check took %d searches, want 3 (the first page, then one per half)", got)
	}
}

// Engagements deleted in HubSpot while a check pages do not hide the marker: each page is a
// query of its own that starts after the last create time read, so a deletion in the pages
// already read shifts nothing into them. (Paged by offset, the 10 notes deleted after the
// first page moved the event's note, the 206th candidate, into the first page, already read,
// and the event was sent a second time.)
func TestInDoubtCheckFindsTheMarkerWhileEngagementsAreDeleted(t *testing.T) {
	e, cfg := newCheckEnv(t)
	ob := e.start(cfg)
	id := enqueueNotes(t, ob, e.contact("deleted-meanwhile@example.com"), 1)[0]
	ev := e.waitInDoubt(id)[0]
	// 205 other notes, the event's note (HubSpot applied the send late), 100 more: each a
	// millisecond apart, so that the order of the search is the order of creation.
	var others []string
	create := func(props map[string]string) string {
		e.clock.Advance(time.Millisecond)
		id, err := e.sb.CreateRecord(e.hubID, "notes", props)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	other := map[string]string{"hs_timestamp": hubspotTime(ev.OccurredAt), "hs_note_body": "<p>another conversation</p>"}
	for range 205 {
		others = append(others, create(other))
	}
	want := create(engagementProperties(&ev))
	for range 100 {
		others = append(others, create(other))
	}
	var once sync.Once
	deleteAfterFirstSearch := func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/search") {
			once.Do(func() {
				for _, id := range others[:10] {
					if err := e.sb.DeleteRecord(e.hubID, "notes", id); err != nil {
						t.Error(err)
					}
				}
				e.clock.Advance(2 * testSearchLag) // the deletions are seen by the next search
			})
		}
	}
	e.afterRequest.Store(&deleteAfterFirstSearch)

	e.clock.Advance(cfg.CheckDelay)
	ob.Wake(testWorkspace, testConnection)
	e.waitAllFinal()
	got, err := e.st.GetOutboxEvent(context.Background(), testWorkspace, testConnection, id)
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		Status, ObjectID string
		Sends, Carrying  int
	}
	if d := cmp.Diff(outcome{store.OutboxDelivered, want, 1, 1},
		outcome{got.Status, got.HubSpotObjectID, got.Attempts, markerCounts(e.sb, e.hubID)[markerOf(id)]}); d != "" {
		t.Errorf("event after its check (-want +got):\n%s", d)
	}
}

// newCheckEnv is an env for tests of the in-doubt check: searches as fast as the test asks,
// the first send failing with an unknown outcome, and a CheckDelay (an hour) that the test
// passes with the clock once HubSpot holds what the check must page through.
func newCheckEnv(t *testing.T) (*testEnv, Config) {
	t.Helper()
	e := newTestEnv(t, envOptions{limits: sandbox.Limits{PerWindow: 50, Window: time.Second, SearchPerSecond: 1000}})
	e.failFirstSend()
	cfg := e.config()
	cfg.CheckDelay = time.Hour
	return e, cfg
}

// failFirstSend makes the next batch create answer 503: its outcome is unknown, and its
// events wait in doubt for their check.
func (e *testEnv) failFirstSend() {
	e.t.Helper()
	if _, err := e.sb.AddFault(sandbox.FaultRule{Method: "POST", Path: batchCreatePath, ErrorRates: map[int]float64{503: 1}, Count: 1}); err != nil {
		e.t.Fatal(err)
	}
}

// waitInDoubt waits until each event is QUEUED in doubt after a failed send, and returns them.
func (e *testEnv) waitInDoubt(ids ...string) []Event {
	e.t.Helper()
	evs := make([]Event, len(ids))
	for i, id := range ids {
		e.waitUntil("event "+id+" in doubt after a failed send", func() bool {
			row, err := e.st.GetOutboxEvent(context.Background(), testWorkspace, testConnection, id)
			if err != nil || row.Status != store.OutboxQueued || row.InDoubtSince.IsZero() || row.LastError == "" {
				return false
			}
			if evs[i], err = eventOf(row); err != nil {
				e.t.Fatal(err)
			}
			return true
		})
	}
	return evs
}

// searchCount is how many searches the sandbox has answered with 200.
func searchCount(sb *sandbox.Sandbox) int {
	n := 0
	for endpoint, byStatus := range sb.Counters().Requests {
		if strings.HasSuffix(endpoint, "/search") {
			n += byStatus[200]
		}
	}
	return n
}
