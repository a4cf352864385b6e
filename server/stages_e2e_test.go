package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// The sandbox account has HubSpot's default "Sales Pipeline" (stages closedwon, …) and an
// "Enterprise" pipeline (1467822) whose stage labels repeat the default's with ids of their
// own ("Closed Won" is 2096394). A deal's stage given by label is the stage of that label in
// the deal's own pipeline, or in the pipeline the same update sets; a stage outside the
// deal's pipeline without pipeline, by label or by id, is refused before HubSpot listing
// where that stage is or the deal's pipeline's stages. Over gRPC and REST.
func TestDealStagesResolvedWithinTheDealsPipeline(t *testing.T) {
	t.Parallel()
	md := method(t, "UpdateRecord")
	tests := []struct {
		name          string
		deal          map[string]string // the deal updated, as created in HubSpot
		update        map[string]string
		wantStored    map[string]string // the deal's pipeline and stage in HubSpot afterwards
		wantViolation []string          // on error: what properties.dealstage's description says
	}{
		{
			name:       "an Enterprise deal to its Closed Won by label",
			deal:       map[string]string{"pipeline": "1467822", "dealstage": "2096391"},
			update:     map[string]string{"dealstage": "Closed Won"},
			wantStored: map[string]string{"pipeline": "1467822", "dealstage": "2096394"},
		},
		{
			name:       "a Sales Pipeline deal to its Closed Won by label",
			deal:       map[string]string{"pipeline": "default", "dealstage": "qualifiedtobuy"},
			update:     map[string]string{"dealstage": "closed won"},
			wantStored: map[string]string{"pipeline": "default", "dealstage": "closedwon"},
		},
		{
			name:       "a Sales Pipeline deal moved to Enterprise's Closed Won",
			deal:       map[string]string{"pipeline": "default", "dealstage": "qualifiedtobuy"},
			update:     map[string]string{"pipeline": "Enterprise", "dealstage": "Closed Won"},
			wantStored: map[string]string{"pipeline": "1467822", "dealstage": "2096394"},
		},
		{
			name:       "a stage by id",
			deal:       map[string]string{"pipeline": "1467822", "dealstage": "2096391"},
			update:     map[string]string{"dealstage": "2096395"},
			wantStored: map[string]string{"pipeline": "1467822", "dealstage": "2096395"},
		},
		{
			name:       "a stage of the other pipeline by label without pipeline",
			deal:       map[string]string{"pipeline": "1467822", "dealstage": "2096391"},
			update:     map[string]string{"dealstage": "Qualified To Buy"},
			wantStored: map[string]string{"pipeline": "1467822", "dealstage": "2096391"},
			wantViolation: []string{`"Qualified To Buy" is not a stage of the record's pipeline "Enterprise" (1467822)`,
				`in "Sales Pipeline" (qualifiedtobuy)`, "set pipeline"},
		},
		{
			name:       "a stage id of another pipeline than the one set",
			deal:       map[string]string{"pipeline": "1467822", "dealstage": "2096391"},
			update:     map[string]string{"pipeline": "default", "dealstage": "2096394"},
			wantStored: map[string]string{"pipeline": "1467822", "dealstage": "2096391"},
			wantViolation: []string{`"2096394" is not a stage of the record's pipeline "Sales Pipeline" (default)`,
				`in "Enterprise" (2096394)`, "set pipeline"},
		},
		{
			name:       "a stage id of another pipeline without pipeline",
			deal:       map[string]string{"pipeline": "1467822", "dealstage": "2096391"},
			update:     map[string]string{"dealstage": "closedwon"},
			wantStored: map[string]string{"pipeline": "1467822", "dealstage": "2096391"},
			wantViolation: []string{`"closedwon" is the stage "Closed Won" of pipeline "Sales Pipeline" (default), not of the record's pipeline "Enterprise" (1467822), whose stages are`,
				`"Closed Won" (2096394)`, "set pipeline to default in the same write to move the record there"},
		},
	}
	for _, tt := range tests {
		for _, tr := range rpcTransports {
			t.Run(tt.name+"/"+tr.name, func(t *testing.T) {
				t.Parallel()
				ts, _, conn, _ := seeded(t)
				id, err := ts.sb.CreateRecord(ts.acct.HubID, "deals", mergeProps(map[string]string{"dealname": "Stage test"}, tt.deal))
				if err != nil {
					t.Fatal(err)
				}
				req := &integrationsv1.UpdateRecordRequest{Name: (&rpcEnv{conn: conn}).record("deals", id), Properties: map[string]*structpb.Value{}}
				for k, v := range tt.update {
					req.Properties[k] = structpb.NewStringValue(v)
				}
				got, cerr := tr.call(t, ts, ts.keys["acme"], md, req)
				if tt.wantViolation == nil {
					if cerr != nil {
						t.Fatalf("UpdateRecord: %v", cerr)
					}
					want := map[string]*integrationsv1.FieldValue{}
					for k := range tt.update {
						want[k] = stringValue(tt.wantStored[k])
					}
					if d := cmp.Diff(want, got.(*integrationsv1.Record).GetProperties(), protocmp.Transform()); d != "" {
						t.Errorf("the updated properties (-want +got):\n%s", d)
					}
				} else {
					if cerr == nil || cerr.Code != codes.InvalidArgument || len(cerr.FieldViolations) != 1 || cerr.FieldViolations[0].Field != "properties.dealstage" {
						t.Fatalf("UpdateRecord error = %+v; want INVALID_ARGUMENT on properties.dealstage", cerr)
					}
					for _, w := range tt.wantViolation {
						if !strings.Contains(cerr.FieldViolations[0].Description, w) {
							t.Errorf("the violation %q does not say %q", cerr.FieldViolations[0].Description, w)
						}
					}
				}
				stored, _ := ts.sb.Record(ts.acct.HubID, "deals", id)
				if d := cmp.Diff(tt.wantStored, map[string]string{"pipeline": stored["pipeline"], "dealstage": stored["dealstage"]}); d != "" {
					t.Errorf("the deal in HubSpot (-want +got):\n%s", d)
				}
			})
		}
	}
}

