package sandbox_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/connectflo/integrations/internal/sandbox"
)

func typeIDs(res response, keys ...any) []float64 {
	var out []float64
	for _, t := range res.list(keys...) {
		out = append(out, t.(map[string]any)["typeId"].(float64))
	}
	return out
}

func TestInlineAssociationsAndV4List(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	contact := e.seed.Contacts[3]
	tests := []struct {
		object, toType    string
		props             map[string]any
		typeID, reverseID float64
	}{
		{"notes", "contacts", props("hs_timestamp", "1767225600000", "hs_note_body", "n"), 202, 201},
		{"calls", "contacts", props("hs_timestamp", "2026-01-01T00:00:00Z", "hs_call_direction", "INBOUND", "hs_call_duration", "65000"), 194, 193},
		{"communications", "contacts", props("hs_timestamp", "2026-01-01T00:00:00Z", "hs_communication_channel_type", "WHATS_APP",
			"hs_communication_logged_from", "CRM", "hs_communication_body", "hi"), 81, 82},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			created := e.do("POST", "/crm/v3/objects/"+tt.object, map[string]any{"properties": tt.props,
				"associations": []any{map[string]any{"to": map[string]any{"id": contact},
					"types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": tt.typeID}}}}}).want(t, 201)
			list := e.do("GET", "/crm/v4/objects/"+tt.object+"/"+created.str("id")+"/associations/contacts", nil).want(t, 200)
			if list.get("results", 0, "toObjectId") != mustFloat(t, contact) {
				t.Fatalf("toObjectId should be the number %s: %s", contact, list.raw)
			}
			if ids := typeIDs(list, "results", 0, "associationTypes"); len(ids) != 1 || ids[0] != tt.typeID {
				t.Fatalf("type ids %v", ids)
			}
			back := e.do("GET", "/crm/v4/objects/contacts/"+contact+"/associations/"+tt.object, nil).want(t, 200)
			if ids := typeIDs(back, "results", 0, "associationTypes"); len(ids) != 1 || ids[0] != tt.reverseID {
				t.Fatalf("reverse type ids %v", ids)
			}
		})
	}
	t.Run("wrong direction's type id is refused", func(t *testing.T) {
		e.do("POST", "/crm/v3/objects/notes", map[string]any{"properties": props("hs_timestamp", "1767225600000"),
			"associations": []any{map[string]any{"to": map[string]any{"id": contact},
				"types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 201}}}}}).want(t, 400)
	})
}

func mustFloat(t *testing.T, id string) float64 {
	var f float64
	for _, c := range id {
		f = f*10 + float64(c-'0')
	}
	return f
}

func TestV4PutDeleteAndLabels(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	contact := e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "assoc@example.com")}).want(t, 201).str("id")
	company := e.seed.Companies[1]
	base := "/crm/v4/objects/contacts/" + contact + "/associations/"

	def := e.do("PUT", base+"default/companies/"+company, nil).want(t, 200)
	if def.str("status") != "COMPLETE" || def.get("results", 0, "associationSpec", "associationTypeId") != float64(279) {
		t.Fatalf("default: %s", def.raw)
	}
	lab := e.do("PUT", base+"companies/"+company, []any{
		map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1},
		map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279},
	}).want(t, http.StatusCreated)
	if lab.str("labels", 0) != "Primary" || lab.str("fromObjectTypeId") != "0-1" || lab.str("toObjectTypeId") != "0-2" {
		t.Fatalf("labelled: %s", lab.raw)
	}
	list := e.do("GET", base+"companies", nil).want(t, 200)
	types := list.list("results", 0, "associationTypes")
	if len(types) != 2 || types[0].(map[string]any)["label"] != "Primary" || types[1].(map[string]any)["label"] != nil {
		t.Fatalf("list: %s", list.raw)
	}
	back := e.do("GET", "/crm/v4/objects/companies/"+company+"/associations/contacts", nil).want(t, 200)
	found := false
	for _, r := range back.list("results") {
		m := r.(map[string]any)
		if m["toObjectId"] == mustFloat(t, contact) {
			found = true
		}
	}
	if !found {
		t.Fatal("reverse association missing")
	}
	e.do("PUT", base+"companies/"+company, []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 4}}).want(t, 400)

	v3 := e.do("GET", "/crm/v3/objects/contacts/"+contact+"?associations=companies", nil).want(t, 200)
	if n := len(v3.list("associations", "companies", "results")); n != 2 || v3.str("associations", "companies", "results", 0, "type") == "" {
		t.Fatalf("v3 associations: %s", v3.raw)
	}

	batch := e.do("POST", "/crm/v4/associations/contacts/companies/batch/read", map[string]any{"inputs": []any{
		map[string]any{"id": contact}, map[string]any{"id": "987654"}}}).want(t, http.StatusMultiStatus)
	if batch.str("results", 0, "from", "id") != contact || batch.get("numErrors") != float64(1) {
		t.Fatalf("batch read: %s", batch.raw)
	}

	e.do("DELETE", base+"companies/"+company, nil).want(t, http.StatusNoContent)
	if n := len(e.do("GET", base+"companies", nil).want(t, 200).list("results")); n != 0 {
		t.Fatalf("%d associations left after delete", n)
	}
	labels := e.do("GET", "/crm/v4/associations/contacts/companies/labels", nil).want(t, 200)
	if ids := typeIDs(labels, "results"); len(ids) != 2 {
		t.Fatalf("labels %v", ids)
	}
}

