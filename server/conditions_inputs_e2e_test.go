package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// TestEvaluateConditionChecksItsInputs: the records and time an evaluation names are checked
// before anything is fetched, and each bad one is the caller's INVALID_ARGUMENT naming the
// field, over gRPC and REST alike (blank ids and emails used to reach HubSpot's client and
// come back as INTERNAL).
func TestEvaluateConditionChecksItsInputs(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	email := func(e string) *integrationsv1.ContactRef {
		return &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: e}}
	}
	id := func(i string) *integrationsv1.ContactRef {
		return &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: i}}
	}
	const contactExpr, companyExpr, dealExpr = `contact.lifecyclestage == "customer"`, `company.annualrevenue > 1`, `deal.amount > 1`
	cases := []struct {
		name  string
		req   *integrationsv1.EvaluateConditionRequest
		field string
	}{
		{"blank contact email", &integrationsv1.EvaluateConditionRequest{Expression: contactExpr, Contact: email("   ")}, "contact.email"},
		{"contact email that is no address", &integrationsv1.EvaluateConditionRequest{Expression: contactExpr, Contact: email("not an address")}, "contact.email"},
		{"blank contact id", &integrationsv1.EvaluateConditionRequest{Expression: contactExpr, Contact: id(" ")}, "contact.id"},
		{"dot-dot contact id", &integrationsv1.EvaluateConditionRequest{Expression: contactExpr, Contact: id("..")}, "contact.id"},
		{"blank company id", &integrationsv1.EvaluateConditionRequest{Expression: companyExpr, CompanyId: " "}, "company_id"},
		{"company id with a path", &integrationsv1.EvaluateConditionRequest{Expression: companyExpr, CompanyId: "1/../2"}, "company_id"},
		{"deal id of 21 digits", &integrationsv1.EvaluateConditionRequest{Expression: dealExpr, DealId: "123456789012345678901"}, "deal_id"},
		{"now before 1900", &integrationsv1.EvaluateConditionRequest{Expression: dealExpr, DealId: seed.Deals[0], Now: timestamppb.New(time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC))}, "now"},
		{"now after 2200", &integrationsv1.EvaluateConditionRequest{Expression: dealExpr, DealId: seed.Deals[0], Now: timestamppb.New(time.Date(2200, 1, 2, 0, 0, 0, 0, time.UTC))}, "now"},
		{"now beyond the timestamp range", &integrationsv1.EvaluateConditionRequest{Expression: dealExpr, DealId: seed.Deals[0], Now: &timestamppb.Timestamp{Seconds: 1 << 62}}, "now"},
		{"now with negative nanos", &integrationsv1.EvaluateConditionRequest{Expression: dealExpr, DealId: seed.Deals[0], Now: &timestamppb.Timestamp{Seconds: 1, Nanos: -1}}, "now"},
	}
	for _, tc := range cases {
		tc.req.Connection = conn.GetName()
		t.Run("gRPC/"+tc.name, func(t *testing.T) {
			_, err := c.EvaluateCondition(ctx, tc.req)
			e := client.ErrorDetails(err)
			if e.Code != codes.InvalidArgument || e.Reason != "INVALID_ARGUMENT" || len(e.FieldViolations) != 1 || e.FieldViolations[0].Field != tc.field {
				t.Errorf("EvaluateCondition = %v %s %+v; want INVALID_ARGUMENT naming %s", e.Code, e.Reason, e.FieldViolations, tc.field)
			}
		})
		body, err := protojson.Marshal(tc.req)
		if err != nil {
			continue // a timestamp JSON cannot express; the gateway's decoder refuses those as MALFORMED_REQUEST
		}
		t.Run("REST/"+tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", "/v1/"+conn.GetName()+":evaluateCondition", ts.keys["acme"], string(body))
			if r.code != 400 || reasonOf(r.body) != "INVALID_ARGUMENT" || !violates(r.body, tc.field) {
				t.Errorf("REST evaluate %s = %d %.400s; want 400 INVALID_ARGUMENT naming %s", body, r.code, r.raw, tc.field)
			}
		})
	}
	// A well-formed email with spaces around it is the contact's email.
	resp, err := c.EvaluateCondition(ctx, &integrationsv1.EvaluateConditionRequest{Connection: conn.GetName(),
		Expression: `contact.account_tier == "Enterprise"`, Contact: email("  Alan.Liskov2@initech.example ")})
	if err != nil || !resp.GetResult() {
		t.Errorf("evaluate by a padded email = %v, %v; want true", resp, err)
	}
}

// violates reports whether a REST error body has a BadRequest violation of field.
func violates(body map[string]any, field string) bool {
	raw, _ := json.Marshal(body["details"])
	var details []struct {
		Type       string `json:"@type"`
		Violations []struct {
			Field string `json:"field"`
		} `json:"fieldViolations"`
	}
	json.Unmarshal(raw, &details)
	for _, d := range details {
		for _, v := range d.Violations {
			if v.Field == field {
				return true
			}
		}
	}
	return false
}
