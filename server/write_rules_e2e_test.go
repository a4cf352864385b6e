package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// HubSpot only moves lifecyclestage forward. A contact at "Customer" set back to "Lead" by
// UpsertContact or UpdateRecord is refused with FAILED_PRECONDITION, reason
// LIFECYCLE_STAGE_BACKWARD, naming both stages, and keeps its stage; with
// allow_lifecycle_stage_backward the service clears the stage and sets it, and the contact is
// at "Lead". A forward move needs no flag. Over gRPC and REST.
func TestLifecycleStageOnlyMovesForwardUnlessAllowed(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	conn := ts.connect(t, "prod")
	env := &rpcEnv{t: t, ts: ts, conn: conn}
	type outcome struct {
		Code     codes.Code
		Reason   string
		Metadata map[string]string
		Stored   string // the contact's lifecyclestage in HubSpot afterwards
	}
	refused := outcome{Code: codes.FailedPrecondition, Reason: client.ReasonLifecycleStageBackward,
		Metadata: map[string]string{"field": "properties.lifecyclestage", "current": "customer", "requested": "lead"}, Stored: "customer"}
	tests := []struct {
		name  string
		rpc   string
		stage string // what the request sets; the contact is at customer
		allow bool
		want  outcome
	}{
		{"UpsertContact back to Lead", "UpsertContact", "Lead", false, refused},
		{"UpsertContact back to Lead, allowed", "UpsertContact", "Lead", true, outcome{Stored: "lead"}},
		{"UpsertContact forward to Evangelist", "UpsertContact", "Evangelist", false, outcome{Stored: "evangelist"}},
		{"UpdateRecord back to Lead", "UpdateRecord", "lead", false, refused},
		{"UpdateRecord back to Lead, allowed", "UpdateRecord", "lead", true, outcome{Stored: "lead"}},
		{"UpdateRecord forward to Evangelist", "UpdateRecord", "evangelist", false, outcome{Stored: "evangelist"}},
	}
	n := 0
	for _, tt := range tests {
		for _, tr := range rpcTransports {
			n++
			email := fmt.Sprintf("stage%d@example.com", n)
			id, err := ts.sb.CreateRecord(ts.acct.HubID, "contacts", map[string]string{"email": email, "lifecyclestage": "customer"})
			if err != nil {
				t.Fatal(err)
			}
			t.Run(tt.name+"/"+tr.name, func(t *testing.T) {
				props := map[string]*structpb.Value{"lifecyclestage": structpb.NewStringValue(tt.stage)}
				var req, wantResp proto.Message
				if tt.rpc == "UpsertContact" {
					req = &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: email, Properties: props, AllowLifecycleStageBackward: tt.allow}
					wantResp = &integrationsv1.UpsertContactResponse{Contact: env.record("contacts", id), ContactId: id}
				} else {
					req = &integrationsv1.UpdateRecordRequest{Name: env.record("contacts", id), Properties: props, AllowLifecycleStageBackward: tt.allow}
				}
				resp, cerr := tr.call(t, ts, ts.keys["acme"], method(t, tt.rpc), req)
				stored, _ := ts.sb.Record(ts.acct.HubID, "contacts", id)
				got := outcome{Stored: stored["lifecyclestage"]}
				if cerr != nil {
					got.Code, got.Reason, got.Metadata = cerr.Code, cerr.Reason, cerr.Metadata
					for _, w := range []string{`"Customer" (customer)`, `"Lead" (lead)`, "allow_lifecycle_stage_backward"} {
						if !strings.Contains(cerr.Message, w) {
							t.Errorf("the message %q does not say %q", cerr.Message, w)
						}
					}
				}
				if d := cmp.Diff(tt.want, got); d != "" {
					t.Errorf("outcome (-want +got):\n%s", d)
				}
				if wantResp != nil && cerr == nil {
					if d := cmp.Diff(wantResp, resp, protocmp.Transform()); d != "" {
						t.Errorf("response (-want +got):\n%s", d)
					}
				}
			})
		}
	}
}

