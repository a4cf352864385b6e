package hubspot_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
)

// TestSandboxAPIVersionsGiveTheSameResults runs every call of the client against two
// identical sandboxes (same seed, same stopped clock), one client per API family, and
// compares what each call returned: the 2026-03 paths must behave exactly as the legacy
// ones. The sandbox's counters prove each client called its own family's paths.
func TestSandboxAPIVersionsGiveTheSameResults(t *testing.T) {
	t.Parallel()
	results := map[hubspot.APIVersion][]callResult{}
	endpoints := map[hubspot.APIVersion][]string{}
	for _, version := range hubspot.APIVersions() {
		results[version], endpoints[version] = runEveryCall(t, version)
	}
	v3, dated := hubspot.APIVersionV3, hubspot.APIVersion202603
	if len(results[v3]) == 0 {
		t.Fatal("no call was made: the comparison would be vacuous")
	}
	// Paging links and write-trace ids name the path called and the client's random
	// prefix; everything else must match.
	ignore := cmp.Options{errorsAsCallers, cmpopts.IgnoreFields(hubspot.NextPage{}, "Link"),
		cmpopts.IgnoreFields(hubspot.Object{}, "ObjectWriteTraceID")}
	if diff := cmp.Diff(results[v3], results[dated], ignore); diff != "" {
		t.Errorf("the 2026-03 family answered differently from v3 (-v3 +2026-03):\n%s", diff)
	}

	for version, eps := range endpoints {
		for _, ep := range eps {
			legacy := strings.Contains(ep, "/v3/") || strings.Contains(ep, "/v4/")
			switch {
			case strings.HasPrefix(ep, "POST /oauth/"): // unversioned
			case strings.HasPrefix(ep, "GET /crm/v4/objects/") && strings.Contains(ep, "/associations/") && !strings.Contains(ep, "/default/"):
				// a record's associations: v4 in both families
			case version == v3 && !legacy, version == dated && legacy:
				t.Errorf("the %s client called %s", version, ep)
			}
		}
	}
}

// callResult is one call's decoded answer or its error.
type callResult struct {
	Name  string
	Value any
	Err   error
}

// callError is what a caller can tell of an error: HubSpot's answer, not the operation's
// path (which names the family) nor the client's random write-trace ids.
type callError struct {
	Status         int
	Category       string
	Message        string
	ExistingID     string
	ObjectID       string
	RequiredScopes []string
	Violations     []hubspot.Violation
	Context        map[string][]string
}

var errorsAsCallers = cmp.Transformer("callError", func(err error) *callError {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*hubspot.APIError](err); ok {
		return &callError{Status: e.StatusCode, Category: e.Category, Message: e.Message, ExistingID: e.ExistingID,
			ObjectID: e.ObjectID, RequiredScopes: e.RequiredScopes, Violations: e.Violations, Context: e.Context}
	}
	return &callError{Message: err.Error()}
})

