package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// connect makes a connection of acme with the test's all-scopes token.
func (ts *testServer) connect(t *testing.T, id string) *integrationsv1.Connection {
	t.Helper()
	conn, err := ts.client(t, ts.keys["acme"]).Connect(context.Background(), &integrationsv1.ConnectRequest{
		Parent: "workspaces/acme", DisplayName: "HubSpot " + id, ConnectionId: id, AccessToken: ts.token})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func fieldsByName(s *integrationsv1.ObjectSchema) map[string]*integrationsv1.Field {
	out := map[string]*integrationsv1.Field{}
	for _, f := range s.GetFields() {
		out[f.GetName()] = f
	}
	return out
}

func TestDiscoverFieldsTypesEveryPairing(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	conn := ts.connect(t, "prod")
	if conn.GetFieldsDiscoveredAt() == nil {
		t.Fatal("Connect returned before discovering fields")
	}
	resp, err := ts.client(t, ts.keys["acme"]).DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetSchemas()) != 3 || resp.GetSchemas()[0].GetObjectType() != "contacts" || resp.GetSchemas()[2].GetObjectType() != "deals" {
		t.Fatalf("schemas = %d, want contacts, companies, deals", len(resp.GetSchemas()))
	}
	contacts := fieldsByName(resp.GetSchemas()[0])
	K := integrationsv1.FieldKind_name
	cases := []struct {
		field, kind               string
		readOnly, calculated, cus bool
	}{
		{"email", "FIELD_KIND_STRING", false, false, false},
		{"phone", "FIELD_KIND_PHONE", false, false, false},
		{"lifecyclestage", "FIELD_KIND_SINGLE_CHOICE", false, false, false},
		{"createdate", "FIELD_KIND_DATETIME", true, false, false},
		{"hs_object_id", "FIELD_KIND_NUMBER", true, false, false},
		{"hubspotscore", "FIELD_KIND_NUMBER", true, true, false},
		{"hs_notes_last_activity", "FIELD_KIND_STRING", true, false, false}, // object_coordinates: unknown type
		{"account_tier", "FIELD_KIND_SINGLE_CHOICE", false, false, true},
		{"product_interests", "FIELD_KIND_MULTIPLE_CHOICE", false, false, true},
		{"preferred_channel", "FIELD_KIND_SINGLE_CHOICE", false, false, true},
		{"consent_given", "FIELD_KIND_SINGLE_CHOICE", false, false, true},
		{"engagement_band", "FIELD_KIND_SINGLE_CHOICE", true, true, true},
		{"newsletter_opt_in", "FIELD_KIND_BOOL", false, false, true},
		{"is_high_value", "FIELD_KIND_BOOL", true, true, true},
		{"renewal_date", "FIELD_KIND_DATE", false, false, true},
		{"last_demo_at", "FIELD_KIND_DATETIME", false, false, true},
		{"support_notes", "FIELD_KIND_TEXT", false, false, true},
		{"contract_file", "FIELD_KIND_FILE", false, false, true},
		{"bio_html", "FIELD_KIND_HTML", false, false, true},
		{"assistant_phone", "FIELD_KIND_PHONE", false, false, true},
		{"full_name_calc", "FIELD_KIND_STRING", true, true, true},
		{"lifetime_value", "FIELD_KIND_NUMBER", false, false, true},
		{"score_calc", "FIELD_KIND_NUMBER", true, true, true},
		{"total_revenue_rollup", "FIELD_KIND_NUMBER", true, true, true},
		{"whatsapp_number", "FIELD_KIND_PHONE", false, false, true},
	}
	for _, tc := range cases {
		f := contacts[tc.field]
		if f == nil {
			t.Errorf("%s was not discovered", tc.field)
			continue
		}
		if K[int32(f.GetKind())] != tc.kind || f.GetReadOnly() != tc.readOnly || f.GetCalculated() != tc.calculated || f.GetCustom() != tc.cus {
			t.Errorf("%s (%s/%s) = kind %v read-only %v calculated %v custom %v; want %s %v %v %v", tc.field, f.GetHubspotType(), f.GetHubspotFieldType(),
				f.GetKind(), f.GetReadOnly(), f.GetCalculated(), f.GetCustom(), tc.kind, tc.readOnly, tc.calculated, tc.cus)
		}
	}
	if contacts["hs_notes_last_activity"].GetHubspotType() != "object_coordinates" {
		t.Error("an unknown type must keep HubSpot's raw type")
	}
	if contacts["old_segment"] != nil {
		t.Error("an archived property was discovered")
	}
	tier := contacts["account_tier"]
	var opts []string
	for _, o := range tier.GetOptions() {
		opts = append(opts, fmt.Sprintf("%s/%s/%v", o.GetValue(), o.GetLabel(), o.GetHidden()))
	}
	if fmt.Sprint(opts) != "[free/Free/false pro/Pro/false enterprise/Enterprise/false legacy/Legacy/true]" {
		t.Errorf("account_tier options = %v", opts)
	}
	if !contacts["external_id"].GetUnique() {
		t.Error("external_id has a unique value in HubSpot")
	}
	deals := fieldsByName(resp.GetSchemas()[2])
	var stages []string
	for _, o := range deals["dealstage"].GetOptions() {
		stages = append(stages, o.GetLabel())
	}
	if len(stages) < 7 || stages[0] != "Appointment Scheduled" || deals["amount"].GetKind() != integrationsv1.FieldKind_FIELD_KIND_NUMBER {
		t.Errorf("deal stages in display order = %v", stages)
	}
	// REST: the GET binding reads the cache, with a filter.
	r := ts.do(t, "GET", "/v1/"+conn.GetName()+"/fields?objectTypes=deals", ts.keys["acme"], "")
	schemas, _ := r.body["schemas"].([]any)
	if r.code != 200 || len(schemas) != 1 || schemas[0].(map[string]any)["objectType"] != "deals" {
		t.Errorf("REST GET fields = %d %.300s", r.code, r.raw)
	}
	r = ts.do(t, "GET", "/v1/"+conn.GetName()+"/fields?objectTypes=tickets", ts.keys["acme"], "")
	if r.code != 400 || reasonOf(r.body) != "INVALID_ARGUMENT" {
		t.Errorf("unknown object type = %d %s", r.code, r.raw)
	}
}

