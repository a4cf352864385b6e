package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

func TestLogTimelineEvent(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	occurred := time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC)
	call := &integrationsv1.TimelineEvent{
		Kind:      integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_CALL,
		Contact:   &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "Ada.Lovelace0@acme.example"}},
		OccurTime: timestamppb.New(occurred), Title: "Support call about invoice #1042", Body: "Customer asked for a refund; resolved.",
		Direction: integrationsv1.Direction_DIRECTION_INBOUND, Duration: durationpb.New(245 * time.Second),
		FromNumber: "+1 617 555 0100", RecordingUrl: "https://recordings.example/1042.mp3", ConversationUrl: "https://app.connectflo.example/c/1042",
	}
	logged, err := c.LogTimelineEvent(ctx, &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(), TimelineEvent: call, RequestId: "conv-1042", WaitForDelivery: true})
	if err != nil {
		t.Fatal(err)
	}
	if logged.GetStatus() != integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_DELIVERED || logged.GetHubspotObjectType() != "calls" ||
		logged.GetHubspotObjectId() == "" || logged.GetHubspotContactId() != seed.Contacts[0] || !strings.HasPrefix(logged.GetName(), conn.GetName()+"/timelineEvents/") {
		t.Fatalf("logged = %v", logged)
	}
	rec, ok := ts.sb.Record(ts.acct.HubID, "calls", logged.GetHubspotObjectId())
	if !ok || rec["hs_call_direction"] != "INBOUND" || rec["hs_call_duration"] != "245000" || rec["hs_call_title"] != call.GetTitle() {
		t.Errorf("HubSpot call = %v", rec)
	}
	if ids := ts.sb.AssociatedIDs(ts.acct.HubID, "calls", logged.GetHubspotObjectId(), "contacts"); len(ids) != 1 || ids[0] != seed.Contacts[0] {
		t.Errorf("the call is associated with %v, want the contact", ids)
	}
	// The same request again: the same event, nothing new in HubSpot.
	before := ts.sb.RecordCount(ts.acct.HubID, "calls")
	again, err := c.LogTimelineEvent(ctx, &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(), TimelineEvent: call, RequestId: "conv-1042", WaitForDelivery: true})
	if err != nil || again.GetName() != logged.GetName() || ts.sb.RecordCount(ts.acct.HubID, "calls") != before {
		t.Errorf("replay = %v, %v; want the first event and no new call", again.GetName(), err)
	}
	// A chat for a new contact, created on the way, over REST.
	r := ts.do(t, "POST", "/v1/"+conn.GetName()+"/timelineEvents", ts.keys["acme"], `{"timelineEvent":{"kind":"TIMELINE_EVENT_KIND_CHAT",
		"contact":{"email":"new.person@example.com"},"createContactIfMissing":true,"contactProperties":{"firstname":"New","account_tier":"Pro"},
		"occurTime":"2026-11-27T15:00:00Z","title":"Chat","body":"Asked about pricing"},"requestId":"chat-7","waitForDelivery":true}`)
	if r.code != 200 || r.body["status"] != "TIMELINE_EVENT_STATUS_DELIVERED" || r.body["hubspotObjectType"] != "notes" {
		t.Fatalf("REST chat = %d %s", r.code, r.raw)
	}
	got, err := c.GetTimelineEvent(ctx, &integrationsv1.GetTimelineEventRequest{Name: r.body["name"].(string)})
	if err != nil || got.GetHubspotContactId() == "" {
		t.Fatalf("GetTimelineEvent = %v, %v", got, err)
	}
	if contact, _ := ts.sb.Record(ts.acct.HubID, "contacts", got.GetHubspotContactId()); contact["email"] != "new.person@example.com" || contact["account_tier"] != "pro" {
		t.Errorf("created contact = %v", contact)
	}
	list, err := c.ListTimelineEvents(ctx, &integrationsv1.ListTimelineEventsRequest{Parent: conn.GetName(), PageSize: 1,
		Status: integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_DELIVERED})
	if err != nil || len(list.GetTimelineEvents()) != 1 || list.GetTimelineEvents()[0].GetName() != got.GetName() || list.GetNextPageToken() == "" {
		t.Fatalf("first page = %v, %v; want the newest event and a next page", list, err)
	}
	page2, err := c.ListTimelineEvents(ctx, &integrationsv1.ListTimelineEventsRequest{Parent: conn.GetName(), PageSize: 1,
		Status: integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_DELIVERED, PageToken: list.GetNextPageToken()})
	if err != nil || len(page2.GetTimelineEvents()) != 1 || page2.GetTimelineEvents()[0].GetName() != logged.GetName() {
		t.Errorf("second page = %v, %v", page2, err)
	}
	if _, err := c.GetTimelineEvent(ctx, &integrationsv1.GetTimelineEventRequest{Name: conn.GetName() + "/timelineEvents/nope"}); client.ErrorDetails(err).Code != codes.NotFound {
		t.Errorf("unknown event: %v", err)
	}
}

func TestLogTimelineEventBadInput(t *testing.T) {
	t.Parallel()
	_, c, conn, _ := seeded(t)
	ctx := context.Background()
	now := timestamppb.New(time.Now())
	email := &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "ada.lovelace0@acme.example"}}
	cases := []struct {
		name  string
		ev    *integrationsv1.TimelineEvent
		field string
	}{
		{"no kind", &integrationsv1.TimelineEvent{Contact: email, OccurTime: now}, "timeline_event.kind"},
		{"no contact", &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE, OccurTime: now}, "timeline_event.contact"},
		{"no time", &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE, Contact: email}, "timeline_event.occur_time"},
		{"bad email", &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_SMS, OccurTime: now,
			Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "nobody"}}}, "timeline_event.contact.email"},
		{"plain http recording", &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_CALL, Contact: email, OccurTime: now,
			RecordingUrl: "http://insecure.example/rec.mp3"}, "timeline_event.recording_url"},
		{"bad contact property", &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE, Contact: email, OccurTime: now,
			CreateContactIfMissing: true, ContactProperties: props("account_tier", "Gold")}, "timeline_event.contact_properties.account_tier"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.LogTimelineEvent(ctx, &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(), TimelineEvent: tc.ev})
			e := client.ErrorDetails(err)
			if e.Code != codes.InvalidArgument || len(e.FieldViolations) == 0 || e.FieldViolations[0].Field != tc.field {
				t.Errorf("error = %+v; want a violation on %s", e, tc.field)
			}
		})
	}
	list, _ := c.ListTimelineEvents(ctx, &integrationsv1.ListTimelineEventsRequest{Parent: conn.GetName()})
	if n := len(list.GetTimelineEvents()); n != 0 {
		t.Errorf("%d events queued by refused calls", n)
	}
}
