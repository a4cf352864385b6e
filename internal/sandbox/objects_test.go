package sandbox_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/sandbox"
)

func TestCreateGetUpdateArchiveContact(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	created := e.do("POST", "/crm/v3/objects/contacts", map[string]any{
		"properties":   props("email", "Mixed.Case@Example.COM", "firstname", "Mia", "renewal_date", "1767225600000"),
		"associations": []any{},
	}).want(t, http.StatusCreated)
	id := created.str("id")
	if !regexp.MustCompile(`^\d+$`).MatchString(id) {
		t.Fatalf("id %q is not a numeric string", id)
	}
	for key, want := range map[string]string{
		"email": "mixed.case@example.com", "hs_object_id": id, "renewal_date": "2026-01-01",
	} {
		if got := created.str("properties", key); got != want {
			t.Errorf("properties.%s = %q, want %q", key, got, want)
		}
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(created.str("createdAt")) {
		t.Errorf("createdAt %q is not ISO with millis", created.str("createdAt"))
	}

	got := e.do("GET", "/crm/v3/objects/contacts/MIXED.case@example.com?idProperty=email&properties=firstname,phone", nil).want(t, 200)
	if got.str("id") != id || got.str("properties", "firstname") != "Mia" {
		t.Fatalf("get by email: %s", got.raw)
	}
	if v, present := got.get("properties").(map[string]any)["phone"]; !present || v != nil {
		t.Errorf("requested property without value should be null, got %v (present %v)", v, present)
	}

	e.clock.Advance(1500 * time.Millisecond)
	upd := e.do("PATCH", "/crm/v3/objects/contacts/mixed.case@example.com?idProperty=email",
		map[string]any{"properties": props("lastname", "Maier", "firstname", "")}).want(t, 200)
	if upd.str("properties", "lastname") != "Maier" || upd.get("properties", "firstname") != nil {
		t.Fatalf("update: %s", upd.raw)
	}
	if upd.str("properties", "lastmodifieddate") == created.str("properties", "lastmodifieddate") {
		t.Error("lastmodifieddate not maintained")
	}

	e.do("DELETE", "/crm/v3/objects/contacts/"+id, nil).want(t, http.StatusNoContent)
	e.do("GET", "/crm/v3/objects/contacts/"+id, nil).want(t, http.StatusNotFound)
	// The email is free again once the contact is archived.
	e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "mixed.case@example.com")}).want(t, 201)
}

func TestDuplicateEmailIsConflict(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	first := e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "dup@example.com")}).want(t, 201)
	res := e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "DUP@example.com")}).want(t, http.StatusConflict)
	if want := "Contact already exists. Existing ID: " + first.str("id"); res.str("message") != want || res.str("category") != "CONFLICT" {
		t.Fatalf("got %s, want message %q", res.raw, want)
	}
}

func TestPropertyValidationErrors(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	tests := []struct {
		name, object, property, value, code string
	}{
		{"unknown property", "contacts", "shoe_size", "42", "PROPERTY_DOESNT_EXIST"},
		{"archived property", "contacts", "old_segment", "x", "PROPERTY_DOESNT_EXIST"},
		{"read-only system property", "contacts", "hs_object_id", "7", "READ_ONLY_VALUE"},
		{"calculated property", "contacts", "score_calc", "7", "READ_ONLY_VALUE"},
		{"option not allowed", "contacts", "account_tier", "gold", "INVALID_OPTION"},
		{"one multi-select option not allowed", "contacts", "product_interests", "widgets;rockets", "INVALID_OPTION"},
		{"number", "contacts", "lifetime_value", "lots", "INVALID_LONG"},
		{"bool", "contacts", "newsletter_opt_in", "maybe", "INVALID_BOOLEAN"},
		{"date not at midnight UTC", "contacts", "renewal_date", "2026-01-01T09:30:00Z", "INVALID_DATE"},
		{"date garbage", "contacts", "renewal_date", "next tuesday", "INVALID_DATE"},
		{"datetime garbage", "contacts", "last_demo_at", "yesterday", "INVALID_DATETIME"},
		{"email", "contacts", "email", "not-an-email", "INVALID_EMAIL"},
		{"deal stage", "deals", "dealstage", "won", "INVALID_OPTION"},
		{"owner id", "contacts", "hubspot_owner_id", "alice", "INVALID_OWNER_ID"},
		{"id of no owner of the account", "contacts", "hubspot_owner_id", "12345", "INVALID_OWNER_ID"},
		{"archived owner (Grace Kim)", "deals", "hubspot_owner_id", "41629783", "INVALID_OWNER_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do("POST", "/crm/v3/objects/"+tt.object, map[string]any{"properties": props(tt.property, tt.value)}).want(t, 400)
			if res.str("category") != "VALIDATION_ERROR" || res.str("errors", 0, "code") != tt.code {
				t.Fatalf("got %s, want code %s", res.raw, tt.code)
			}
			if got := res.list("errors", 0, "context", "propertyName"); len(got) != 1 || got[0] != tt.property {
				t.Errorf("errors[0].context.propertyName = %v", got)
			}
			// HubSpot embeds the same errors as a JSON array inside the message.
			if !strings.HasPrefix(res.str("message"), "Property values were not valid: [{") ||
				!strings.Contains(res.str("message"), `\"error\":\"`+tt.code+`\"`) && !strings.Contains(res.str("message"), `"error":"`+tt.code+`"`) {
				t.Errorf("message does not embed the error array: %s", res.str("message"))
			}
		})
	}
}