// An account admin's write rules (HubSpot's 2026-09 write validation) refuse writes that
// leave a required property unset; the service answers INVALID_ARGUMENT, reason
// HUBSPOT_REJECTED_VALUE, with one field violation per property naming the rule. A batch
// upsert fails only the contact the rules refuse. Over gRPC and REST.
func TestWriteRulesNameThePropertyAndTheRule(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	deal, err := ts.sb.CreateRecord(ts.acct.HubID, "deals", map[string]string{"dealname": "Rules", "dealstage": "appointmentscheduled"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.sb.CreateProperty(ts.acct.HubID, "deals", sandbox.Property{Name: "closed_lost_reason", Label: "Closed Lost Reason",
		Type: "string", FieldType: "textarea", GroupName: "dealinformation"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []sandbox.WriteRule{
		{ObjectType: "deals", Property: "closed_lost_reason", WhenProperty: "dealstage", WhenValue: "closedlost"},
		{ObjectType: "contacts", Property: "company", WhenProperty: "lifecyclestage", WhenValue: "customer"},
		{ObjectType: "contacts", Property: "firstname"},
	} {
		if _, err := ts.sb.AddWriteRule(ts.acct.HubID, r); err != nil {
			t.Fatal(err)
		}
	}
	conn := ts.connect(t, "prod")
	env := &rpcEnv{t: t, ts: ts, conn: conn}
	str := structpb.NewStringValue
	const ruleLifecycle = `required when "Lifecycle Stage" (lifecyclestage) is "Customer" (customer) (a rule of the HubSpot account); set it`
	const ruleFirstname = "HubSpot requires it to create the contact; set it: firstname is required when creating a contact"
	tests := []struct {
		name string
		rpc  string
		req  func(n int) proto.Message
		want []client.FieldViolation
	}{
		{"a new customer without company", "UpsertContact", func(n int) proto.Message {
			return &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: fmt.Sprintf("rule%d@example.com", n),
				Properties: map[string]*structpb.Value{"firstname": str("Ada"), "lifecyclestage": str("Customer")}}
		}, []client.FieldViolation{{Field: "properties.company", Description: ruleLifecycle}}},
		{"a new contact without the create form's firstname", "UpsertContact", func(n int) proto.Message {
			return &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: fmt.Sprintf("rule%d@example.com", n),
				Properties: map[string]*structpb.Value{"lastname": str("Lovelace")}}
		}, []client.FieldViolation{{Field: "properties.firstname", Description: ruleFirstname}}},
		{"a deal closed lost without a reason", "UpdateRecord", func(int) proto.Message {
			return &integrationsv1.UpdateRecordRequest{Name: env.record("deals", deal), Properties: map[string]*structpb.Value{"dealstage": str("Closed Lost")}}
		}, []client.FieldViolation{{Field: "properties.closed_lost_reason",
			Description: `required when "Deal Stage" (dealstage) is "Closed Lost" (closedlost) (a rule of the HubSpot account); set it`}}},
	}
	n := 0
	for _, tt := range tests {
		for _, tr := range rpcTransports {
			n++
			req := tt.req(n)
			t.Run(tt.name+"/"+tr.name, func(t *testing.T) {
				_, cerr := tr.call(t, ts, ts.keys["acme"], method(t, tt.rpc), req)
				if cerr == nil || cerr.Code != codes.InvalidArgument || cerr.Reason != client.ReasonHubSpotRejectedValue {
					t.Fatalf("%s error = %+v; want INVALID_ARGUMENT HUBSPOT_REJECTED_VALUE", tt.rpc, cerr)
				}
				if d := cmp.Diff(tt.want, cerr.FieldViolations); d != "" {
					t.Errorf("field violations (-want +got):\n%s", d)
				}
			})
		}
	}
	stored, _ := ts.sb.Record(ts.acct.HubID, "deals", deal)
	if stored["dealstage"] != "appointmentscheduled" {
		t.Errorf("the refused deal moved to %q", stored["dealstage"])
	}

	for _, tr := range rpcTransports {
		t.Run("BatchUpsertContacts fails only the refused contact/"+tr.name, func(t *testing.T) {
			ok, bad := "batch-ok-"+tr.name+"@example.com", "batch-bad-"+tr.name+"@example.com"
			req := &integrationsv1.BatchUpsertContactsRequest{Connection: conn.GetName(), Contacts: []*integrationsv1.ContactUpsert{
				{Email: ok, Properties: map[string]*structpb.Value{"firstname": str("Ada")}},
				{Email: bad, Properties: map[string]*structpb.Value{"lastname": str("Lovelace")}},
			}}
			resp, cerr := tr.call(t, ts, ts.keys["acme"], method(t, "BatchUpsertContacts"), req)
			if cerr != nil {
				t.Fatalf("BatchUpsertContacts: %+v", cerr)
			}
			results := resp.(*integrationsv1.BatchUpsertContactsResponse).GetResults()
			if len(results) != 2 || results[0].GetError() != nil || results[0].GetContactId() == "" {
				t.Fatalf("results = %v; want the first contact upserted", results)
			}
			e := client.ErrorDetails(status.ErrorProto(results[1].GetError()))
			want := []client.FieldViolation{{Field: "properties.firstname", Description: ruleFirstname}}
			if e.Code != codes.InvalidArgument || cmp.Diff(want, e.FieldViolations) != "" {
				t.Errorf("second contact's error = %+v; want INVALID_ARGUMENT with %v", e, want)
			}
		})
	}
}