func mergeProps(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range []map[string]string{a, b} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// A condition on "Closed Won" holds for a deal in either pipeline's Closed Won, and
// deal.is_closed_won / deal.is_closed hold by the stage's metadata in any pipeline. Over gRPC
// and REST.
func TestConditionsOnStagesOfEitherPipeline(t *testing.T) {
	t.Parallel()
	md := method(t, "EvaluateCondition")
	deals := map[string]map[string]string{
		"sales won":       {"pipeline": "default", "dealstage": "closedwon"},
		"enterprise won":  {"pipeline": "1467822", "dealstage": "2096394"},
		"enterprise lost": {"pipeline": "1467822", "dealstage": "2096395"},
		"enterprise open": {"pipeline": "1467822", "dealstage": "2096392"},
	}
	tests := []struct {
		expr string
		want map[string]bool // by deal
	}{
		{`deal.dealstage == "Closed Won"`, map[string]bool{"sales won": true, "enterprise won": true}},
		{`deal.dealstage != "Closed Won"`, map[string]bool{"enterprise lost": true, "enterprise open": true}},
		{`deal.is_closed_won`, map[string]bool{"sales won": true, "enterprise won": true}},
		{`deal.is_closed`, map[string]bool{"sales won": true, "enterprise won": true, "enterprise lost": true}},
	}
	for _, tr := range rpcTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			ts, _, conn, _ := seeded(t)
			ids := map[string]string{}
			for name, props := range deals {
				id, err := ts.sb.CreateRecord(ts.acct.HubID, "deals", mergeProps(map[string]string{"dealname": name}, props))
				if err != nil {
					t.Fatal(err)
				}
				ids[name] = id
			}
			for _, tt := range tests {
				got := map[string]bool{}
				for name, id := range ids {
					res, cerr := tr.call(t, ts, ts.keys["acme"], md, &integrationsv1.EvaluateConditionRequest{Connection: conn.GetName(), Expression: tt.expr, DealId: id})
					if cerr != nil {
						t.Fatalf("%s on %s: %v", tt.expr, name, cerr)
					}
					if res.(*integrationsv1.EvaluateConditionResponse).GetResult() {
						got[name] = true
					}
				}
				if d := cmp.Diff(tt.want, got); d != "" {
					t.Errorf("the deals %s holds for (-want +got):\n%s", tt.expr, d)
				}
			}
		})
	}
}

// resolve_associations takes a contact's most recent open deal: a deal in a closed stage of
// any pipeline is not one. Over gRPC and REST.
func TestResolvedDealIsOpenInAnyPipeline(t *testing.T) {
	t.Parallel()
	md := method(t, "EvaluateCondition")
	for _, tr := range rpcTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			ts, _, conn, _ := seeded(t)
			contact, err := ts.sb.CreateRecord(ts.acct.HubID, "contacts", map[string]string{"email": "stages@acme.example"})
			if err != nil {
				t.Fatal(err)
			}
			lost, err := ts.sb.CreateRecord(ts.acct.HubID, "deals", map[string]string{"dealname": "Lost", "pipeline": "1467822", "dealstage": "2096395"})
			if err != nil {
				t.Fatal(err)
			}
			if err := ts.sb.Associate(ts.acct.HubID, "contacts", contact, "deals", lost, 0); err != nil {
				t.Fatal(err)
			}
			res, cerr := tr.call(t, ts, ts.keys["acme"], md, &integrationsv1.EvaluateConditionRequest{Connection: conn.GetName(),
				Expression: `deal.is_closed`, Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: contact}}, ResolveAssociations: true})
			if cerr != nil {
				t.Fatal(cerr)
			}
			if got := res.(*integrationsv1.EvaluateConditionResponse); got.GetDealId() != "" || got.GetResult() {
				t.Errorf("deal_id, result = %q, %v; want no open deal (\"\", false)", got.GetDealId(), got.GetResult())
			}
		})
	}
}
