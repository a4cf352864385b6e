package outbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/store"
)

func TestEachKindBecomesTheRightEngagement(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	ob := e.start(e.config())
	ctx := context.Background()
	ana := e.contact("ana@example.com")
	at := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	base := Event{Workspace: testWorkspace, Connection: testConnection, ContactID: ana, OccurredAt: at,
		Title: "Renewal", Body: "Talked about <renewal>\nsecond line", ConversationURL: "https://app.connectflo.com/c/42",
		Metadata: map[string]string{"agent": "Robo", "sentiment": "positive"}}

	tests := []struct {
		name     string
		edit     func(*Event)
		typ      hubspot.EngagementType
		assocID  int
		want     map[string]string
		contains []string // in the body property
	}{
		{name: "call", typ: hubspot.EngagementCall, assocID: 194,
			edit: func(ev *Event) {
				ev.Kind, ev.Direction, ev.Duration = KindCall, DirectionInbound, 95*time.Second
				ev.FromNumber, ev.ToNumber, ev.RecordingURL = "+15550100", "+15550199", "https://rec.example.com/1.mp3"
			},
			want: map[string]string{"hs_call_title": "Renewal", "hs_call_direction": "INBOUND", "hs_call_duration": "95000",
				"hs_call_status": "COMPLETED", "hs_call_from_number": "+15550100", "hs_call_to_number": "+15550199",
				"hs_call_recording_url": "https://rec.example.com/1.mp3"},
			contains: []string{"Talked about &lt;renewal&gt;<br>second line", `href="https://app.connectflo.com/c/42"`, "agent: Robo"}},
		{name: "sms", typ: hubspot.EngagementCommunication, assocID: 81, edit: func(ev *Event) { ev.Kind = KindSMS },
			want:     map[string]string{"hs_communication_channel_type": "SMS", "hs_communication_logged_from": "CRM"},
			contains: []string{"Talked about <renewal>\nsecond line", "Conversation: https://app.connectflo.com/c/42", "sentiment: positive"}},
		{name: "whatsapp", typ: hubspot.EngagementCommunication, assocID: 81, edit: func(ev *Event) { ev.Kind = KindWhatsApp },
			want: map[string]string{"hs_communication_channel_type": "WHATS_APP", "hs_communication_logged_from": "CRM"}},
		{name: "chat", typ: hubspot.EngagementNote, assocID: 202, edit: func(ev *Event) { ev.Kind = KindChat },
			contains: []string{"<strong>Chat: Renewal</strong>", "Open the conversation in ConnectFlo"}},
		{name: "email", typ: hubspot.EngagementNote, assocID: 202, edit: func(ev *Event) { ev.Kind = KindEmail },
			contains: []string{"<strong>Email: Renewal</strong>"}},
		{name: "note", typ: hubspot.EngagementNote, assocID: 202, edit: func(ev *Event) { ev.Kind = KindNote },
			contains: []string{"<strong>Note: Renewal</strong>", "agent: Robo<br>sentiment: positive"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := base
			tc.edit(&ev)
			queued, err := ob.Enqueue(ctx, ev)
			if err != nil || queued.Status != StatusQueued || queued.ID == "" {
				t.Fatalf("Enqueue = %+v, %v", queued, err)
			}
			got := waitDelivered(t, ob, queued.ID)
			if got.Status != StatusDelivered || got.HubSpotObjectType != string(tc.typ) || got.HubSpotContactID != ana || got.Attempts != 1 {
				t.Fatalf("delivered event = %+v", got)
			}
			props, ok := e.sb.Record(e.hubID, string(tc.typ), got.HubSpotObjectID)
			if !ok {
				t.Fatalf("no %s %s in HubSpot", tc.typ, got.HubSpotObjectID)
			}
			if ts, _ := time.Parse(time.RFC3339, props["hs_timestamp"]); !ts.Equal(at) {
				t.Errorf("hs_timestamp = %q, want %s", props["hs_timestamp"], at)
			}
			for k, v := range tc.want {
				if props[k] != v {
					t.Errorf("%s = %q, want %q", k, props[k], v)
				}
			}
			body := props[bodyProperty(tc.typ)]
			for _, s := range append(tc.contains, markerOf(got.ID)) {
				if !strings.Contains(body, s) {
					t.Errorf("%s lacks %q:\n%s", bodyProperty(tc.typ), s, body)
				}
			}
			page, err := e.client.ListAssociations(ctx, string(tc.typ), got.HubSpotObjectID, "contacts", hubspot.ListAssociationsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Results) != 1 || string(page.Results[0].ToObjectID) != ana || !hasType(page.Results[0].AssociationTypes, tc.assocID) {
				t.Errorf("associations = %+v, want contact %s with type %d", page.Results, ana, tc.assocID)
			}
		})
	}
}

func hasType(types []hubspot.AssociationType, id int) bool {
	for _, at := range types {
		if at.TypeID == id {
			return true
		}
	}
	return false
}

func waitDelivered(t *testing.T, ob *Outbox, id string) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev, err := ob.WaitDelivered(ctx, testWorkspace, testConnection, id)
	if err != nil {
		t.Fatalf("WaitDelivered(%s): %v (event %+v)", id, err, ev)
	}
	return ev
}

