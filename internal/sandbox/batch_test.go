package sandbox_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"

	"github.com/connectflo/integrations/internal/sandbox"
)

func inputs(n int, mk func(i int) map[string]any) []any {
	out := make([]any, n)
	for i := range n {
		out[i] = mk(i)
	}
	return out
}

func TestBatchSizeLimit(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	for _, op := range []string{"read", "create", "update", "upsert", "archive"} {
		t.Run(op, func(t *testing.T) {
			body := map[string]any{"inputs": inputs(101, func(i int) map[string]any {
				return map[string]any{"id": fmt.Sprint(i), "properties": props("firstname", "x")}
			})}
			res := e.do("POST", "/crm/v3/objects/contacts/batch/"+op, body).want(t, http.StatusBadRequest)
			if res.str("category") != "VALIDATION_ERROR" {
				t.Fatalf("got %s", res.raw)
			}
		})
	}
	// 100 is fine.
	body := map[string]any{"inputs": inputs(100, func(i int) map[string]any {
		return map[string]any{"properties": props("email", fmt.Sprintf("b%d@example.com", i))}
	})}
	res := e.do("POST", "/crm/v3/objects/contacts/batch/create", body).want(t, http.StatusCreated)
	if n := len(res.list("results")); n != 100 {
		t.Fatalf("created %d", n)
	}
}

func TestBatchReadReportsMissingIDsAs207(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	ids := []string{e.seed.Contacts[0], "999999", e.seed.Contacts[1]}
	res := e.do("POST", "/crm/v3/objects/contacts/batch/read", map[string]any{
		"properties": []string{"email"},
		"inputs":     []any{map[string]any{"id": ids[0]}, map[string]any{"id": ids[1]}, map[string]any{"id": ids[2]}},
	}).want(t, http.StatusMultiStatus)
	if len(res.list("results")) != 2 || res.get("numErrors") != float64(1) {
		t.Fatalf("got %s", res.raw)
	}
	if res.str("errors", 0, "status") != "error" || res.str("errors", 0, "category") != "OBJECT_NOT_FOUND" ||
		res.str("errors", 0, "context", "ids", 0) != "999999" {
		t.Fatalf("error item: %v", res.get("errors", 0))
	}
	// All found: 200.
	e.do("POST", "/crm/v3/objects/contacts/batch/read", map[string]any{"inputs": []any{map[string]any{"id": ids[0]}}}).want(t, 200)
}

func TestBatchResultsAreShuffled(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 3})
	var in []any
	for _, id := range e.seed.Contacts {
		in = append(in, map[string]any{"id": id})
	}
	res := e.do("POST", "/crm/v3/objects/contacts/batch/read", map[string]any{"inputs": in}).want(t, 200)
	var got []string
	for _, r := range res.list("results") {
		got = append(got, r.(map[string]any)["id"].(string))
	}
	if slices.Equal(got, e.seed.Contacts) {
		t.Fatal("results came back in input order; callers must not be able to rely on it")
	}
	slices.Sort(got)
	want := slices.Clone(e.seed.Contacts)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("results %v, want the same ids as %v", got, want)
	}
}

func TestBatchCreateFailureModes(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	good := map[string]any{"properties": props("email", "good@example.com")}
	bad := map[string]any{"properties": props("account_tier", "gold")}
	t.Run("one invalid input rejects the whole batch", func(t *testing.T) {
		before := e.sb.RecordCount(e.acct.HubID, "contacts")
		e.do("POST", "/crm/v3/objects/contacts/batch/create", map[string]any{"inputs": []any{good, bad}}).want(t, 400)
		if e.sb.RecordCount(e.acct.HubID, "contacts") != before {
			t.Fatal("a rejected batch must write nothing")
		}
	})
	t.Run("with objectWriteTraceId on every input it is 207 partial", func(t *testing.T) {
		g, b := map[string]any{"objectWriteTraceId": "t1"}, map[string]any{"objectWriteTraceId": "t2"}
		for k, v := range good {
			g[k] = v
		}
		for k, v := range bad {
			b[k] = v
		}
		res := e.do("POST", "/crm/v3/objects/contacts/batch/create", map[string]any{"inputs": []any{g, b}}).want(t, http.StatusMultiStatus)
		if res.str("results", 0, "objectWriteTraceId") != "t1" || res.str("errors", 0, "context", "objectWriteTraceId", 0) != "t2" {
			t.Fatalf("got %s", res.raw)
		}
	})
	t.Run("existing email is 409", func(t *testing.T) {
		e.do("POST", "/crm/v3/objects/contacts/batch/create", map[string]any{"inputs": []any{good}}).want(t, http.StatusConflict)
	})
}