func TestDiscoverFieldsRefreshAndPartialFailure(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	conn := ts.connect(t, "prod")
	if _, err := ts.sb.CreateProperty(ts.acct.HubID, "deals", sandbox.Property{Name: "vip_route", Label: "VIP Route", Type: "enumeration", FieldType: "select",
		GroupName: "dealinformation", Options: []sandbox.Option{{Label: "Senior team", Value: "senior"}}}); err != nil {
		t.Fatal(err)
	}
	cached, _ := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName(), ObjectTypes: []string{"deals"}})
	if fieldsByName(cached.GetSchemas()[0])["vip_route"] != nil {
		t.Fatal("a cached read called HubSpot")
	}
	fresh, err := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName(), ObjectTypes: []string{"0-3"}, Refresh: true})
	if err != nil || fieldsByName(fresh.GetSchemas()[0])["vip_route"] == nil {
		t.Fatalf("refresh did not pick up the new property: %v", err)
	}
	if fresh.GetSchemas()[0].GetSchemaVersion() <= cached.GetSchemas()[0].GetSchemaVersion() {
		t.Errorf("schema version did not increase: %d → %d", cached.GetSchemas()[0].GetSchemaVersion(), fresh.GetSchemas()[0].GetSchemaVersion())
	}

	// The customer removes the deal scopes from the private app in HubSpot.
	if err := ts.sb.SetTokenScopes(ts.token, sandbox.ScopesWithout("deals")); err != nil {
		t.Fatal(err)
	}
	partial, err := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName(), Refresh: true})
	if err != nil {
		t.Fatalf("one object type failing must not fail the call: %v", err)
	}
	for _, s := range partial.GetSchemas() {
		switch s.GetObjectType() {
		case "deals":
			e := s.GetError()
			if e == nil || codes.Code(e.GetCode()) != codes.FailedPrecondition || len(s.GetFields()) == 0 {
				t.Errorf("deals: error %v with %d fields; want FAILED_PRECONDITION keeping the last good fields", e, len(s.GetFields()))
			}
			if e != nil && !containsAll(fmt.Sprint(e.GetDetails()), "HUBSPOT_MISSING_SCOPES", "crm.schemas.deals.read") {
				t.Errorf("deals error details = %v; want HUBSPOT_MISSING_SCOPES naming the scope", e.GetDetails())
			}
		default:
			if s.GetError() != nil || len(s.GetFields()) == 0 || s.GetSchemaVersion() <= fresh.GetSchemas()[0].GetSchemaVersion() {
				t.Errorf("%s: error %v, %d fields, version %d; want freshly discovered", s.GetObjectType(), s.GetError(), len(s.GetFields()), s.GetSchemaVersion())
			}
		}
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !contains(s, p) {
			return false
		}
	}
	return true
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)))
}