func TestContactByEmailAndCreateIfMissing(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	cfg := e.config()
	var mu sync.Mutex
	var written []store.OwnWrite
	cfg.OnContactsWritten = func(_ context.Context, workspace, connection string, ws []store.OwnWrite) {
		if workspace != testWorkspace || connection != testConnection {
			t.Errorf("contacts written reported for %s/%s", workspace, connection)
		}
		mu.Lock()
		defer mu.Unlock()
		written = append(written, ws...)
	}
	ob := e.start(cfg)
	ctx := context.Background()
	bo := e.contact("bo@example.com")

	byEmail := note("", 1)
	byEmail.ContactEmail = "Bo@Example.com"
	created := note("", 2)
	created.ContactEmail, created.CreateContactIfMissing = "new@example.com", true
	created.ContactProperties = map[string]string{"firstname": "Nia", "lastname": "New"}
	missing := note("", 3)
	missing.ContactEmail = "nobody@example.com"

	var ids []string
	for _, ev := range []Event{byEmail, created, missing} {
		q, err := ob.Enqueue(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, q.ID)
	}
	if got := waitDelivered(t, ob, ids[0]); got.Status != StatusDelivered || got.HubSpotContactID != bo {
		t.Errorf("by email: %+v, want delivered on contact %s", got, bo)
	}
	got := waitDelivered(t, ob, ids[1])
	props, ok := e.sb.Record(e.hubID, "contacts", got.HubSpotContactID)
	if got.Status != StatusDelivered || !ok || props["email"] != "new@example.com" || props["firstname"] != "Nia" || props["lastname"] != "New" {
		t.Errorf("create if missing: event %+v, contact %v", got, props)
	}
	if ids := e.sb.AssociatedIDs(e.hubID, "notes", got.HubSpotObjectID, "contacts"); len(ids) != 1 || ids[0] != got.HubSpotContactID {
		t.Errorf("created contact's note associated with %v", ids)
	}
	if got := waitDelivered(t, ob, ids[2]); got.Status != StatusFailed || !strings.Contains(got.LastError, "no contact with email nobody@example.com") {
		t.Errorf("missing contact without create: %+v, want FAILED with the reason", got)
	}
	// The contact the outbox created is reported as this service's write, with the time
	// HubSpot stamped (so the change feed marks its change self-written); the contact only
	// found by email was not written and is not reported.
	mu.Lock()
	defer mu.Unlock()
	stamped, _ := time.Parse(time.RFC3339Nano, props["lastmodifieddate"])
	want := []store.OwnWrite{{ObjectType: "contacts", RecordID: got.HubSpotContactID, UpdatedAt: stamped}}
	if diff := cmp.Diff(want, written, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("contacts reported written (-want +got):\n%s", diff)
	}
}

func TestSameRequestIDEnqueuesOnce(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	ob := e.start(e.config())
	ctx := context.Background()
	ev := note(e.contact("cy@example.com"), 1)
	ev.RequestID = "req-7"

	first, err := ob.Enqueue(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ob.Enqueue(ctx, ev)
	if err != nil || again.ID != first.ID {
		t.Fatalf("second Enqueue = %+v, %v; want event %s", again, err, first.ID)
	}
	waitDelivered(t, ob, first.ID)
	after, err := ob.Enqueue(ctx, ev)
	if err != nil || after.ID != first.ID || after.Status != StatusDelivered {
		t.Fatalf("Enqueue after delivery = %+v, %v; want the delivered event", after, err)
	}
	// A wrongly queued duplicate would be a second event in the store, whether or not it has
	// gone out yet: count there instead of waiting for it to reach HubSpot.
	counts, err := e.st.CountOutboxEvents(ctx, testWorkspace, testConnection)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]int{store.OutboxDelivered: 1}, counts); d != "" {
		t.Errorf("events stored for the connection (-want +got):\n%s", d)
	}
	if n := markerCounts(e.sb, e.hubID)[markerOf(first.ID)]; n != 1 || e.sb.RecordCount(e.hubID, "notes") != 1 {
		t.Errorf("HubSpot has %d notes with the marker, %d notes in all; want 1", n, e.sb.RecordCount(e.hubID, "notes"))
	}
	other := ev
	other.Connection = "other"
	if _, err := ob.Enqueue(ctx, other); !errors.Is(err, ErrNotFound) {
		t.Errorf("Enqueue on an unknown connection: err = %v, want ErrNotFound", err)
	}
	page, err := ob.List(ctx, ListOptions{Workspace: testWorkspace, Connection: testConnection})
	if err != nil || len(page.Events) != 1 {
		t.Errorf("List = %d events, %v; want 1", len(page.Events), err)
	}
}

func TestListPagesNewestFirstByStatus(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	ob, err := New(e.config()) // not started: everything stays queued
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		q, err := ob.Enqueue(ctx, note("1", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, q.ID)
	}
	var got []string
	token := ""
	for {
		page, err := ob.List(ctx, ListOptions{Workspace: testWorkspace, Connection: testConnection, Status: StatusQueued, PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			got = append(got, ev.ID)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join([]string{ids[4], ids[3], ids[2], ids[1], ids[0]}, ",") {
		t.Errorf("paged list = %v, want newest first %v", got, ids)
	}
	if page, _ := ob.List(ctx, ListOptions{Workspace: testWorkspace, Connection: testConnection, Status: StatusDelivered}); len(page.Events) != 0 {
		t.Errorf("DELIVERED filter returned %d events", len(page.Events))
	}
	// Deleting the connection erases its queued events.
	if err := e.st.DeleteConnection(ctx, testWorkspace, testConnection, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Get(ctx, testWorkspace, testConnection, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after the connection was deleted: err = %v, want ErrNotFound", err)
	}
	if _, err := e.st.CountOutboxEvents(ctx, testWorkspace, testConnection); err != nil {
		t.Fatal(err)
	}
	_ = store.OutboxQueued
}
