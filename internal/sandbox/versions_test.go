package sandbox_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/sandbox"
)

// apiFamily writes the path of each call in one of HubSpot's API families.
type apiFamily struct {
	name    string
	objects string // "/crm/v3/objects" or "/crm/objects/2026-03"
	props   string // properties API root
	assocs  string // associations batch and labels root
	records string // a record's default association: "/crm/v4/objects" or the 2026-03 objects root
	account string // account-info details
}

var (
	legacyFamily = apiFamily{name: "v3", objects: "/crm/v3/objects", props: "/crm/v3/properties",
		assocs: "/crm/v4/associations", records: "/crm/v4/objects", account: "/account-info/v3/details"}
	datedFamily = apiFamily{name: "2026-03", objects: "/crm/objects/2026-03", props: "/crm/properties/2026-03",
		assocs: "/crm/associations/2026-03", records: "/crm/objects/2026-03", account: "/account-info/2026-03/details"}
)

// familyCall is one request of a scenario, written once for both families.
type familyCall struct {
	name   string
	method string
	path   func(f apiFamily) string
	body   any
	status int
}

// TestBothAPIFamiliesBehaveAlike plays the same scenario, reads and writes, against two
// identical sandboxes, one through the legacy paths and one through the 2026-03 paths: each
// answer (status, rate-limit headers and body, byte for byte) is the same, because both
// paths lead to one handler.
func TestBothAPIFamiliesBehaveAlike(t *testing.T) {
	t.Parallel()
	legacy, dated := newEnv(t, sandbox.Options{Seed: 3}), newEnv(t, sandbox.Options{Seed: 3})
	if legacy.seed.Contacts[0] != dated.seed.Contacts[0] {
		t.Fatal("two sandboxes of one seed were seeded differently: the comparison below would be meaningless")
	}
	contact, company := legacy.seed.Contacts[0], legacy.seed.Companies[0]
	inputs := func(in ...any) map[string]any { return map[string]any{"inputs": in} }
	pair := func(from, to string) map[string]any {
		return map[string]any{"from": map[string]any{"id": from}, "to": map[string]any{"id": to}}
	}
	calls := []familyCall{
		{"account details", "GET", func(f apiFamily) string { return f.account }, nil, 200},
		{"list properties", "GET", func(f apiFamily) string { return f.props + "/contacts" }, nil, 200},
		{"get property", "GET", func(f apiFamily) string { return f.props + "/contacts/email" }, nil, 200},
		{"create property", "POST", func(f apiFamily) string { return f.props + "/deals" },
			map[string]any{"name": "region", "label": "Region", "type": "string", "fieldType": "text", "groupName": "dealinformation"}, 201},
		{"create", "POST", func(f apiFamily) string { return f.objects + "/contacts" },
			map[string]any{"properties": props("email", "new@example.com", "firstname", "New")}, 201},
		{"create refused", "POST", func(f apiFamily) string { return f.objects + "/contacts" },
			map[string]any{"properties": props("email", "new@example.com")}, 409},
		{"get by email", "GET", func(f apiFamily) string {
			return f.objects + "/contacts/new@example.com?idProperty=email&properties=firstname"
		}, nil, 200},
		{"get by id", "GET", func(f apiFamily) string { return f.objects + "/contacts/" + contact }, nil, 200},
		{"update", "PATCH", func(f apiFamily) string { return f.objects + "/contacts/" + contact },
			map[string]any{"properties": props("firstname", "Changed")}, 200},
		{"batch create", "POST", func(f apiFamily) string { return f.objects + "/contacts/batch/create" },
			inputs(map[string]any{"properties": props("email", "b1@example.com")}, map[string]any{"properties": props("email", "b2@example.com")}), 201},
		{"batch read", "POST", func(f apiFamily) string { return f.objects + "/contacts/batch/read" },
			map[string]any{"inputs": []any{map[string]any{"id": contact}}, "properties": []string{"firstname"}}, 200},
		{"batch update", "POST", func(f apiFamily) string { return f.objects + "/contacts/batch/update" },
			inputs(map[string]any{"id": contact, "properties": props("lastname", "Batch")}), 200},
		{"batch upsert", "POST", func(f apiFamily) string { return f.objects + "/contacts/batch/upsert" },
			inputs(map[string]any{"id": "b3@example.com", "idProperty": "email", "properties": props("firstname", "Up")}), 200},
		{"search", "POST", func(f apiFamily) string { return f.objects + "/contacts/search" },
			map[string]any{"filterGroups": []any{map[string]any{"filters": []any{map[string]any{"propertyName": "firstname", "operator": "EQ", "value": "Changed"}}}},
				"properties": []string{"firstname", "lastname"}}, 200},
		{"default association", "PUT", func(f apiFamily) string {
			return f.records + "/contacts/" + contact + "/associations/default/companies/" + company
		}, nil, 200},
		{"batch read associations", "POST", func(f apiFamily) string { return f.assocs + "/contacts/companies/batch/read" },
			inputs(map[string]any{"id": contact}), 200},
		{"batch associate default", "POST", func(f apiFamily) string { return f.assocs + "/contacts/companies/batch/associate/default" },
			inputs(pair(contact, legacy.seed.Companies[1])), 200},
		{"batch archive associations", "POST", func(f apiFamily) string { return f.assocs + "/contacts/companies/batch/archive" },
			inputs(map[string]any{"from": map[string]any{"id": contact}, "to": []any{map[string]any{"id": legacy.seed.Companies[1]}}}), 204},
		{"association labels", "GET", func(f apiFamily) string { return f.assocs + "/contacts/companies/labels" }, nil, 200},
		{"archive", "DELETE", func(f apiFamily) string { return f.objects + "/contacts/" + contact }, nil, 204},
		{"batch archive", "POST", func(f apiFamily) string { return f.objects + "/contacts/batch/archive" },
			inputs(map[string]any{"id": legacy.seed.Contacts[1]}), 204},
		{"list", "GET", func(f apiFamily) string { return f.objects + "/contacts?limit=100&properties=email" }, nil, 200},
	}
	for _, c := range calls {
		// In order and not in parallel: each call sees the state the ones before it left.
		a := legacy.do(c.method, c.path(legacyFamily), c.body)
		b := dated.do(c.method, c.path(datedFamily), c.body)
		if a.status != c.status {
			t.Fatalf("%s over %s: status %d, want %d: %s", c.name, c.path(legacyFamily), a.status, c.status, a.raw)
		}
		if diff := cmp.Diff(answer(a), answer(b)); diff != "" {
			t.Errorf("%s: the 2026-03 answer differs from the v3 one (-v3 +2026-03):\n%s", c.name, diff)
		}
	}
}

