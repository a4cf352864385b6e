package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// TestGuideConditions runs the HubSpot guide's four examples against the sample data.
func TestGuideConditions(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	byID := func(id string) *integrationsv1.ContactRef {
		return &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: id}}
	}
	at := func(s string) *timestamppb.Timestamp {
		tm, _ := time.Parse(time.RFC3339, s)
		return timestamppb.New(tm)
	}
	cases := []struct {
		name string
		req  *integrationsv1.EvaluateConditionRequest
		want bool
		read string // a field value the response must explain
	}{
		{"lifecycle stage is Customer (label)", &integrationsv1.EvaluateConditionRequest{Expression: `contact.lifecyclestage == "Customer"`, Contact: byID(seed.Contacts[5])}, true, "contact.lifecyclestage=customer"},
		{"lifecycle stage is not Customer", &integrationsv1.EvaluateConditionRequest{Expression: `contact.lifecyclestage == "Customer"`, Contact: byID(seed.Contacts[0])}, false, "contact.lifecyclestage=subscriber"},
		{"annual revenue over 100,000 (primary company)", &integrationsv1.EvaluateConditionRequest{Expression: `company.annualrevenue > 100000`, Contact: byID(seed.Contacts[0]), ResolveAssociations: true}, true, "company.annualrevenue=1.25e+07"},
		{"annual revenue over 1,000,000 (company id)", &integrationsv1.EvaluateConditionRequest{Expression: `company.annualrevenue > 1000000`, CompanyId: seed.Companies[4]}, false, "company.annualrevenue=870000"},
		{"deal closes within 7 days", &integrationsv1.EvaluateConditionRequest{Expression: `withinNextDays(deal.closedate, 7)`, DealId: seed.Deals[0], Now: at("2026-03-10T09:00:00Z")}, true, "deal.closedate=2026-03-15T12:00:00Z"},
		{"deal does not close within 7 days", &integrationsv1.EvaluateConditionRequest{Expression: `withinNextDays(deal.closedate, 7)`, Contact: byID(seed.Contacts[0]), ResolveAssociations: true, Now: at("2026-03-01T09:00:00Z")}, false, ""},
		{"account tier is Enterprise (custom field, by email)", &integrationsv1.EvaluateConditionRequest{Expression: `contact.account_tier == "Enterprise"`,
			Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "alan.liskov2@initech.example"}}}, true, "contact.account_tier=enterprise"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Connection = conn.GetName()
			v, err := c.ValidateCondition(ctx, &integrationsv1.ValidateConditionRequest{Connection: conn.GetName(), Expression: tc.req.GetExpression()})
			if err != nil || len(v.GetReferencedFields()) != 1 {
				t.Fatalf("ValidateCondition = %v, %v", v, err)
			}
			resp, err := c.EvaluateCondition(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetResult() != tc.want {
				t.Errorf("result = %v, want %v (values %v)", resp.GetResult(), tc.want, resp.GetValues())
			}
			if tc.read != "" {
				var got []string
				for _, f := range resp.GetValues() {
					raw := f.GetValue().GetRaw()
					if ts := f.GetValue().GetTimestampValue(); ts != nil {
						raw = ts.AsTime().UTC().Format(time.RFC3339)
					}
					if n, ok := f.GetValue().GetValue().(*integrationsv1.FieldValue_NumberValue); ok {
						raw = fmt.Sprint(n.NumberValue)
					}
					got = append(got, f.GetField()+"="+raw)
				}
				if !strings.Contains(strings.Join(got, " "), tc.read) {
					t.Errorf("values %v do not explain the result with %s", got, tc.read)
				}
			}
		})
	}
	// The same over REST.
	r := ts.do(t, "POST", "/v1/"+conn.GetName()+":evaluateCondition", ts.keys["acme"],
		fmt.Sprintf(`{"expression":"contact.account_tier == \"Enterprise\" && company.annualrevenue > 100000","contact":{"id":%q},"resolveAssociations":true}`, seed.Contacts[2]))
	if r.code != 200 || r.body["result"] != true || r.body["companyId"] != seed.Companies[2] {
		t.Errorf("REST evaluate = %d %s", r.code, r.raw)
	}
	r = ts.do(t, "POST", "/v1/"+conn.GetName()+":validateCondition", ts.keys["acme"], `{"expression":"deal.closdate < now"}`)
	if r.code != 400 || reasonOf(r.body) != "CONDITION_UNKNOWN_FIELD" || !strings.Contains(r.raw, "did you mean 'closedate'") {
		t.Errorf("REST validate of a typo = %d %s", r.code, r.raw)
	}
}

func TestBadConditions(t *testing.T) {
	t.Parallel()
	_, c, conn, seed := seeded(t)
	ctx := context.Background()
	cases := []struct {
		expr, reason, want string
	}{
		{`deal.closdate < now`, "CONDITION_UNKNOWN_FIELD", "did you mean 'closedate'?"},
		{`company.annualrevenue > "big"`, "CONDITION_TYPE_MISMATCH", "annualrevenue is a number, not a string"},
		{`contact.account_tier == "Platinum"`, "CONDITION_UNKNOWN_OPTION", "Enterprise"},
		{`contact.lifecyclestage == `, "CONDITION_SYNTAX", "ends too early"},
		{`contact.firstname`, "CONDITION_NOT_BOOL", "true or false"},
		{strings.Repeat("contact.firstname == \"a\" || ", 300) + "true", "CONDITION_TOO_LONG", "4096"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			_, err := c.ValidateCondition(ctx, &integrationsv1.ValidateConditionRequest{Connection: conn.GetName(), Expression: tc.expr})
			e := client.ErrorDetails(err)
			if e.Code != codes.InvalidArgument || e.Reason != tc.reason || !strings.Contains(e.Message, tc.want) ||
				len(e.FieldViolations) == 0 || e.FieldViolations[0].Field != "expression" || !strings.HasPrefix(e.FieldViolations[0].Description, "line 1, column ") || e.Metadata["line"] == "" {
				t.Errorf("ValidateCondition(%.60q) = %+v; want %s mentioning %q with a position", tc.expr, e, tc.reason, tc.want)
			}
		})
	}
	_, err := c.EvaluateCondition(ctx, &integrationsv1.EvaluateConditionRequest{Connection: conn.GetName(), Expression: `deal.amount > 10`})
	if e := client.ErrorDetails(err); e.Code != codes.InvalidArgument || e.FieldViolations[0].Field != "deal_id" {
		t.Errorf("deal condition without a deal: %+v", e)
	}
	_, err = c.EvaluateCondition(ctx, &integrationsv1.EvaluateConditionRequest{Connection: conn.GetName(), Expression: `deal.amount > 10`, DealId: "999999"})
	if e := client.ErrorDetails(err); e.Code != codes.NotFound {
		t.Errorf("missing deal: %+v", e)
	}
	// An empty field: the condition is false whichever way it is asked.
	for _, expr := range []string{`contact.bio_html == "x"`, `contact.bio_html != "x"`, `!(contact.bio_html == "x")`} {
		resp, err := c.EvaluateCondition(ctx, &integrationsv1.EvaluateConditionRequest{Connection: conn.GetName(), Expression: expr,
			Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: seed.Contacts[0]}}})
		if err != nil || resp.GetResult() || resp.GetValues()[0].GetValue().GetValue() != nil {
			t.Errorf("%s on an empty field = %v, %v; want false with the field shown empty", expr, resp, err)
		}
	}
}