// runEveryCall plays one scenario through a client of the given family against a fresh
// sandbox and returns each call's result and the endpoints the sandbox counted.
func runEveryCall(t *testing.T, version hubspot.APIVersion) ([]callResult, []string) {
	t.Helper()
	stopped := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	sb := sandbox.New(sandbox.Options{Seed: 5, Now: func() time.Time { return stopped },
		Limits: sandbox.Limits{PerWindow: 1_000_000, Daily: 1_000_000, SearchPerSecond: 1_000_000}})
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierStarter, TimeZone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	seed, err := sb.SeedSampleData(acct.HubID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, AppID: 4_000_001, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb) // 127.0.0.1:0
	t.Cleanup(srv.Close)
	parsed, err := hubspot.ParseToken(tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	c, err := hubspot.NewClient(hubspot.Options{BaseURL: srv.URL, Token: parsed, APIVersion: version, Timeout: 5 * time.Second,
		Retry: hubspot.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	contact, company := seed.Contacts[0], seed.Companies[0]

	var out []callResult
	add := func(name string, v any, err error) { out = append(out, callResult{Name: name, Value: v, Err: err}) }
	batch := func(name string, res *hubspot.BatchResult, err error) {
		if res != nil {
			res.Attempts = 0 // how often the client sent it, not what HubSpot answered
		}
		add(name, res, err)
	}

	info, err := c.IntrospectToken(ctx)
	add("introspect", info, err)
	details, err := c.AccountDetails(ctx)
	add("account details", details, err)
	props, err := c.ListProperties(ctx, "contacts", hubspot.ListPropertiesOptions{})
	add("list properties", props, err)
	prop, err := c.GetProperty(ctx, "deals", "dealstage")
	add("get property", prop, err)
	_, err = c.GetProperty(ctx, "deals", "no_such_property")
	add("get unknown property", nil, err)

	created, err := c.CreateObject(ctx, "contacts", hubspot.CreateObjectInput{Properties: map[string]string{"email": "new@example.com", "firstname": "New"},
		Associations: []hubspot.AssociationInput{hubspot.AssociateTo(company, 1)}})
	add("create", created, err)
	_, err = c.CreateObject(ctx, "contacts", hubspot.CreateObjectInput{Properties: map[string]string{"email": "new@example.com"}})
	add("create a taken email", nil, err)
	got, err := c.GetObject(ctx, "contacts", "new@example.com", hubspot.GetObjectOptions{IDProperty: "email",
		Properties: []string{"firstname"}, Associations: []string{"companies"}})
	add("get by email", got, err)
	updated, err := c.UpdateObject(ctx, "contacts", contact, map[string]string{"lastname": "Changed"}, hubspot.UpdateObjectOptions{})
	add("update", updated, err)
	_, err = c.UpdateObject(ctx, "contacts", contact, map[string]string{"no_such_property": "x"}, hubspot.UpdateObjectOptions{})
	add("update refused", nil, err)

	res, err := c.BatchCreate(ctx, "contacts", []hubspot.BatchCreateInput{{Properties: map[string]string{"email": "b1@example.com"}},
		{Properties: map[string]string{"email": "b2@example.com"}}})
	batch("batch create", res, err)
	res, err = c.BatchRead(ctx, "contacts", hubspot.BatchReadRequest{IDs: []string{contact, "999999"}, Properties: []string{"lastname"}})
	batch("batch read", res, err)
	res, err = c.BatchUpdate(ctx, "contacts", []hubspot.BatchUpdateInput{{ID: contact, Properties: map[string]string{"firstname": "Batch"}}})
	batch("batch update", res, err)
	res, err = c.BatchUpsert(ctx, "contacts", []hubspot.BatchUpsertInput{{ID: "b1@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "Up"}},
		{ID: "b3@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "Up"}}})
	batch("batch upsert", res, err)
	permit, err := c.Limiter().Wait(ctx, hubspot.KindStandard)
	if err != nil {
		t.Fatal(err)
	}
	res, err = c.BatchUpsertWithPermit(ctx, "contacts", []hubspot.BatchUpsertInput{{ID: "b4@example.com", IDProperty: "email"}}, permit)
	batch("batch upsert with a permit", res, err)

	found, err := c.Search(ctx, "contacts", hubspot.SearchRequest{Properties: []string{"firstname"}, Limit: 5,
		FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "firstname", Operator: hubspot.OpEQ, Value: "Up"}}}}})
	add("search", found, err)

	err = c.AssociateDefault(ctx, "contacts", contact, "companies", company)
	add("default association", nil, err)
	page, err := c.ListAssociations(ctx, "contacts", contact, "companies", hubspot.ListAssociationsOptions{Limit: 10})
	add("list associations", page, err)
	assocs, err := c.BatchReadAssociations(ctx, "contacts", "companies", []hubspot.AssociationReadInput{{ID: contact}, {ID: created.ID.String()}})
	add("batch read associations", assocs, err)
	note, err := c.CreateEngagement(ctx, hubspot.EngagementInput{Type: hubspot.EngagementNote, ContactIDs: []string{contact},
		Properties: map[string]string{"hs_timestamp": "2026-12-04T09:00:00Z", "hs_note_body": "hello"}})
	add("create engagement", note, err)

	err = c.ArchiveObject(ctx, "contacts", created.ID.String())
	add("archive", nil, err)
	_, err = c.GetObject(ctx, "contacts", created.ID.String(), hubspot.GetObjectOptions{})
	add("get archived", nil, err)
	err = c.BatchArchive(ctx, "contacts", []string{seed.Contacts[1]})
	add("batch archive", nil, err)

	var eps []string
	for ep := range sb.Counters().Requests {
		eps = append(eps, ep)
	}
	return out, eps
}
