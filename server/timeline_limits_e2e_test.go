package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// logOverREST sends the same LogTimelineEventRequest through the REST gateway.
func (ts *testServer) logOverREST(t *testing.T, req *integrationsv1.LogTimelineEventRequest) httpResult {
	t.Helper()
	body := proto.Clone(req).(*integrationsv1.LogTimelineEventRequest)
	body.Parent = ""
	raw, err := protojson.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return ts.do(t, "POST", "/v1/"+req.GetParent()+"/timelineEvents", ts.keys["acme"], string(raw))
}

// restDetail returns the first detail of a REST error body whose @type ends with typ.
func restDetail(body map[string]any, typ string) map[string]any {
	details, _ := body["details"].([]any)
	for _, d := range details {
		if m, _ := d.(map[string]any); strings.HasSuffix(fmt.Sprint(m["@type"]), "."+typ) {
			return m
		}
	}
	return nil
}

// restViolationField returns the field of the first BadRequest violation of a REST error body.
func restViolationField(body map[string]any) string {
	vs, _ := restDetail(body, "BadRequest")["fieldViolations"].([]any)
	if len(vs) == 0 {
		return ""
	}
	f, _ := vs[0].(map[string]any)["field"].(string)
	return f
}

func noteFor(contactID string, occurred time.Time) *integrationsv1.TimelineEvent {
	return &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE,
		Contact:   &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: contactID}},
		OccurTime: timestamppb.New(occurred), Title: "Chat"}
}

// Every field of an event is bounded, and the body's bound is the engagement body HubSpot
// would refuse once composed, over both transports, before anything is queued.
func TestLogTimelineEventRefusesOversizeEvents(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	now := time.Now()
	cases := []struct {
		name  string
		edit  func(*integrationsv1.TimelineEvent)
		field string
	}{
		{"the review's 3.8 MB metadata value", func(ev *integrationsv1.TimelineEvent) {
			ev.Metadata = map[string]string{"blob": strings.Repeat("x", 3_800_000)}
		}, "timeline_event.metadata.blob"},
		{"a body over HubSpot's limit once composed", func(ev *integrationsv1.TimelineEvent) {
			ev.Body = strings.Repeat("x", 65_500)
		}, "timeline_event.body"},
		{"a body that fits alone but not with its metadata", func(ev *integrationsv1.TimelineEvent) {
			ev.Body = strings.Repeat("x", 60_000)
			ev.Metadata = map[string]string{}
			for i := range 5 {
				ev.Metadata[fmt.Sprint("note", i)] = strings.Repeat("m", 1500)
			}
		}, "timeline_event.body"},
		{"a phone number of 41 characters", func(ev *integrationsv1.TimelineEvent) {
			ev.Kind, ev.FromNumber = integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_CALL, strings.Repeat("1", 41)
		}, "timeline_event.from_number"},
		{"a recording URL of 3,000 characters", func(ev *integrationsv1.TimelineEvent) {
			ev.Kind, ev.RecordingUrl = integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_CALL, "https://rec.example/"+strings.Repeat("r", 3000)
		}, "timeline_event.recording_url"},
		{"a contact id of 25 digits", func(ev *integrationsv1.TimelineEvent) {
			ev.Contact = &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: strings.Repeat("1", 25)}}
		}, "timeline_event.contact.id"},
		{"a direction that is not in the enum", func(ev *integrationsv1.TimelineEvent) {
			ev.Direction = integrationsv1.Direction(99)
		}, "timeline_event.direction"},
		{"an occur_time in 1970", func(ev *integrationsv1.TimelineEvent) {
			ev.OccurTime = timestamppb.New(time.Unix(0, 0))
		}, "timeline_event.occur_time"},
		{"an occur_time next week", func(ev *integrationsv1.TimelineEvent) {
			ev.OccurTime = timestamppb.New(now.Add(7 * 24 * time.Hour))
		}, "timeline_event.occur_time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := noteFor(seed.Contacts[0], now.Add(-time.Hour))
			tc.edit(ev)
			req := &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(), TimelineEvent: ev}
			if _, err := c.LogTimelineEvent(ctx, req); err == nil {
				t.Errorf("gRPC: accepted; want INVALID_ARGUMENT on %s", tc.field)
			} else if e := client.ErrorDetails(err); e.Code != codes.InvalidArgument || len(e.FieldViolations) == 0 || e.FieldViolations[0].Field != tc.field {
				t.Errorf("gRPC: %+v; want INVALID_ARGUMENT on %s", e, tc.field)
			}
			if r := ts.logOverREST(t, req); r.code != 400 || restViolationField(r.body) != tc.field {
				t.Errorf("REST: %d %.300s; want 400 on %s", r.code, r.raw, tc.field)
			}
		})
	}
	if list, err := c.ListTimelineEvents(ctx, &integrationsv1.ListTimelineEventsRequest{Parent: conn.GetName()}); err != nil || len(list.GetTimelineEvents()) != 0 {
		t.Errorf("refused events were queued: %d, %v", len(list.GetTimelineEvents()), err)
	}

	// A body of 60,000 characters composes within HubSpot's limit: accepted and delivered.
	ev := noteFor(seed.Contacts[0], now.Add(-time.Hour))
	ev.Body = strings.Repeat("y", 60_000)
	got, err := c.LogTimelineEvent(ctx, &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(), TimelineEvent: ev, WaitForDelivery: true})
	if err != nil || got.GetStatus() != integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_DELIVERED {
		t.Fatalf("a 60,000-character body = %v, %v; want DELIVERED", got.GetStatus(), err)
	}
	if rec, _ := ts.sb.Record(ts.acct.HubID, "notes", got.GetHubspotObjectId()); !strings.Contains(rec["hs_note_body"], ev.Body) {
		t.Errorf("HubSpot's note lacks the body (%d characters)", len(rec["hs_note_body"]))
	}
}

