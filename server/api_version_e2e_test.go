package main

import (
	"cmp"
	"flag"
	"maps"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	"github.com/connectflo/integrations/client/clienttest"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// e2eAPIVersion runs the whole end-to-end suite against HubSpot's other API family:
// go test ./server/ -args -hubspot-api-version=v3 (scripts/test runs the suite so, after the
// default family). It sets HUBSPOT_API_VERSION for every server the harness starts unless a
// test sets it itself; the clienttest servers of this file choose their family explicitly.
var e2eAPIVersion = flag.String("hubspot-api-version", "", "run the end-to-end suite with this --hubspot-api-version (empty: the server's default)")

// withAPIVersion is env with HUBSPOT_API_VERSION of the suite's family added, unless env sets it.
func withAPIVersion(env map[string]string) map[string]string {
	if _, set := env["HUBSPOT_API_VERSION"]; set || *e2eAPIVersion == "" {
		return env
	}
	out := maps.Clone(env)
	if out == nil {
		out = map[string]string{}
	}
	out["HUBSPOT_API_VERSION"] = *e2eAPIVersion
	return out
}

// familyPath is the path of a HubSpot call in the family the suite runs with: v3 under
// -hubspot-api-version=v3, else the 2026-03 form (the default).
func familyPath(v3, dated string) string {
	if *e2eAPIVersion == "v3" {
		return v3
	}
	return dated
}

// hubspotPaths records the method and path of every request the service sends to HubSpot.
type hubspotPaths struct {
	mu   sync.Mutex
	seen []string
}

func (p *hubspotPaths) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.URL.Path)
		p.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (p *hubspotPaths) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// familyPaths match the requests of each API family; unversionedPaths those HubSpot has no
// 2026-03 form of (token introspection, one record's associations), sent alike by both.
var (
	familyPaths = map[string]*regexp.Regexp{
		"2026-03": regexp.MustCompile(`^[A-Z]+ (/crm/(objects|properties|associations|pipelines|owners)/2026-03/|/account-info/2026-03/)`),
		"v3":      regexp.MustCompile(`^[A-Z]+ (/crm/v3/(objects|properties|pipelines|owners)/|/crm/v4/(objects|associations)/|/account-info/v3/)`),
	}
	unversionedPaths = regexp.MustCompile(`^(POST /oauth/v2/private-apps/get/access-token-info|GET /crm/v4/objects/[^/]+/[^/]+/associations/[^/]+)$`)
)

// TestHarnessCallsHubSpotInTheSuitesFamily: the servers the harness starts call HubSpot in
// the family the suite runs with, so that scripts/test's second run of the suite, with
// -hubspot-api-version=v3, proves the legacy family end to end.
func TestHarnessCallsHubSpotInTheSuitesFamily(t *testing.T) {
	t.Parallel()
	var paths hubspotPaths
	ts := startServerWith(t, serverOptions{hubspot: paths.wrap})
	ts.connect(t, "prod")
	family := cmp.Or(*e2eAPIVersion, "2026-03")
	seen := paths.all()
	if len(seen) == 0 {
		t.Fatal("connecting sent nothing to HubSpot")
	}
	for _, p := range seen {
		if !unversionedPaths.MatchString(p) && !familyPaths[family].MatchString(p) {
			t.Errorf("%s is not of the %s family", p, family)
		}
	}
}