func TestAcceptedValueFormats(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	tests := []struct {
		name, property, in, stored string
	}{
		{"datetime as epoch millis", "last_demo_at", "1767225600123", "2026-01-01T00:00:00.123Z"},
		{"datetime as ISO with offset", "last_demo_at", "2026-01-01T02:00:00+02:00", "2026-01-01T00:00:00.000Z"},
		{"date as ISO midnight", "renewal_date", "2026-02-01T00:00:00.000Z", "2026-02-01"},
		{"bool case-insensitive", "newsletter_opt_in", "TRUE", "true"},
		{"hidden option still valid", "account_tier", "legacy", "legacy"},
		{"multi-select", "product_interests", "widgets;support", "widgets;support"},
		{"decimal number", "lifetime_value", "1234.50", "1234.50"},
		{"active owner (Maya Patel)", "hubspot_owner_id", "41629779", "41629779"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props(tt.property, tt.in)}).want(t, 201)
			if got := res.str("properties", tt.property); got != tt.stored {
				t.Fatalf("stored %q, want %q", got, tt.stored)
			}
		})
	}
}

func TestNumbersAndBooleansAreStoredAsStrings(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	res := e.do("POST", "/crm/v3/objects/deals", map[string]any{"properties": map[string]any{
		"dealname": "Typed", "amount": 1500.5, "discount_percent": 10}}).want(t, 201)
	if res.get("properties", "amount") != "1500.5" || res.get("properties", "discount_percent") != "10" {
		t.Fatalf("values not strings: %s", res.raw)
	}
}

func TestListPagingAndLimits(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	first := e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200)
	if n := len(first.list("results")); n != 10 {
		t.Fatalf("default limit: got %d results, want 10", n)
	}
	after := first.str("paging", "next", "after")
	second := e.do("GET", "/crm/v3/objects/contacts?limit=100&after="+after, nil).want(t, 200)
	if n := len(second.list("results")); n != 10 {
		t.Fatalf("second page: %d results, want the remaining 10", n)
	}
	if second.get("paging") != nil {
		t.Error("the last page must have no paging key")
	}
	big := e.do("GET", "/crm/v3/objects/contacts?limit=500", nil).want(t, 200)
	if n := len(big.list("results")); n != 20 {
		t.Fatalf("limit above 100 is capped: %d results", n)
	}
}

func TestObjectTypeIDsAndDefaultProperties(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	tests := []struct {
		path string
		want []string
	}{
		{"/crm/v3/objects/0-1", []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}},
		{"/crm/v3/objects/0-2", []string{"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"}},
		{"/crm/v3/objects/0-3", []string{"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := e.do("GET", tt.path+"?limit=1", nil).want(t, 200)
			got := res.get("results", 0, "properties").(map[string]any)
			if len(got) != len(tt.want) {
				t.Fatalf("default properties %v, want %v", got, tt.want)
			}
			for _, k := range tt.want {
				if _, ok := got[k]; !ok {
					t.Errorf("missing default property %s", k)
				}
			}
		})
	}
}

