package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// TestEvaluateConditionTellsUnknownFromFalse: a condition that is false because fields it
// needs are empty in HubSpot says so (depends_on_empty, naming the fields), over gRPC and
// REST alike, and a condition false on the values HubSpot holds does not.
func TestEvaluateConditionTellsUnknownFromFalse(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	noStage, err := ts.sb.CreateRecord(ts.acct.HubID, "contacts", map[string]string{"email": "no.stage@acme.example", "firstname": "Nova"})
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		Result         bool
		DependsOnEmpty bool
		EmptyFields    []string
	}
	cases := []struct {
		name    string
		contact string
		expr    string
		want    outcome
	}{
		{"false: the stage is another", seed.Contacts[0], `contact.lifecyclestage == "customer"`, outcome{}},
		{"unknown: the contact has no lifecycle stage", noStage, `contact.lifecyclestage == "customer"`,
			outcome{DependsOnEmpty: true, EmptyFields: []string{"contact.lifecyclestage"}}},
		{"unknown, even negated", noStage, `contact.lifecyclestage != "customer"`,
			outcome{DependsOnEmpty: true, EmptyFields: []string{"contact.lifecyclestage"}}},
		{"unknown on two fields: no stage and no company", noStage, `contact.lifecyclestage == "customer" && company.annualrevenue > 1`,
			outcome{DependsOnEmpty: true, EmptyFields: []string{"company.annualrevenue", "contact.lifecyclestage"}}},
		{"false decided by a filled field despite an empty one", noStage, `contact.firstname == "Ada" && contact.lifecyclestage == "customer"`, outcome{}},
		{"emptiness made explicit", noStage, `!has(contact.lifecyclestage) || contact.lifecyclestage != "customer"`, outcome{Result: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.EvaluateCondition(context.Background(), &integrationsv1.EvaluateConditionRequest{Connection: conn.GetName(),
				Expression: tc.expr, Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: tc.contact}}, ResolveAssociations: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, outcome{resp.GetResult(), resp.GetDependsOnEmpty(), resp.GetEmptyFields()}, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("gRPC (-want +got):\n%s", diff)
			}
			expr, _ := json.Marshal(tc.expr)
			r := ts.do(t, "POST", "/v1/"+conn.GetName()+":evaluateCondition", ts.keys["acme"],
				fmt.Sprintf(`{"expression":%s,"contact":{"id":%q},"resolveAssociations":true}`, expr, tc.contact))
			if r.code != 200 {
				t.Fatalf("REST: %d %s", r.code, r.raw)
			}
			var rest outcome
			if err := json.Unmarshal([]byte(r.raw), &rest); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, rest, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("REST (-want +got):\n%s\n%s", diff, r.raw)
			}
		})
	}
}