// A connection whose events cannot be delivered stops taking new ones at the cap, with
// RESOURCE_EXHAUSTED, a QuotaFailure and what to do, over both transports.
func TestLogTimelineEventQueueCap(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.restart(t, map[string]string{"INTEGRATIONS_TIMELINE_MAX_QUEUED": "2"})
	seed, err := ts.sb.SeedSampleData(ts.acct.HubID)
	if err != nil {
		t.Fatal(err)
	}
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	ctx := context.Background()
	if err := ts.sb.RevokeToken(ts.token); err != nil { // delivery is held: events stay QUEUED
		t.Fatal(err)
	}
	occurred := time.Now().Add(-time.Hour)
	request := func(id string) *integrationsv1.LogTimelineEventRequest {
		return &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(), TimelineEvent: noteFor(seed.Contacts[0], occurred), RequestId: id}
	}
	first, err := c.LogTimelineEvent(ctx, request("q-1"))
	if err != nil {
		t.Fatal(err)
	}
	if r := ts.logOverREST(t, request("q-2")); r.code != 200 {
		t.Fatalf("second event over REST: %d %s", r.code, r.raw)
	}

	_, err = c.LogTimelineEvent(ctx, request("q-3"))
	if err == nil {
		t.Fatal("gRPC past the cap: accepted; want RESOURCE_EXHAUSTED")
	}
	e := client.ErrorDetails(err)
	if e.Code != codes.ResourceExhausted || e.Reason != "TIMELINE_QUEUE_FULL" || len(e.QuotaViolations) != 1 ||
		e.QuotaViolations[0].Subject != conn.GetName() || e.Metadata["limit"] != "2" {
		t.Errorf("gRPC past the cap: %+v; want RESOURCE_EXHAUSTED TIMELINE_QUEUE_FULL with a QuotaFailure on the connection", e)
	}
	for _, hint := range []string{"wait for them to be delivered", "GetConnection or TestConnection"} {
		if !strings.Contains(e.Message, hint) {
			t.Errorf("message %q does not say %q", e.Message, hint)
		}
	}
	r := ts.logOverREST(t, request("q-4"))
	if q := restDetail(r.body, "QuotaFailure"); r.code != 429 || reasonOf(r.body) != "TIMELINE_QUEUE_FULL" || q == nil {
		t.Errorf("REST past the cap: %d %s; want 429 TIMELINE_QUEUE_FULL with a QuotaFailure", r.code, r.raw)
	}
	// A retry of an accepted event is answered, full queue or not.
	if again, err := c.LogTimelineEvent(ctx, request("q-1")); err != nil || again.GetName() != first.GetName() {
		t.Errorf("replay of q-1 = %v, %v; want %s", again.GetName(), err, first.GetName())
	}
}

// A page of large events ends at about 1 MiB with a next_page_token, before page_size.
func TestListTimelineEventsPageBoundedByBytes(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	const events, bodyChars = 30, 45_000 // 1.35 MB of bodies
	for i := range events {
		ev := noteFor(seed.Contacts[0], time.Now().Add(-time.Duration(i)*time.Minute))
		ev.Body = strings.Repeat("z", bodyChars)
		if _, err := c.LogTimelineEvent(ctx, &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(), TimelineEvent: ev}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("gRPC", func(t *testing.T) {
		var sizes []int
		seen := map[string]bool{}
		token := ""
		for range events {
			page, err := c.ListTimelineEvents(ctx, &integrationsv1.ListTimelineEventsRequest{Parent: conn.GetName(), PageSize: 1000, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(page.GetTimelineEvents()))
			for _, ev := range page.GetTimelineEvents() {
				seen[ev.GetName()] = true
			}
			if token = page.GetNextPageToken(); token == "" {
				break
			}
		}
		if len(sizes) < 2 || sizes[0] >= events || len(seen) != events {
			t.Errorf("pages of %v events (%d distinct); want a first page cut short by bytes and all %d events", sizes, len(seen), events)
		}
	})
	t.Run("REST", func(t *testing.T) {
		var sizes []int
		seen := map[string]bool{}
		token := ""
		for range events {
			r := ts.do(t, "GET", "/v1/"+conn.GetName()+"/timelineEvents?pageSize=1000&pageToken="+url.QueryEscape(token), ts.keys["acme"], "")
			if r.code != 200 {
				t.Fatalf("list: %d %.300s", r.code, r.raw)
			}
			list, _ := r.body["timelineEvents"].([]any)
			sizes = append(sizes, len(list))
			for _, ev := range list {
				seen[ev.(map[string]any)["name"].(string)] = true
			}
			if token, _ = r.body["nextPageToken"].(string); token == "" {
				break
			}
		}
		if len(sizes) < 2 || sizes[0] >= events || len(seen) != events {
			t.Errorf("pages of %v events (%d distinct); want a first page cut short by bytes and all %d events", sizes, len(seen), events)
		}
	})
}