// TestAPIVersionEndToEnd runs a short workflow (test the connection, discover fields, upsert a
// contact, branch on it, log a note, win a deal, read associations, search) with each value of
// --hubspot-api-version, and checks that every request the service sent to HubSpot was of that
// family: v3 is the legacy /crm/v3 paths with associations on /crm/v4, 2026-03 the
// date-versioned ones, except the calls HubSpot has no 2026-03 form of (token introspection,
// one record's associations).
func TestAPIVersionEndToEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		flags []string
		path  *regexp.Regexp // every other request's path matches it
	}{
		{"default is 2026-03", nil, familyPaths["2026-03"]},
		{"v3", []string{"--hubspot-api-version", "v3"}, familyPaths["v3"]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var paths hubspotPaths
			srv := clienttest.NewServer(t, clienttest.WithSampleData(), clienttest.WithFlags(tt.flags...), clienttest.WithHubSpotHandler(paths.wrap))
			call := func(method string, req, resp proto.Message) {
				t.Helper()
				journeyTransports[0].call(t, srv, method, req, resp)
			}

			var tested integrationsv1.TestConnectionResponse
			call("TestConnection", &integrationsv1.TestConnectionRequest{Name: srv.Connection.Name}, &tested)
			var fields integrationsv1.DiscoverFieldsResponse
			call("DiscoverFields", &integrationsv1.DiscoverFieldsRequest{Connection: srv.Connection.Name, Refresh: true}, &fields)
			if len(fields.GetSchemas()) != 3 {
				t.Errorf("DiscoverFields returned %d schemas, want 3", len(fields.GetSchemas()))
			}

			var upserted integrationsv1.UpsertContactResponse
			call("UpsertContact", &integrationsv1.UpsertContactRequest{Connection: srv.Connection.Name, Email: "ada@example.com",
				Properties: map[string]*structpb.Value{"firstname": structpb.NewStringValue("Ada"), "lifecyclestage": structpb.NewStringValue("lead")}}, &upserted)
			if !upserted.GetCreated() {
				t.Fatalf("upsert = %v; want a created contact", &upserted)
			}
			var branch integrationsv1.EvaluateConditionResponse
			call("EvaluateCondition", &integrationsv1.EvaluateConditionRequest{Connection: srv.Connection.Name, Expression: `contact.firstname == "Ada"`,
				Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "ada@example.com"}}}, &branch)
			if !branch.GetResult() {
				t.Errorf("condition = %v; want true", &branch)
			}
			var logged integrationsv1.TimelineEvent
			call("LogTimelineEvent", &integrationsv1.LogTimelineEventRequest{Parent: srv.Connection.Name, WaitForDelivery: true,
				TimelineEvent: &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE,
					Contact:   &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "ada@example.com"}},
					OccurTime: timestamppb.New(time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)), Title: "Chat", Body: "Hello."}}, &logged)
			if logged.GetStatus() != integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_DELIVERED {
				t.Errorf("timeline event = %v; want DELIVERED", &logged)
			}
			var updated integrationsv1.Record
			call("UpdateRecord", &integrationsv1.UpdateRecordRequest{Name: client.RecordName(srv.Connection.Name, "deals", srv.HubSpot.Sample.Deals[0]),
				Properties: map[string]*structpb.Value{"dealstage": structpb.NewStringValue("Closed Won")}}, &updated)
			if stored, _ := srv.HubSpot.Record("deals", srv.HubSpot.Sample.Deals[0]); stored["dealstage"] != "closedwon" {
				t.Errorf("the deal's stage in HubSpot = %q; want closedwon", stored["dealstage"])
			}
			var assocs integrationsv1.ListAssociationsResponse
			call("ListAssociations", &integrationsv1.ListAssociationsRequest{
				Parent: client.RecordName(srv.Connection.Name, "contacts", srv.HubSpot.Sample.Contacts[0]), ToObjectType: "companies"}, &assocs)
			if len(assocs.GetAssociations()) == 0 {
				t.Error("the sample contact has no associated company")
			}
			var found integrationsv1.SearchRecordsResponse
			call("SearchRecords", &integrationsv1.SearchRecordsRequest{Parent: client.ObjectTypeName(srv.Connection.Name, "contacts"), Query: "ada@example.com"}, &found)

			seen := paths.all()
			if len(seen) < 8 {
				t.Fatalf("HubSpot saw %d requests: %q; want at least one per step", len(seen), seen)
			}
			for _, p := range seen {
				if !unversionedPaths.MatchString(p) && !tt.path.MatchString(p) {
					t.Errorf("the service called %s, outside the %s family", p, tt.name)
				}
			}
		})
	}
}
