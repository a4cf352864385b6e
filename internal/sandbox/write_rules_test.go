package sandbox_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/sandbox"
)

// lifecyclestage only moves forward in its option order: an earlier stage is refused with a
// VALIDATION_ERROR naming both stages, on the single PATCH and on batch update and upsert
// (which then write nothing); clearing is always allowed, and any stage after a clear.
func TestLifecycleStageOnlyMovesForward(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	n := 0
	contact := func(stage string) string {
		t.Helper()
		n++
		return e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", fmt.Sprintf("lc-%d@example.com", n), "lifecyclestage", stage)}).want(t, 201).str("id")
	}
	type write struct {
		kind  string // "patch", "update" (batch), "upsert" (batch)
		stage string
	}
	tests := []struct {
		name       string
		from       string // the stage the contact is created with
		writes     []write
		wantStatus int // of the last write
		wantStage  string
	}{
		{"forward by PATCH", "lead", []write{{"patch", "customer"}}, 200, "customer"},
		{"same stage by PATCH", "customer", []write{{"patch", "customer"}}, 200, "customer"},
		{"backward by PATCH", "customer", []write{{"patch", "lead"}}, 400, "customer"},
		{"backward by batch update", "customer", []write{{"update", "lead"}}, 400, "customer"},
		{"backward by batch upsert", "customer", []write{{"upsert", "subscriber"}}, 400, "customer"},
		{"clear by PATCH", "customer", []write{{"patch", ""}}, 200, ""},
		{"clear then backward", "customer", []write{{"patch", ""}, {"patch", "lead"}}, 200, "lead"},
		{"clear then backward by batch upsert", "evangelist", []write{{"upsert", ""}, {"upsert", "subscriber"}}, 200, "subscriber"},
		{"from empty to any stage", "", []write{{"patch", "subscriber"}}, 200, "subscriber"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := contact(tt.from)
			email := e.do("GET", "/crm/v3/objects/contacts/"+id+"?properties=email", nil).want(t, 200).str("properties", "email")
			var res response
			for _, w := range tt.writes {
				p := props("lifecyclestage", w.stage)
				switch w.kind {
				case "patch":
					res = e.do("PATCH", "/crm/v3/objects/contacts/"+id, map[string]any{"properties": p})
				case "update":
					res = e.do("POST", "/crm/v3/objects/contacts/batch/update", map[string]any{"inputs": []any{map[string]any{"id": id, "properties": p}}})
				case "upsert":
					res = e.do("POST", "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{map[string]any{"id": email, "idProperty": "email", "properties": p}}})
				}
			}
			res.want(t, tt.wantStatus)
			if tt.wantStatus == 400 {
				last := tt.writes[len(tt.writes)-1].stage
				got := map[string]any{"category": res.str("category"), "code": res.str("errors", 0, "code"), "context": res.get("errors", 0, "context")}
				want := map[string]any{"category": "VALIDATION_ERROR", "code": "INVALID_LIFECYCLE_STAGE_TRANSITION", "context": map[string]any{
					"propertyName": []any{"lifecyclestage"}, "currentValue": []any{tt.from}, "requestedValue": []any{last}}}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("refusal (-want +got):\n%s\nbody: %s", diff, res.raw)
				}
			}
			got := e.do("GET", "/crm/v3/objects/contacts/"+id+"?properties=lifecyclestage", nil).want(t, 200).str("properties", "lifecyclestage")
			if got != tt.wantStage {
				t.Errorf("lifecyclestage = %q, want %q", got, tt.wantStage)
			}
		})
	}
}

// A batch upsert where one contact would move backward writes none of its inputs.
func TestLifecycleBackwardFailsTheWholeBatch(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "late@example.com", "lifecyclestage", "customer")}).want(t, 201)
	e.do("POST", "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{
		map[string]any{"id": "fresh@example.com", "idProperty": "email", "properties": props("lifecyclestage", "lead")},
		map[string]any{"id": "late@example.com", "idProperty": "email", "properties": props("lifecyclestage", "lead")},
	}}).want(t, 400)
	e.do("GET", "/crm/v3/objects/contacts/fresh@example.com?idProperty=email", nil).want(t, 404)
}

