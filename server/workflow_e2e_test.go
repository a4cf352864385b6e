package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	"github.com/connectflo/integrations/client/clienttest"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// journeyCall sends one request of the named RPC to a clienttest server and decodes its
// response into resp.
type journeyCall func(t *testing.T, srv *clienttest.Server, method string, req, resp proto.Message)

// journeyTransports are the workflow engine's two ways in: the typed client's connection, and
// the REST gateway at the route of the method's google.api.http rule, with the key in the
// Authorization header as clienttest documents it.
var journeyTransports = []struct {
	name string
	call journeyCall
}{
	{"grpc", func(t *testing.T, srv *clienttest.Server, method string, req, resp proto.Message) {
		t.Helper()
		md := integrationService.Methods().ByName(protoreflect.Name(method))
		if err := srv.Client.Conn().Invoke(context.Background(), fullMethod(md), req, resp); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}},
	{"rest", func(t *testing.T, srv *clienttest.Server, method string, req, resp proto.Message) {
		t.Helper()
		verb, path, body, ok := restRequest(integrationService.Methods().ByName(protoreflect.Name(method)), req)
		if !ok {
			t.Fatalf("%s: JSON cannot express %v", method, req)
		}
		r, err := http.NewRequest(verb, srv.RESTURL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+srv.APIKey)
		r.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatalf("%s %s: %v", verb, path, err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: HTTP %d %s", verb, path, res.StatusCode, raw)
		}
		if err := protojson.Unmarshal(raw, resp); err != nil {
			t.Fatalf("%s %s: %v\n%s", verb, path, err, raw)
		}
	}},
}

// TestWorkflowJourneyThroughClienttest is the workflow engine's day, written as its team writes
// its tests: one clienttest.NewServer per transport (the real service and an emulated HubSpot,
// connected), then the guide's steps — upsert a contact from a conversation, retry it, branch
// on its lifecycle stage, log the conversation on its timeline, and move a deal to Closed Won by
// its stage's label — each checked in what reached HubSpot.
func TestWorkflowJourneyThroughClienttest(t *testing.T) {
	t.Parallel()
	for _, tr := range journeyTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			srv := clienttest.NewServer(t, clienttest.WithSampleData())
			call := func(method string, req, resp proto.Message) { t.Helper(); tr.call(t, srv, method, req, resp) }

			// A conversation names a new person: upsert by email, then a retry of the same call.
			upsert := &integrationsv1.UpsertContactRequest{Connection: srv.Connection.Name, Email: "Grace.Hopper@Example.com",
				Properties: map[string]*structpb.Value{"firstname": structpb.NewStringValue("Grace"), "lifecyclestage": structpb.NewStringValue("lead")},
				RequestId:  "conv-42-upsert"}
			var first, retried integrationsv1.UpsertContactResponse
			call("UpsertContact", upsert, &first)
			call("UpsertContact", upsert, &retried)
			if !first.GetCreated() || first.GetContactId() == "" {
				t.Fatalf("upsert = %v; want a created contact", &first)
			}
			if diff := cmp.Diff(&first, &retried, protocmp.Transform()); diff != "" {
				t.Errorf("a retry with the same request_id answers the first call's response (-first +retry):\n%s", diff)
			}
			contact, _ := srv.HubSpot.Record("contacts", first.GetContactId())
			if diff := cmp.Diff(map[string]string{"email": "grace.hopper@example.com", "firstname": "Grace", "lifecyclestage": "lead"},
				pick(contact, "email", "firstname", "lifecyclestage")); diff != "" {
				t.Errorf("the contact in HubSpot (-want +got):\n%s", diff)
			}

			// The workflow branches on the contact's stage, found by the email it was given.
			var branch integrationsv1.EvaluateConditionResponse
			call("EvaluateCondition", &integrationsv1.EvaluateConditionRequest{Connection: srv.Connection.Name,
				Expression: `contact.lifecyclestage == "lead" && contact.firstname == "Grace"`,
				Contact:    &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "grace.hopper@example.com"}}}, &branch)
			if !branch.GetResult() || branch.GetDependsOnEmpty() {
				t.Errorf("condition = %v; want true, on filled fields", &branch)
			}

			// The conversation goes on the contact's timeline; the call waits for HubSpot.
			var logged integrationsv1.TimelineEvent
			call("LogTimelineEvent", &integrationsv1.LogTimelineEventRequest{Parent: srv.Connection.Name, RequestId: "conv-42-note", WaitForDelivery: true,
				TimelineEvent: &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE,
					Contact:   &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "grace.hopper@example.com"}},
					OccurTime: timestamppb.New(time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)), Title: "Chat", Body: "Asked about the Pro plan."}}, &logged)
			if logged.GetStatus() != integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_DELIVERED || logged.GetHubspotContactId() != first.GetContactId() {
				t.Fatalf("timeline event = %v; want DELIVERED on contact %s", &logged, first.GetContactId())
			}
			note, ok := srv.HubSpot.Record(logged.GetHubspotObjectType(), logged.GetHubspotObjectId())
			if !ok || !strings.Contains(note["hs_note_body"], "Asked about the Pro plan.") {
				t.Errorf("the note in HubSpot = %v; want its body", note)
			}

			// The deal is won: its stage set by the label the sales team sees.
			deal := client.RecordName(srv.Connection.Name, "deals", srv.HubSpot.Sample.Deals[0])
			var updated integrationsv1.Record
			call("UpdateRecord", &integrationsv1.UpdateRecordRequest{Name: deal,
				Properties: map[string]*structpb.Value{"dealstage": structpb.NewStringValue("Closed Won")}}, &updated)
			if stored, _ := srv.HubSpot.Record("deals", srv.HubSpot.Sample.Deals[0]); stored["dealstage"] != "closedwon" {
				t.Errorf("the deal's stage in HubSpot = %q; want the value of the label, closedwon", stored["dealstage"])
			}
		})
	}
}

// pick is the named keys of m.
func pick(m map[string]string, keys ...string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}