func TestProperties(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	all := e.do("GET", "/crm/v3/properties/contacts", nil).want(t, 200)
	seen := map[string]map[string]bool{}
	for _, p := range all.list("results") {
		m := p.(map[string]any)
		for _, k := range []string{"name", "label", "type", "fieldType", "description", "groupName", "options"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("property %v lacks required %s", m["name"], k)
			}
		}
		typ, field := m["type"].(string), m["fieldType"].(string)
		if seen[typ] == nil {
			seen[typ] = map[string]bool{}
		}
		seen[typ][field] = true
	}
	pairings := map[string][]string{
		"bool": {"booleancheckbox", "calculation_equation"}, "enumeration": {"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"},
		"date": {"date"}, "datetime": {"date"}, "string": {"text", "textarea", "file", "html", "phonenumber", "calculation_equation"},
		"number": {"number", "calculation_equation"}, "phone_number": {"phonenumber"},
	}
	for typ, fields := range pairings {
		for _, f := range fields {
			if !seen[typ][f] {
				t.Errorf("no sample contact property with type %s and fieldType %s", typ, f)
			}
		}
	}
	if !seen["object_coordinates"]["text"] {
		t.Error("no property with an undocumented read type")
	}

	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
	}{
		{"get one", "GET", "/crm/v3/properties/0-2/domain", nil, 200},
		{"unknown", "GET", "/crm/v3/properties/contacts/nope", nil, 404},
		{"archived hidden by default", "GET", "/crm/v3/properties/contacts/old_segment", nil, 404},
		{"archived on request", "GET", "/crm/v3/properties/contacts/old_segment?archived=true", nil, 200},
		{"unknown object type", "GET", "/crm/v3/properties/widgets", nil, 400},
		{"create", "POST", "/crm/v3/properties/deals", map[string]any{"name": "region", "label": "Region", "type": "string",
			"fieldType": "text", "groupName": "dealinformation"}, 201},
		{"create duplicate", "POST", "/crm/v3/properties/deals", map[string]any{"name": "region", "label": "Region", "type": "string",
			"fieldType": "text", "groupName": "dealinformation"}, 409},
		{"invalid pairing", "POST", "/crm/v3/properties/deals", map[string]any{"name": "bad", "label": "Bad", "type": "number",
			"fieldType": "select", "groupName": "dealinformation"}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do(tt.method, tt.path, tt.body).want(t, tt.status)
		})
	}
	archived := e.do("GET", "/crm/v3/properties/contacts?archived=true", nil).want(t, 200)
	if n := len(archived.list("results")); n != 1 || archived.str("results", 0, "name") != "old_segment" {
		t.Fatalf("archived=true: %s", archived.raw)
	}
	// A created property is immediately writable.
	e.do("POST", "/crm/v3/objects/deals", map[string]any{"properties": props("dealname", "x", "region", "EMEA")}).want(t, 201)
}

