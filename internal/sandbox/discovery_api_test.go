package sandbox_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/sandbox"
)

// decode reads a response's raw body into v.
func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", r.raw, err)
	}
	return v
}

// stageView is what a client reads of a stage: its id, label and metadata strings.
type stageView struct {
	ID       string
	Label    string
	Metadata map[string]string
}

// An account has HubSpot's default deal pipeline and a second one whose stage ids are
// portal numbers and whose labels repeat the default's; the pipeline and dealstage
// properties offer exactly those pipelines and stages.
func TestDealPipelines(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	got := decode[struct{ Results []sandbox.Pipeline }](t, e.do("GET", "/crm/v3/pipelines/deals", nil).want(t, http.StatusOK))

	stage := func(id, label, probability, closed string) stageView {
		return stageView{ID: id, Label: label, Metadata: map[string]string{"probability": probability, "isClosed": closed}}
	}
	want := map[string][]stageView{
		"default|Sales Pipeline": {
			stage("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
			stage("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
			stage("presentationscheduled", "Presentation Scheduled", "0.6", "false"),
			stage("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"),
			stage("contractsent", "Contract Sent", "0.9", "false"),
			stage("closedwon", "Closed Won", "1.0", "true"),
			stage("closedlost", "Closed Lost", "0.0", "true"),
		},
		"1467822|Enterprise": {
			stage("2096391", "Discovery", "0.1", "false"),
			stage("2096392", "Proposal", "0.5", "false"),
			stage("2096393", "Negotiation", "0.8", "false"),
			stage("2096394", "Closed Won", "1.0", "true"),
			stage("2096395", "Closed Lost", "0.0", "true"),
		},
	}
	gotStages := map[string][]stageView{}
	var pipelineOptions, stageOptions []sandbox.Option
	for i, p := range got.Results {
		if p.DisplayOrder != i || p.Archived || p.CreatedAt == "" {
			t.Errorf("pipeline %s: displayOrder %d archived %v createdAt %q; want %d, false, set", p.ID, p.DisplayOrder, p.Archived, p.CreatedAt, i)
		}
		pipelineOptions = append(pipelineOptions, sandbox.Option{Value: p.ID, Label: p.Label, DisplayOrder: i})
		for j, s := range p.Stages {
			if s.DisplayOrder != j {
				t.Errorf("stage %s: displayOrder %d, want %d", s.ID, s.DisplayOrder, j)
			}
			gotStages[p.ID+"|"+p.Label] = append(gotStages[p.ID+"|"+p.Label], stageView{ID: s.ID, Label: s.Label, Metadata: s.Metadata})
			stageOptions = append(stageOptions, sandbox.Option{Value: s.ID, Label: s.Label, DisplayOrder: len(stageOptions)})
		}
	}
	if d := cmp.Diff(want, gotStages); d != "" {
		t.Errorf("deal pipelines (-want +got):\n%s", d)
	}

	for _, tc := range []struct {
		property string
		want     []sandbox.Option
	}{
		{"pipeline", pipelineOptions},
		{"dealstage", stageOptions},
	} {
		p := decode[sandbox.Property](t, e.do("GET", "/crm/v3/properties/deals/"+tc.property, nil).want(t, http.StatusOK))
		if d := cmp.Diff(tc.want, p.Options); d != "" {
			t.Errorf("options of %s do not follow the pipelines (-want +got):\n%s", tc.property, d)
		}
	}
}

func TestPipelinesRefusals(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	noDeals := newToken(t, e.sb, e.acct.HubID, sandbox.ScopesWithout("deals"))
	schemaOnly := newToken(t, e.sb, e.acct.HubID, []string{"crm.schemas.deals.read"})
	tests := []struct {
		name       string
		token      string
		path       string
		wantStatus int
		wantCat    string
	}{
		{"by type id", e.token, "/crm/v3/pipelines/0-3", http.StatusOK, ""},
		{"with the deal schema scope only", schemaOnly, "/crm/v3/pipelines/deals", http.StatusOK, ""},
		{"without a deal scope", noDeals, "/crm/v3/pipelines/deals", http.StatusForbidden, "MISSING_SCOPES"},
		{"a type without pipelines", e.token, "/crm/v3/pipelines/contacts", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"an unknown type", e.token, "/crm/v3/pipelines/widgets", http.StatusBadRequest, "VALIDATION_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.doAs(tt.token, "GET", tt.path, nil).want(t, tt.wantStatus)
			if got := r.str("category"); got != tt.wantCat {
				t.Errorf("category %q, want %q (%s)", got, tt.wantCat, r.raw)
			}
		})
	}
}

// ownerIDs lists the ids of a page of owners.
func ownerIDs(t *testing.T, r response) (ids []string, after string) {
	t.Helper()
	page := decode[struct {
		Results []sandbox.Owner
		Paging  *struct{ Next struct{ After string } }
	}](t, r)
	for _, o := range page.Results {
		ids = append(ids, o.ID)
	}
	if page.Paging != nil {
		after = page.Paging.Next.After
	}
	return ids, after
}

// Owners are listed active or archived, by email, and paged with an after cursor.
func TestOwners(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	tests := []struct {
		name      string
		path      string
		wantIDs   []string
		wantAfter string
	}{
		{"active owners", "/crm/v3/owners/", []string{"41629779", "41629780", "41629781", "41629782"}, ""},
		{"without the trailing slash", "/crm/v3/owners", []string{"41629779", "41629780", "41629781", "41629782"}, ""},
		{"first page", "/crm/v3/owners/?limit=3", []string{"41629779", "41629780", "41629781"}, "3"},
		{"last page", "/crm/v3/owners/?limit=3&after=3", []string{"41629782"}, ""},
		{"past the end", "/crm/v3/owners/?after=9", nil, ""},
		{"archived only", "/crm/v3/owners/?archived=true", []string{"41629783"}, ""},
		{"by email, any case", "/crm/v3/owners/?email=Jonas.Weber@northwind.example", []string{"41629780"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, after := ownerIDs(t, e.do("GET", tt.path, nil).want(t, http.StatusOK))
			if !slices.Equal(ids, tt.wantIDs) || after != tt.wantAfter {
				t.Errorf("ids %v after %q; want %v after %q", ids, after, tt.wantIDs, tt.wantAfter)
			}
		})
	}

	t.Run("shape", func(t *testing.T) {
		page := decode[struct{ Results []sandbox.Owner }](t, e.do("GET", "/crm/v3/owners/?email=aiko.tanaka@northwind.example", nil))
		want := []sandbox.Owner{{ID: "41629781", Type: "PERSON", Email: "aiko.tanaka@northwind.example",
			FirstName: "Aiko", LastName: "Tanaka", UserID: 9_100_003,
			Teams:     []sandbox.OwnerTeam{{ID: "5802", Name: "Senior Support", Primary: true}, {ID: "5801", Name: "Sales"}},
			CreatedAt: "2026-03-10T15:00:00.000Z", UpdatedAt: "2026-03-10T15:00:00.000Z"}}
		if d := cmp.Diff(want, page.Results); d != "" {
			t.Errorf("owner (-want +got):\n%s", d)
		}
	})

	t.Run("created owners are listed after the sample ones", func(t *testing.T) {
		o, err := e.sb.CreateOwner(e.acct.HubID, sandbox.Owner{Email: "new.hire@northwind.example"})
		if err != nil {
			t.Fatal(err)
		}
		if o.ID != "41629784" || o.Type != "PERSON" {
			t.Errorf("created owner %+v; want the next id 41629784, type PERSON", o)
		}
		ids, _ := ownerIDs(t, e.do("GET", "/crm/v3/owners/?after=4", nil).want(t, http.StatusOK))
		if !slices.Equal(ids, []string{"41629784"}) {
			t.Errorf("after the sample owners: %v", ids)
		}
	})
}

func TestOwnersRefusals(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	noOwners := newToken(t, e.sb, e.acct.HubID, sandbox.ScopesWithout("owners"))
	tests := []struct {
		name       string
		token      string
		path       string
		wantStatus int
		wantCat    string
	}{
		{"without crm.objects.owners.read", noOwners, "/crm/v3/owners/", http.StatusForbidden, "MISSING_SCOPES"},
		{"limit zero", e.token, "/crm/v3/owners/?limit=0", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"limit over 500", e.token, "/crm/v3/owners/?limit=501", http.StatusBadRequest, "VALIDATION_ERROR"},
		{"a cursor that is not one", e.token, "/crm/v3/owners/?after=x", http.StatusBadRequest, "VALIDATION_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.doAs(tt.token, "GET", tt.path, nil).want(t, tt.wantStatus)
			if got := r.str("category"); got != tt.wantCat {
				t.Errorf("category %q, want %q (%s)", got, tt.wantCat, r.raw)
			}
		})
	}
	r := e.doAs(noOwners, "GET", "/crm/v3/owners/", nil)
	if got := r.get("errors", 0, "context", "requiredGranularScopes"); !cmp.Equal(got, []any{"crm.objects.owners.read"}) {
		t.Errorf("the 403 names %v; want crm.objects.owners.read", got)
	}
}