func TestConcurrentRefreshesShareOneSetOfCalls(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	properties := familyPath("/crm/v3/properties/", "/crm/properties/2026-03/")
	// Slow HubSpot down so that every refresh below overlaps the first.
	if _, err := ts.sb.AddFault(sandbox.FaultRule{Path: properties, Latency: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	// Every endpoint a refresh reads, and how often one refresh reads it: each object type's
	// properties and groups, the deal pipelines, and the owners, active then archived.
	want := map[string]int{"GET " + familyPath("/crm/v3/owners/", "/crm/owners/2026-03/"): 2,
		"GET " + familyPath("/crm/v3/pipelines/deals", "/crm/pipelines/2026-03/deals"): 1}
	for _, ot := range []string{"contacts", "companies", "deals"} {
		want["GET "+properties+ot] = 1
		want["GET "+properties+ot+"/groups"] = 1
	}
	count := func() map[string]int {
		requests := ts.sb.Counters().Requests
		out := map[string]int{}
		for ep := range want {
			for _, n := range requests[ep] {
				out[ep] += n
			}
		}
		return out
	}
	before := count()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName(), Refresh: true})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := count()
	for ep := range got {
		got[ep] -= before[ep]
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("10 concurrent refreshes made more than one refresh's calls (-want +got):\n%s", d)
	}
}

// TestReaderNeverSeesAMixedSchema refreshes repeatedly while HubSpot's schema changes and
// readers read the cache: every read must come from one refresh.
func TestReaderNeverSeesAMixedSchema(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads, mixed int
	var mu sync.Mutex
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName()})
				if err != nil {
					t.Error(err)
					return
				}
				// Round r adds marker_r to all three object types before refresh r.
				markers := map[string]int{}
				versions := map[int64]bool{}
				for _, s := range resp.GetSchemas() {
					versions[s.GetSchemaVersion()] = true
					for name := range fieldsByName(s) {
						if len(name) > 7 && name[:7] == "marker_" {
							markers[name]++
						}
					}
				}
				mu.Lock()
				reads++
				for _, n := range markers {
					if n != 3 {
						mixed++
					}
				}
				if len(versions) != 1 {
					mixed++
				}
				mu.Unlock()
			}
		}()
	}
	for round := range 15 {
		for _, ot := range []string{"contacts", "companies", "deals"} {
			if _, err := ts.sb.CreateProperty(ts.acct.HubID, ot, sandbox.Property{Name: fmt.Sprintf("marker_%d", round), Label: "Marker", Type: "string", FieldType: "text", GroupName: "g"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName(), Refresh: true}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	readers.Wait()
	if reads < 15 || mixed != 0 {
		t.Errorf("%d reads, %d saw a mixed schema; want many reads, none mixed", reads, mixed)
	}
}
