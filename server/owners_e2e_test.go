package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// An owner field set by an owner's email reaches HubSpot as the owner's id, over gRPC and
// REST and through every write that takes properties; an unknown or archived owner is refused
// naming the property and what was not found, and HubSpot's record is left as it was.
func TestOwnersOnWrites(t *testing.T) {
	t.Parallel()
	// The search below checks how an owner filter is translated, not when a write reaches
	// search, so the sandbox's search sees the update at once.
	ts, c, conn, seed := seededWith(t, serverOptions{searchLag: sandbox.NoSearchLag})
	ctx := context.Background()
	holds := func(t *testing.T, objectType, id, want string) {
		t.Helper()
		rec, _ := ts.sb.Record(ts.acct.HubID, objectType, id)
		if got := rec["hubspot_owner_id"]; got != want {
			t.Errorf("HubSpot's %s %s has hubspot_owner_id %q, want %q", objectType, id, got, want)
		}
	}

	// gRPC: an upsert, the owner by email in any case.
	if _, err := c.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: "ada.lovelace0@acme.example",
		Properties: props("hubspot_owner_id", "Aiko.Tanaka@northwind.example")}); err != nil {
		t.Fatal(err)
	}
	holds(t, "contacts", seed.Contacts[0], "41629781")
	// REST: UpdateRecord of a deal, as a workflow sends it.
	deal := client.RecordName(conn.GetName(), "deals", seed.Deals[0])
	if r := ts.do(t, "PATCH", "/v1/"+deal, ts.keys["acme"], `{"properties":{"hubspot_owner_id":"luis.ortega@northwind.example"}}`); r.code != 200 {
		t.Fatalf("REST UpdateRecord = %d %s", r.code, r.raw)
	}
	holds(t, "deals", seed.Deals[0], "41629782")
	// A search filter on the owner takes the email too.
	found, err := c.SearchRecords(ctx, &integrationsv1.SearchRecordsRequest{Parent: client.ObjectTypeName(conn.GetName(), "deals"),
		FilterGroups: []*integrationsv1.FilterGroup{{Filters: []*integrationsv1.Filter{{Field: "hubspot_owner_id",
			Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: structpb.NewStringValue("Luis.Ortega@northwind.example")}}}}})
	if err != nil || len(found.GetRecords()) != 1 || found.GetRecords()[0].GetId() != seed.Deals[0] {
		t.Errorf("deals owned by Luis Ortega = %v, %v; want deal %s", found, err, seed.Deals[0])
	}

	refused := []struct {
		name, value, description string
	}{
		{"a mistyped email", "maya.patell@northwind.example",
			`no owner of the account has the email "maya.patell@northwind.example"; did you mean "maya.patel@northwind.example"?`},
		{"an id no owner has", "12345",
			"no owner of the account has the id 12345; DiscoverFields lists the owners (refresh it if the owner was just added in HubSpot)"},
		{"an archived owner", "grace.kim@northwind.example",
			"owner 41629783 (grace.kim@northwind.example) is archived: HubSpot no longer assigns records to a deactivated user"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.UpdateRecord(ctx, &integrationsv1.UpdateRecordRequest{Name: deal, Properties: props("hubspot_owner_id", tc.value)})
			e := client.ErrorDetails(err)
			if e.Code != codes.InvalidArgument || len(e.FieldViolations) != 1 ||
				e.FieldViolations[0] != (client.FieldViolation{Field: "properties.hubspot_owner_id", Description: tc.description}) {
				t.Errorf("UpdateRecord(%q) = %+v, want one violation of properties.hubspot_owner_id: %s", tc.value, e, tc.description)
			}
			res, err := c.BatchUpsertContacts(ctx, &integrationsv1.BatchUpsertContactsRequest{Connection: conn.GetName(), Contacts: []*integrationsv1.ContactUpsert{
				{Email: "ada.lovelace0@acme.example", Properties: props("hubspot_owner_id", tc.value)}}})
			if err != nil || len(res.GetResults()) != 1 || !strings.Contains(res.GetResults()[0].GetError().GetMessage(), tc.description) {
				t.Errorf("BatchUpsertContacts(%q) = %v, %v; want its one result refused: %s", tc.value, res, err, tc.description)
			}
		})
	}
	holds(t, "contacts", seed.Contacts[0], "41629781")
	holds(t, "deals", seed.Deals[0], "41629782")
}

// A workflow routes on the owner: the guide's "route to the senior support team" as a
// condition on the contact owner's teams, over gRPC and REST, then on the owner's email.
func TestConditionOnTheOwnersTeam(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	contact := client.RecordName(conn.GetName(), "contacts", seed.Contacts[0])
	const seniorSupport = `"Senior Support" in contact.owner.teams`
	evaluate := func(t *testing.T, expr string) bool {
		t.Helper()
		resp, err := c.EvaluateCondition(ctx, &integrationsv1.EvaluateConditionRequest{Connection: conn.GetName(), Expression: expr,
			Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: seed.Contacts[0]}}})
		if err != nil {
			t.Fatalf("EvaluateCondition(%s): %v", expr, err)
		}
		return resp.GetResult()
	}
	v, err := c.ValidateCondition(ctx, &integrationsv1.ValidateConditionRequest{Connection: conn.GetName(), Expression: seniorSupport})
	if err != nil || fmt.Sprint(v.GetReferencedFields()) != "[contact.hubspot_owner_id]" {
		t.Fatalf("ValidateCondition = %v, %v; want it to read contact.hubspot_owner_id", v, err)
	}
	for _, step := range []struct {
		owner     string
		inSupport bool
	}{
		{"jonas.weber@northwind.example", true}, // Senior Support
		{"maya.patel@northwind.example", false}, // Sales
		{"aiko.tanaka@northwind.example", true}, // both
	} {
		if _, err := c.UpdateRecord(ctx, &integrationsv1.UpdateRecordRequest{Name: contact, Properties: props("hubspot_owner_id", step.owner)}); err != nil {
			t.Fatal(err)
		}
		if got := evaluate(t, seniorSupport); got != step.inSupport {
			t.Errorf("owned by %s: %s = %v, want %v", step.owner, seniorSupport, got, step.inSupport)
		}
		if !evaluate(t, fmt.Sprintf("contact.owner.email == %q", step.owner)) {
			t.Errorf("owned by %s: the owner's email differs", step.owner)
		}
	}
	r := ts.do(t, "POST", "/v1/"+conn.GetName()+":evaluateCondition", ts.keys["acme"],
		fmt.Sprintf(`{"expression":%q,"contact":{"id":%q}}`, seniorSupport+` && "Sales" in contact.owner.teams`, seed.Contacts[0]))
	if r.code != 200 || r.body["result"] != true {
		t.Errorf("REST evaluate = %d %s", r.code, r.raw)
	}
	r = ts.do(t, "POST", "/v1/"+conn.GetName()+":validateCondition", ts.keys["acme"], `{"expression":"contact.owner.phone == \"1\""}`)
	if r.code != 400 {
		t.Errorf("REST validate of an owner field that does not exist = %d %s", r.code, r.raw)
	}
}