// An admin's write rules refuse writes with HubSpot's VALIDATION_ERROR body, one errors[]
// entry per unset property; by default there are none.
func TestWriteRules(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	hub := e.acct.HubID
	// HubSpot defines closed_lost_reason on deals; the sandbox's default schema has no such
	// property, so the test adds it as the admin would a custom one.
	if _, err := e.sb.CreateProperty(hub, "deals", sandbox.Property{Name: "closed_lost_reason", Label: "Closed Lost Reason",
		Type: "string", FieldType: "textarea", GroupName: "dealinformation"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []sandbox.WriteRule{
		{ObjectType: "deals", Property: "closed_lost_reason", WhenProperty: "dealstage", WhenValue: "closedlost"},
		{ObjectType: "contacts", Property: "company", WhenProperty: "lifecyclestage", WhenValue: "customer"},
		{ObjectType: "contacts", Property: "firstname"},
	} {
		if _, err := e.sb.AddWriteRule(hub, r); err != nil {
			t.Fatal(err)
		}
	}
	deal := e.do("POST", "/crm/v3/objects/deals", map[string]any{"properties": props("dealname", "Rules", "dealstage", "appointmentscheduled")}).want(t, 201).str("id")
	contact := e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "rules@example.com", "firstname", "Ada")}).want(t, 201).str("id")
	type detail struct{ Code, Property string }
	tests := []struct {
		name, method, path string
		body               map[string]any
		wantStatus         int
		want               []detail
	}{
		{"deal moved to closed lost without a reason", "PATCH", "/crm/v3/objects/deals/" + deal,
			map[string]any{"properties": props("dealstage", "closedlost")}, 400,
			[]detail{{"MISSING_CONDITIONAL_REQUIRED_PROPERTY", "closed_lost_reason"}}},
		{"deal moved to closed lost with a reason", "PATCH", "/crm/v3/objects/deals/" + deal,
			map[string]any{"properties": props("dealstage", "closedlost", "closed_lost_reason", "Budget")}, 200, nil},
		{"deal created closed lost without a reason", "POST", "/crm/v3/objects/deals",
			map[string]any{"properties": props("dealname", "Lost", "dealstage", "closedlost")}, 400,
			[]detail{{"MISSING_CONDITIONAL_REQUIRED_PROPERTY", "closed_lost_reason"}}},
		{"contact created without the create-form field", "POST", "/crm/v3/objects/contacts",
			map[string]any{"properties": props("email", "noname@example.com")}, 400,
			[]detail{{"MISSING_REQUIRED_PROPERTY", "firstname"}}},
		{"contact upserted as customer, new, with neither", "POST", "/crm/v3/objects/contacts/batch/upsert",
			map[string]any{"inputs": []any{map[string]any{"id": "new@example.com", "idProperty": "email", "properties": props("lifecyclestage", "customer")}}}, 400,
			[]detail{{"MISSING_CONDITIONAL_REQUIRED_PROPERTY", "company"}, {"MISSING_REQUIRED_PROPERTY", "firstname"}}},
		{"existing contact made customer by batch update without company", "POST", "/crm/v3/objects/contacts/batch/update",
			map[string]any{"inputs": []any{map[string]any{"id": contact, "properties": props("lifecyclestage", "customer")}}}, 400,
			[]detail{{"MISSING_CONDITIONAL_REQUIRED_PROPERTY", "company"}}},
		{"existing contact updated without touching the rules' properties", "PATCH", "/crm/v3/objects/contacts/" + contact,
			map[string]any{"properties": props("lastname", "Lovelace")}, 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(tt.method, tt.path, tt.body).want(t, tt.wantStatus)
			if tt.wantStatus != 400 {
				return
			}
			var got []detail
			for i := range res.list("errors") {
				got = append(got, detail{res.str("errors", i, "code"), res.str("errors", i, "context", "propertyName", 0)})
			}
			if res.str("category") != "VALIDATION_ERROR" {
				t.Errorf("category %q, want VALIDATION_ERROR", res.str("category"))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors[] (-want +got):\n%s\nbody: %s", diff, res.raw)
			}
		})
	}
}

// Rules are configured through the admin API too; a rule naming an unknown property is
// refused, and clearing them lets the refused write through.
func TestWriteRulesAdminAPI(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	base := "/_sandbox/accounts/" + strconv.FormatInt(e.acct.HubID, 10) + "/write-rules"
	if _, err := e.sb.CreateProperty(e.acct.HubID, "deals", sandbox.Property{Name: "closed_lost_reason", Label: "Closed Lost Reason",
		Type: "string", FieldType: "textarea", GroupName: "dealinformation"}); err != nil {
		t.Fatal(err)
	}
	e.do("POST", base, map[string]any{"objectType": "deals", "property": "no_such_property"}).want(t, 400)
	e.do("POST", base, map[string]any{"objectType": "deals", "property": "closed_lost_reason", "whenProperty": "dealstage"}).want(t, 400)
	e.do("POST", base, map[string]any{"objectType": "deals", "property": "closed_lost_reason", "whenProperty": "dealstage", "whenValue": "closedlost"}).want(t, 201)
	rules, err := e.sb.WriteRules(e.acct.HubID)
	if err != nil {
		t.Fatal(err)
	}
	want := []sandbox.WriteRule{{ObjectType: "deals", Property: "closed_lost_reason", WhenProperty: "dealstage", WhenValue: "closedlost"}}
	if diff := cmp.Diff(want, rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	lost := map[string]any{"properties": props("dealname", "Lost", "dealstage", "closedlost")}
	e.do("POST", "/crm/v3/objects/deals", lost).want(t, 400)
	e.do("DELETE", base, nil).want(t, 204)
	e.do("POST", "/crm/v3/objects/deals", lost).want(t, 201)
}
