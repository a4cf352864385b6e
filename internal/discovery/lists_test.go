package discovery

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// newScopedEnv is a Discoverer over a sandbox account reached with a token of the given scopes.
func newScopedEnv(t *testing.T, scopes []string) (*Discoverer, store.Connection) {
	t.Helper()
	ctx := context.Background()
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierProfessional})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	token, err := hubspot.ParseToken(tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	client, err := hubspot.NewClient(hubspot.Options{BaseURL: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := store.Connection{Workspace: "acme", ID: "prod", DisplayName: "Prod", Status: "CONNECTED", CreateTime: time.Now(), UpdateTime: time.Now()}
	if err := st.InsertConnection(ctx, &c); err != nil {
		t.Fatal(err)
	}
	return New(st, fixedClient{client}, nil, nil), c
}

// The sandbox's deal pipelines, as discovery keeps them: stages in order, won where closed
// with probability 1.
var wantDealPipelines = []fields.Pipeline{
	{ID: "default", Label: "Sales Pipeline", Stages: []fields.Stage{
		{ID: "appointmentscheduled", Label: "Appointment Scheduled", Probability: 0.2},
		{ID: "qualifiedtobuy", Label: "Qualified To Buy", DisplayOrder: 1, Probability: 0.4},
		{ID: "presentationscheduled", Label: "Presentation Scheduled", DisplayOrder: 2, Probability: 0.6},
		{ID: "decisionmakerboughtin", Label: "Decision Maker Bought-In", DisplayOrder: 3, Probability: 0.8},
		{ID: "contractsent", Label: "Contract Sent", DisplayOrder: 4, Probability: 0.9},
		{ID: "closedwon", Label: "Closed Won", DisplayOrder: 5, Probability: 1, Closed: true},
		{ID: "closedlost", Label: "Closed Lost", DisplayOrder: 6, Closed: true},
	}},
	{ID: "1467822", Label: "Enterprise", DisplayOrder: 1, Stages: []fields.Stage{
		{ID: "2096391", Label: "Discovery", Probability: 0.1},
		{ID: "2096392", Label: "Proposal", DisplayOrder: 1, Probability: 0.5},
		{ID: "2096393", Label: "Negotiation", DisplayOrder: 2, Probability: 0.8},
		{ID: "2096394", Label: "Closed Won", DisplayOrder: 3, Probability: 1, Closed: true},
		{ID: "2096395", Label: "Closed Lost", DisplayOrder: 4, Closed: true},
	}},
}

// A refresh keeps each object type's groups, the deal pipelines, the pipeline of every deal
// stage choice, and the owners, active and archived; the cache reads them back the same.
func TestRefreshReadsGroupsPipelinesAndOwners(t *testing.T) {
	ctx := context.Background()
	d, c := newScopedEnv(t, sandbox.AllScopes())
	got, err := d.Refresh(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	deals := got["deals"]
	if diff := cmp.Diff(wantDealPipelines, deals.Pipelines); diff != "" {
		t.Errorf("deal pipelines (-want +got):\n%s", diff)
	}
	if won := []bool{deals.Pipelines[0].Stages[5].Won(), deals.Pipelines[1].Stages[3].Won(), deals.Pipelines[1].Stages[4].Won()}; !cmp.Equal(won, []bool{true, true, false}) {
		t.Errorf("won of closedwon, 2096394, 2096395 = %v", won)
	}
	wantGroups := []fields.Group{{Name: "dealinformation", Label: "Deal information"},
		{Name: "sales_properties", Label: "Sales properties", DisplayOrder: 1},
		{Name: "custom_properties", Label: "Custom properties", DisplayOrder: 2}}
	if diff := cmp.Diff(wantGroups, deals.Groups); diff != "" {
		t.Errorf("deal property groups (-want +got):\n%s", diff)
	}
	for ot, fs := range got {
		if len(fs.Pipelines) != 0 && ot != "deals" {
			t.Errorf("%s has pipelines: %v", ot, fs.Pipelines)
		}
		groups := map[string]bool{}
		for _, g := range fs.Groups {
			groups[g.Name] = true
		}
		for _, f := range fs.Fields {
			if !groups[f.GroupName] {
				t.Errorf("%s.%s is in group %q, which discovery did not return", ot, f.Name, f.GroupName)
			}
		}
	}
	stagePipelines := map[string]string{}
	for _, f := range deals.Fields {
		if f.Name == "dealstage" {
			for _, o := range f.Options {
				stagePipelines[o.Value] = o.Pipeline
			}
		}
	}
	wantStagePipelines := map[string]string{}
	for _, p := range wantDealPipelines {
		for _, s := range p.Stages {
			wantStagePipelines[s.ID] = p.ID
		}
	}
	if diff := cmp.Diff(wantStagePipelines, stagePipelines); diff != "" {
		t.Errorf("the pipeline of each dealstage choice (-want +got):\n%s", diff)
	}

	owners, err := d.Owners(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	senior := fields.Team{ID: "5802", Name: "Senior Support"}
	sales := fields.Team{ID: "5801", Name: "Sales"}
	primary := func(t fields.Team) fields.Team { t.Primary = true; return t }
	wantOwners := []fields.Owner{
		{ID: "41629779", Email: "maya.patel@northwind.example", FirstName: "Maya", LastName: "Patel", Teams: []fields.Team{primary(sales)}},
		{ID: "41629780", Email: "jonas.weber@northwind.example", FirstName: "Jonas", LastName: "Weber", Teams: []fields.Team{primary(senior)}},
		{ID: "41629781", Email: "aiko.tanaka@northwind.example", FirstName: "Aiko", LastName: "Tanaka", Teams: []fields.Team{primary(senior), sales}},
		{ID: "41629782", Email: "luis.ortega@northwind.example", FirstName: "Luis", LastName: "Ortega"},
		{ID: "41629783", Email: "grace.kim@northwind.example", FirstName: "Grace", LastName: "Kim", Teams: []fields.Team{primary(senior)}, Archived: true},
	}
	if diff := cmp.Diff(wantOwners, owners.Owners); diff != "" || owners.ErrorReason != "" || owners.DiscoveredAt.IsZero() {
		t.Errorf("owners (-want +got):\n%s\nerror %q, discovered at %v", diff, owners.ErrorReason, owners.DiscoveredAt)
	}

	cached, err := d.store.FieldSchemas(ctx, c.Workspace, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got["deals"].Pipelines, cached["deals"].Pipelines); diff != "" {
		t.Errorf("stored pipelines differ from the refresh's (-refresh +stored):\n%s", diff)
	}
}

// Without the owners scope the fields are discovered all the same; the owners say why they
// are missing.
func TestRefreshWithoutTheOwnersScope(t *testing.T) {
	ctx := context.Background()
	d, c := newScopedEnv(t, sandbox.ScopesWithout("owners"))
	got, err := d.Refresh(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, ot := range ObjectTypes {
		if fs := got[ot]; fs.ErrorReason != "" || len(fs.Fields) == 0 {
			t.Errorf("%s: error %q, %d fields; want its fields", ot, fs.ErrorReason, len(fs.Fields))
		}
	}
	owners, err := d.Owners(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if owners.ErrorReason != ReasonMissingScopes || !cmp.Equal(owners.ErrorScopes, []string{OwnersScope}) || len(owners.Owners) != 0 ||
		!strings.Contains(owners.ErrorMessage, OwnersScope) {
		t.Errorf("owners = %+v; want HUBSPOT_MISSING_SCOPES naming %s, and none", owners, OwnersScope)
	}
}

// A scope discovery lacks is reported with the way to add it to the connection's kind of
// token, for the fields and for the owners alike.
func TestMissingScopeStepsPerKind(t *testing.T) {
	tests := []struct {
		kind string
		want string // how to add a scope, %s the scope
	}{
		{connections.KindServiceKey, "In HubSpot open Development → Keys → Service keys → your key, add %s to its scopes and save, then refresh fields"},
		{connections.KindStaticAppToken, "Add %s to the scopes in your project app's configuration, upload the project, " +
			"then reinstall the app in this HubSpot account (its Distribution tab), then refresh fields"},
		{connections.KindPrivateApp, "In HubSpot open Settings → Integrations → Private Apps → your app → Scopes, add %s and commit the changes, then refresh fields"},
		{connections.KindUnknown, "In HubSpot add %s to the token's scopes (a Service Key under Development → Keys → Service keys → your key; " +
			"a static-auth app in its project's configuration, then upload the project and reinstall the app; " +
			"a legacy private app under Settings → Integrations → Private Apps → your app → Scopes), then refresh fields"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			ctx := context.Background()
			d, c := newScopedEnv(t, sandbox.ScopesWithout("deals", "owners"))
			c.CredentialKind = tt.kind
			got, err := d.Refresh(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			owners, err := d.Owners(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			scope := strings.Join(got["deals"].ErrorScopes, " or ")
			if scope == "" {
				t.Fatalf("deals = %+v; want the scopes HubSpot named", got["deals"])
			}
			want := []string{
				"the token lacks the scope to read deals fields (" + scope + "). " + fmt.Sprintf(tt.want, scope),
				"the token lacks the scope to read owners (crm.objects.owners.read), so no owners are listed. " + fmt.Sprintf(tt.want, "crm.objects.owners.read"),
			}
			if diff := cmp.Diff(want, []string{got["deals"].ErrorMessage, owners.ErrorMessage}); diff != "" {
				t.Errorf("the deals' and the owners' messages (-want +got):\n%s", diff)
			}
		})
	}
}

// Without the deal scopes neither deal fields nor pipelines are read; the other types are.
func TestRefreshWithoutTheDealScopes(t *testing.T) {
	ctx := context.Background()
	d, c := newScopedEnv(t, sandbox.ScopesWithout("deals"))
	got, err := d.Refresh(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if deals := got["deals"]; deals.ErrorReason != ReasonMissingScopes || len(deals.Pipelines) != 0 || len(deals.Fields) != 0 {
		t.Errorf("deals = %+v; want HUBSPOT_MISSING_SCOPES without fields or pipelines", deals)
	}
	if contacts := got["contacts"]; contacts.ErrorReason != "" || len(contacts.Groups) == 0 {
		t.Errorf("contacts = error %q, %d groups; want its groups", contacts.ErrorReason, len(contacts.Groups))
	}
}

// Owner fields resolve against the last owners read; without any, the directory says why
// and what to do.
func TestOwnerDirectory(t *testing.T) {
	maya := fields.Owner{ID: "41629779", Email: "maya.patel@northwind.example"}
	tests := []struct {
		name        string
		list        store.OwnerList
		unavailable string
		found       bool // maya's id is found
	}{
		{"discovered", store.OwnerList{DiscoveredAt: time.Unix(1, 0), Owners: []fields.Owner{maya}}, "", true},
		{"discovered, none", store.OwnerList{DiscoveredAt: time.Unix(1, 0)}, "", false},
		{"a later read failed: the last ones are kept", store.OwnerList{DiscoveredAt: time.Unix(1, 0), Owners: []fields.Owner{maya},
			ErrorReason: ReasonUnavailable, ErrorMessage: "down"}, "", true},
		{"missing the scope", store.OwnerList{ErrorReason: ReasonMissingScopes, ErrorScopes: []string{OwnersScope}},
			"the token lacks the scope to read owners (crm.objects.owners.read). In HubSpot open Development → Keys → Service keys → your key, " +
				"add crm.objects.owners.read to its scopes and save, then refresh fields", false},
		{"failed", store.OwnerList{ErrorReason: ReasonFailed, ErrorMessage: "HubSpot said no"},
			"the owners could not be read at the last discovery (HubSpot said no): refresh fields", false},
		{"never discovered", store.OwnerList{}, "the owners have not been discovered: refresh fields", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ownerDirectory(tt.list, connections.KindServiceKey)
			if got := d.Unavailable(); got != tt.unavailable {
				t.Errorf("Unavailable() = %q, want %q", got, tt.unavailable)
			}
			if _, found := d.Lookup(maya.ID); found != tt.found {
				t.Errorf("Lookup(%s) found = %v, want %v", maya.ID, found, tt.found)
			}
		})
	}
}