// Every property, archived ones included, names a group of its object type, and the groups
// come in display order.
func TestPropertyGroups(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	for _, ot := range []string{"contacts", "companies", "deals", "notes", "calls", "communications"} {
		t.Run(ot, func(t *testing.T) {
			groups := decode[struct{ Results []sandbox.PropertyGroup }](t,
				e.do("GET", "/crm/v3/properties/"+ot+"/groups", nil).want(t, http.StatusOK)).Results
			names := map[string]bool{}
			for i, g := range groups {
				if g.DisplayOrder != i || g.Label == "" || g.Archived {
					t.Errorf("group %+v: want displayOrder %d, a label, not archived", g, i)
				}
				names[g.Name] = true
			}
			for _, archived := range []string{"false", "true"} {
				props := decode[struct{ Results []sandbox.Property }](t,
					e.do("GET", "/crm/v3/properties/"+ot+"?archived="+archived, nil).want(t, http.StatusOK)).Results
				for _, p := range props {
					if !names[p.GroupName] {
						t.Errorf("property %s names group %q, which %s does not have", p.Name, p.GroupName, ot)
					}
				}
			}
		})
	}
	noDeals := newToken(t, e.sb, e.acct.HubID, sandbox.ScopesWithout("deals"))
	e.doAs(noDeals, "GET", "/crm/v3/properties/deals/groups", nil).want(t, http.StatusForbidden)
}