// The v4 batch writes: default and labelled associations are made for every input, and a
// batch with one bad input is refused whole, leaving nothing half applied.
func TestV4BatchAssociationWrites(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	c1 := e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "b1@example.com")}).want(t, 201).str("id")
	c2 := e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "b2@example.com")}).want(t, 201).str("id")
	company := e.seed.Companies[0]
	count := func(contact string) int {
		return len(e.do("GET", "/crm/v4/objects/contacts/"+contact+"/associations/companies", nil).want(t, 200).list("results"))
	}
	pair := func(from, to string, typeIDs ...int) map[string]any {
		in := map[string]any{"from": map[string]any{"id": from}, "to": map[string]any{"id": to}}
		var types []any
		for _, id := range typeIDs {
			types = append(types, map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": id})
		}
		if types != nil {
			in["types"] = types
		}
		return in
	}
	const batch = "/crm/v4/associations/contacts/companies/batch/"

	// One missing company, then one invalid type: refused, and the good first input is not applied.
	e.do("POST", batch+"associate/default", map[string]any{"inputs": []any{pair(c1, company), pair(c2, "987654")}}).want(t, 404)
	e.do("POST", batch+"create", map[string]any{"inputs": []any{pair(c1, company, 1), pair(c2, company, 4)}}).want(t, 400)
	if n, m := count(c1), count(c2); n != 0 || m != 0 {
		t.Fatalf("refused batches left %d and %d associations behind", n, m)
	}

	def := e.do("POST", batch+"associate/default", map[string]any{"inputs": []any{pair(c1, company), pair(c2, company)}}).want(t, 200)
	if n := len(def.list("results")); n != 4 { // both directions of each pair
		t.Fatalf("associate/default: %d results, want 4: %s", n, def.raw)
	}
	lab := e.do("POST", batch+"create", map[string]any{"inputs": []any{pair(c1, company, 1)}}).want(t, http.StatusCreated)
	if lab.str("results", 0, "labels", 0) != "Primary" {
		t.Fatalf("create: %s", lab.raw)
	}
	if n, m := count(c1), count(c2); n != 1 || m != 1 {
		t.Fatalf("after the batches: %d and %d associated companies, want 1 and 1", n, m)
	}
	e.do("POST", "/crm/v4/associations/deals/deals/batch/associate/default", map[string]any{"inputs": []any{}}).want(t, 400)
}

// TestV4LabelledWritesAddToThePair: a labelled PUT or batch create adds its types to the
// pair's existing ones, as HubSpot does; it never drops the unlabelled association or
// another label.
func TestV4LabelledWritesAddToThePair(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	spec := func(typeID int) map[string]any {
		return map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": typeID}
	}
	tests := []struct {
		name  string
		write func(contact, company string) response // the labelled write under test
	}{
		{"labelled PUT", func(contact, company string) response {
			return e.do("PUT", "/crm/v4/objects/contacts/"+contact+"/associations/companies/"+company,
				[]any{spec(1)}).want(t, http.StatusCreated)
		}},
		{"batch create", func(contact, company string) response {
			res := e.do("POST", "/crm/v4/associations/contacts/companies/batch/create", map[string]any{"inputs": []any{
				map[string]any{"from": map[string]any{"id": contact}, "to": map[string]any{"id": company}, "types": []any{spec(1)}},
			}}).want(t, http.StatusCreated)
			return response{raw: res.raw, body: res.get("results", 0).(map[string]any)}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contact := e.do("POST", "/crm/v3/objects/contacts", map[string]any{
				"properties": props("email", fmt.Sprintf("adds%d@example.com", i))}).want(t, 201).str("id")
			company := e.seed.Companies[i]
			base := "/crm/v4/objects/contacts/" + contact + "/associations/"
			e.do("PUT", base+"default/companies/"+company, nil).want(t, 200) // unlabelled, 279

			res := tt.write(contact, company)
			if got := res.get("labels"); !reflect.DeepEqual(got, []any{"Primary"}) {
				t.Fatalf("labels %v, want [Primary]: %s", got, res.raw)
			}
			list := e.do("GET", base+"companies", nil).want(t, 200)
			if got, want := typeIDs(list, "results", 0, "associationTypes"), []float64{1, 279}; !slices.Equal(got, want) {
				t.Fatalf("type ids %v after the labelled write, want %v (added, not replaced): %s", got, want, list.raw)
			}
		})
	}
}