func TestBatchUpsert(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	existing, _ := e.sb.Record(e.acct.HubID, "contacts", e.seed.Contacts[0])
	res := e.do("POST", "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{
		map[string]any{"id": existing["email"], "idProperty": "email", "properties": props("firstname", "Updated")},
		map[string]any{"id": "Brand.New@Example.com", "idProperty": "email", "properties": props("firstname", "Created")},
	}}).want(t, 200)
	seen := map[string]bool{}
	for _, r := range res.list("results") {
		m := r.(map[string]any)
		p := m["properties"].(map[string]any)
		seen[p["firstname"].(string)] = m["new"].(bool)
		if p["firstname"] == "Created" && p["email"] != "brand.new@example.com" {
			t.Errorf("created record email %v, want the lower-cased id", p["email"])
		}
	}
	if seen["Updated"] != false || seen["Created"] != true || len(seen) != 2 {
		t.Fatalf("new flags %v; body %s", seen, res.raw)
	}

	tests := []struct {
		name    string
		path    string
		inputs  []any
		message string // HubSpot's message, when the test pins it
	}{
		{"non-unique property", "/crm/v3/objects/companies/batch/upsert",
			[]any{map[string]any{"id": "acme.example", "idProperty": "domain", "properties": props("name", "x")}},
			"Unable to perform update/upsert by non-unique 0-2 property domain"},
		{"hs_object_id is not a unique property for upsert", "/crm/v3/objects/contacts/batch/upsert",
			[]any{map[string]any{"id": e.seed.Contacts[0], "idProperty": "hs_object_id", "properties": props("firstname", "x")}},
			"Unable to perform update/upsert by non-unique 0-1 property hs_object_id"},
		{"no idProperty means hs_object_id", "/crm/v3/objects/deals/batch/upsert",
			[]any{map[string]any{"id": e.seed.Deals[0], "properties": props("dealname", "x")}},
			"Unable to perform update/upsert by non-unique 0-3 property hs_object_id"},
		{"duplicate ids differing in case", "/crm/v3/objects/contacts/batch/upsert", []any{
			map[string]any{"id": "a@example.com", "idProperty": "email", "properties": props()},
			map[string]any{"id": "A@example.com", "idProperty": "email", "properties": props()}}, ""},
		{"batch update by email", "/crm/v3/objects/contacts/batch/update",
			[]any{map[string]any{"id": existing["email"], "idProperty": "email", "properties": props("firstname", "x")}},
			"Unable to perform update/upsert by non-unique 0-1 property email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do("POST", tt.path, map[string]any{"inputs": tt.inputs}).want(t, 400)
			if tt.message != "" && (res.str("message") != tt.message || res.str("category") != "VALIDATION_ERROR") {
				t.Fatalf("body %s, want VALIDATION_ERROR %q", res.raw, tt.message)
			}
		})
	}

	t.Run("upsert by a custom unique property", func(t *testing.T) {
		res := e.do("POST", "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{
			map[string]any{"id": "ext-001", "idProperty": "external_id", "properties": props("lastname", "Viaext")},
			map[string]any{"id": "ext-new", "idProperty": "external_id", "properties": props("lastname", "Fresh")},
		}}).want(t, 200)
		for _, r := range res.list("results") {
			m := r.(map[string]any)
			isNew := m["properties"].(map[string]any)["lastname"] == "Fresh"
			if m["new"] != isNew {
				t.Errorf("result %v: new=%v", m["properties"], m["new"])
			}
		}
	})
}

func TestBatchUpdateAndArchive(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	res := e.do("POST", "/crm/v3/objects/deals/batch/update", map[string]any{"inputs": []any{
		map[string]any{"id": e.seed.Deals[0], "properties": props("dealstage", "closedwon")},
		map[string]any{"id": e.seed.Deals[1], "properties": props("dealstage", "closedlost")},
	}}).want(t, http.StatusOK)
	got := map[string]string{}
	for _, r := range res.list("results") {
		m := r.(map[string]any)
		got[m["id"].(string)] = m["properties"].(map[string]any)["dealstage"].(string)
	}
	if want := map[string]string{e.seed.Deals[0]: "closedwon", e.seed.Deals[1]: "closedlost"}; !maps.Equal(got, want) {
		t.Fatalf("stages %v, want %v; body %s", got, want, res.raw)
	}
	e.do("POST", "/crm/v3/objects/deals/batch/archive", map[string]any{"inputs": []any{
		map[string]any{"id": e.seed.Deals[0]}, map[string]any{"id": "424242"}}}).want(t, http.StatusNoContent)
	if _, ok := e.sb.Record(e.acct.HubID, "deals", e.seed.Deals[0]); ok {
		t.Fatal("deal not archived")
	}
}