// TestMissingRequiredPropertiesInHubSpotsShape: a create that leaves required properties
// unset gets HubSpot's 400, which names them in context.properties (not errors[]); an
// invalid value is reported first, in the property-error shape.
func TestMissingRequiredPropertiesInHubSpotsShape(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	type body struct {
		Status   string              `json:"status"`
		Message  string              `json:"message"`
		Category string              `json:"category"`
		Context  map[string][]string `json:"context"`
	}
	tests := []struct {
		name   string
		path   string
		body   map[string]any
		want   body
		errors int // len(errors[])
	}{
		{"a note without hs_timestamp", "/crm/v3/objects/notes", map[string]any{"properties": props("hs_note_body", "hi")},
			body{Status: "error", Message: "Error creating NOTE. Some required properties were not set.", Category: "VALIDATION_ERROR",
				Context: map[string][]string{"properties": {"hs_timestamp"}}}, 0},
		{"a communication missing two", "/crm/v3/objects/communications", map[string]any{"properties": props("hs_timestamp", "2026-01-01T00:00:00Z")},
			body{Status: "error", Message: "Error creating COMMUNICATION. Some required properties were not set.", Category: "VALIDATION_ERROR",
				Context: map[string][]string{"properties": {"hs_communication_channel_type", "hs_communication_logged_from"}}}, 0},
		{"an invalid value comes first", "/crm/v3/objects/communications", map[string]any{"properties": props("hs_timestamp", "2026-01-01T00:00:00Z",
			"hs_communication_channel_type", "SMS", "hs_communication_logged_from", "APP")},
			body{Status: "error", Category: "VALIDATION_ERROR"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do("POST", tt.path, tt.body).want(t, 400)
			var got body
			if err := json.Unmarshal(res.raw, &got); err != nil {
				t.Fatal(err)
			}
			if tt.errors > 0 {
				got.Message = "" // the property-error message embeds a JSON array; its shape has its own tests
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || len(res.list("errors")) != tt.errors {
				t.Fatalf("body (-want +got):\n%s\nerrors[]: %d, want %d; raw %s", diff, len(res.list("errors")), tt.errors, res.raw)
			}
		})
	}
	t.Run("a batch create item with traces names them too (207)", func(t *testing.T) {
		res := e.do("POST", "/crm/v3/objects/notes/batch/create", map[string]any{"inputs": []any{
			map[string]any{"objectWriteTraceId": "a", "properties": props("hs_timestamp", "2026-01-01T00:00:00Z"), "associations": []any{}},
			map[string]any{"objectWriteTraceId": "b", "properties": props("hs_note_body", "no time"), "associations": []any{}},
		}}).want(t, http.StatusMultiStatus)
		if res.str("errors", 0, "context", "properties", 0) != "hs_timestamp" || res.str("errors", 0, "context", "objectWriteTraceId", 0) != "b" {
			t.Fatalf("got %s", res.raw)
		}
	})
}

// Every write path checks owner ids against the account's owners: update, batch create and
// batch upsert refuse an archived owner as create does.
func TestOwnerCheckedOnEveryWrite(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	id := e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "owned@example.com")}).want(t, 201).str("id")
	const archived = "41629783"
	tests := []struct {
		name, method, path string
		body               any
	}{
		{"update", "PATCH", "/crm/v3/objects/contacts/" + id, map[string]any{"properties": props("hubspot_owner_id", archived)}},
		{"batch create", "POST", "/crm/v3/objects/contacts/batch/create",
			map[string]any{"inputs": []any{map[string]any{"properties": props("email", "new@example.com", "hubspot_owner_id", archived)}}}},
		{"batch update", "POST", "/crm/v3/objects/contacts/batch/update",
			map[string]any{"inputs": []any{map[string]any{"id": id, "properties": props("hubspot_owner_id", archived)}}}},
		{"batch upsert", "POST", "/crm/v3/objects/contacts/batch/upsert",
			map[string]any{"inputs": []any{map[string]any{"id": "owned@example.com", "idProperty": "email", "properties": props("hubspot_owner_id", archived)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(tt.method, tt.path, tt.body).want(t, 400)
			if res.str("category") != "VALIDATION_ERROR" || !strings.Contains(string(res.raw), "INVALID_OWNER_ID") {
				t.Fatalf("got %s, want a VALIDATION_ERROR with INVALID_OWNER_ID", res.raw)
			}
		})
	}
}
