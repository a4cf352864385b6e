package main

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// TestServerNamesParseInTheClient: the names the running server returns (connection, record,
// timeline event, audit event) parse with the client's parsers, and the names the client's
// builders make address the same resources over gRPC and REST.
func TestServerNamesParseInTheClient(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()

	connRef, err := client.ParseConnectionName(conn.GetName())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(client.ConnectionRef{Workspace: "acme", Connection: "prod"}, connRef); d != "" {
		t.Fatalf("ParseConnectionName(%q) (-want +got):\n%s", conn.GetName(), d)
	}

	rec, err := c.GetRecord(ctx, &integrationsv1.GetRecordRequest{Name: client.RecordName(connRef.String(), "contacts", seed.Contacts[0])})
	if err != nil {
		t.Fatal(err)
	}
	recRef, err := client.ParseRecordName(rec.GetName())
	if err != nil {
		t.Fatal(err)
	}
	wantRec := client.RecordRef{ObjectCollectionRef: client.ObjectCollectionRef{ConnectionRef: connRef, ObjectType: "contacts"}, Record: seed.Contacts[0]}
	if d := cmp.Diff(wantRec, recRef); d != "" {
		t.Errorf("ParseRecordName(%q) (-want +got):\n%s", rec.GetName(), d)
	}

	logged, err := c.LogTimelineEvent(ctx, &integrationsv1.LogTimelineEventRequest{Parent: connRef.String(), TimelineEvent: &integrationsv1.TimelineEvent{
		Kind:      integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE,
		Contact:   &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: seed.Contacts[0]}},
		OccurTime: timestamppb.New(time.Now().Add(-time.Minute)), Title: "Chat", Body: "Asked about pricing"}})
	if err != nil {
		t.Fatal(err)
	}
	eventRef, err := client.ParseTimelineEventName(logged.GetName())
	if err != nil || eventRef.ConnectionRef != connRef || eventRef.TimelineEvent == "" {
		t.Fatalf("ParseTimelineEventName(%q) = %+v, %v", logged.GetName(), eventRef, err)
	}
	name := client.TimelineEventName(connRef.String(), eventRef.TimelineEvent)
	got, err := c.GetTimelineEvent(ctx, &integrationsv1.GetTimelineEventRequest{Name: name})
	if err != nil || got.GetName() != logged.GetName() {
		t.Errorf("GetTimelineEvent(%q) over gRPC = %v, %v; want %s", name, got, err, logged.GetName())
	}
	r := ts.do(t, "GET", "/v1/"+name, ts.keys["acme"], "")
	viaREST := &integrationsv1.TimelineEvent{}
	if err := protojson.Unmarshal([]byte(r.raw), viaREST); r.code != 200 || err != nil || viaREST.GetName() != logged.GetName() {
		t.Errorf("GET /v1/%s = %d %s", name, r.code, r.raw)
	}

	audit, err := c.ListAuditEvents(ctx, &integrationsv1.ListAuditEventsRequest{Parent: client.WorkspaceName("acme")})
	if err != nil || len(audit.GetAuditEvents()) == 0 {
		t.Fatalf("ListAuditEvents = %v, %v; want the connection's creation at least", audit, err)
	}
	for _, e := range audit.GetAuditEvents() {
		ref, err := client.ParseAuditEventName(e.GetName())
		if err != nil {
			t.Errorf("ParseAuditEventName(%q): %v", e.GetName(), err)
			continue
		}
		if ref.Workspace != "acme" || ref.AuditEvent == "" || ref.String() != e.GetName() {
			t.Errorf("audit event %q parses as %+v, which formats as %q", e.GetName(), ref, ref.String())
		}
	}
}