// TestBatchUpdateAndUpsertFailWhole: HubSpot documents multi-status (207) only for batch
// create; batch update and upsert succeed or fail as a whole, objectWriteTraceIds or not,
// and a refused call writes nothing.
func TestBatchUpdateAndUpsertFailWhole(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	contact, _ := e.sb.Record(e.acct.HubID, "contacts", e.seed.Contacts[0])
	other, _ := e.sb.Record(e.acct.HubID, "contacts", e.seed.Contacts[1])
	traced := func(trace string, in map[string]any) map[string]any {
		in["objectWriteTraceId"] = trace
		return in
	}
	tests := []struct {
		name     string
		path     string
		inputs   []any
		status   int
		category string
	}{
		{"update with an invalid input, every input traced", "/crm/v3/objects/contacts/batch/update", []any{
			traced("t1", map[string]any{"id": e.seed.Contacts[0], "properties": props("firstname", "Changed")}),
			traced("t2", map[string]any{"id": e.seed.Contacts[1], "properties": props("account_tier", "gold")}),
		}, http.StatusBadRequest, "VALIDATION_ERROR"},
		{"update of an unknown id", "/crm/v3/objects/contacts/batch/update", []any{
			traced("t1", map[string]any{"id": e.seed.Contacts[0], "properties": props("firstname", "Changed")}),
			traced("t2", map[string]any{"id": "424242", "properties": props("firstname", "Changed")}),
		}, http.StatusNotFound, "OBJECT_NOT_FOUND"},
		{"update taking another contact's email", "/crm/v3/objects/contacts/batch/update", []any{
			traced("t1", map[string]any{"id": e.seed.Contacts[0], "properties": props("firstname", "Changed")}),
			traced("t2", map[string]any{"id": e.seed.Contacts[2], "properties": props("email", other["email"])}),
		}, http.StatusConflict, "CONFLICT"},
		{"two updates setting one new email", "/crm/v3/objects/contacts/batch/update", []any{
			traced("t1", map[string]any{"id": e.seed.Contacts[0], "properties": props("firstname", "Changed", "email", "same@example.com")}),
			traced("t2", map[string]any{"id": e.seed.Contacts[2], "properties": props("email", "same@example.com")}),
		}, http.StatusBadRequest, "VALIDATION_ERROR"},
		{"upsert by a unique property with an invalid input, every input traced", "/crm/v3/objects/contacts/batch/upsert", []any{
			traced("t1", map[string]any{"id": "ext-fresh", "idProperty": "external_id", "properties": props("firstname", "Changed")}),
			traced("t2", map[string]any{"id": "ext-bad", "idProperty": "external_id", "properties": props("account_tier", "gold")}),
		}, http.StatusBadRequest, "VALIDATION_ERROR"},
		{"upsert by email with an invalid input, every input traced", "/crm/v3/objects/contacts/batch/upsert", []any{
			traced("t1", map[string]any{"id": contact["email"], "idProperty": "email", "properties": props("firstname", "Changed")}),
			traced("t2", map[string]any{"id": "fresh@example.com", "idProperty": "email", "properties": props("account_tier", "gold")}),
		}, http.StatusBadRequest, "VALIDATION_ERROR"},
		{"upsert creating a contact with a taken email", "/crm/v3/objects/contacts/batch/upsert", []any{
			traced("t1", map[string]any{"id": contact["email"], "idProperty": "email", "properties": props("firstname", "Changed")}),
			traced("t2", map[string]any{"id": "ext-new", "idProperty": "external_id", "properties": props("email", other["email"])}),
		}, http.StatusConflict, "CONFLICT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.sb.RecordCount(e.acct.HubID, "contacts")
			res := e.do("POST", tt.path, map[string]any{"inputs": tt.inputs}).want(t, tt.status)
			if res.str("category") != tt.category || res.get("results") != nil {
				t.Fatalf("body %s, want a %s error body without results", res.raw, tt.category)
			}
			after, _ := e.sb.Record(e.acct.HubID, "contacts", e.seed.Contacts[0])
			if after["firstname"] != contact["firstname"] || e.sb.RecordCount(e.acct.HubID, "contacts") != before {
				t.Fatalf("a refused batch wrote: firstname %q (was %q), %d contacts (was %d)",
					after["firstname"], contact["firstname"], e.sb.RecordCount(e.acct.HubID, "contacts"), before)
			}
		})
	}
}