// answered is what a client sees of a response, the rate-limit headers included.
type answered struct {
	Status  int
	Headers map[string]string
	Body    string
}

func answer(r response) answered {
	a := answered{Status: r.status, Body: string(r.raw), Headers: map[string]string{}}
	for k := range r.header {
		if strings.HasPrefix(k, "X-Hubspot-Ratelimit") {
			a.Headers[k] = r.header.Get(k)
		}
	}
	return a
}

// TestAPIFamilyRoutes: a call of each family is counted under its own path, and the calls
// HubSpot documents no 2026-03 form of (a record's associations, the labelled PUT, the
// DELETE of a pair) are served on associations v4 only.
func TestAPIFamilyRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	contact, company := e.seed.Contacts[0], e.seed.Companies[0]
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		wantCounted string
	}{
		{"v3 object", "GET", "/crm/v3/objects/contacts/" + contact, 200, "GET /crm/v3/objects/contacts/{objectId}"},
		{"2026-03 object", "GET", "/crm/objects/2026-03/contacts/" + contact, 200, "GET /crm/objects/2026-03/contacts/{objectId}"},
		{"2026-03 account", "GET", "/account-info/2026-03/details", 200, "GET /account-info/2026-03/details"},
		{"v4 record associations", "GET", "/crm/v4/objects/contacts/" + contact + "/associations/companies", 200,
			"GET /crm/v4/objects/contacts/{objectId}/associations/companies"},
		{"no 2026-03 record associations", "GET", "/crm/objects/2026-03/contacts/" + contact + "/associations/companies", 404, ""},
		{"no 2026-03 labelled put", "PUT", "/crm/objects/2026-03/contacts/" + contact + "/associations/companies/" + company, 404, ""},
		{"no 2026-03 pair delete", "DELETE", "/crm/objects/2026-03/contacts/" + contact + "/associations/companies/" + company, 404, ""},
		{"no other date version", "GET", "/crm/objects/2026-09/contacts/" + contact, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sb.ResetCounters()
			e.do(tt.method, tt.path, nil).want(t, tt.status)
			if tt.wantCounted == "" {
				return
			}
			got := e.sb.Counters().Requests
			if got[tt.wantCounted][tt.status] != 1 {
				t.Errorf("counters %v, want one %d under %q", got, tt.status, tt.wantCounted)
			}
		})
	}
}
