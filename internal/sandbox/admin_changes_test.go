package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/sandbox"
)

// The admin routes of changes made in HubSpot and of webhooks answer as their Go methods.
func TestAdminChangeRoutes(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	t.Cleanup(func() { _ = e.sb.Close() })
	srv := httptest.NewServer(e.sb)
	t.Cleanup(srv.Close)
	key, err := e.sb.CreateToken(sandbox.Token{HubID: e.acct.HubID, Kind: sandbox.KindServiceKey, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	hub := fmt.Sprint(e.acct.HubID)
	app := fmt.Sprint(e.sb.Tokens(e.acct.HubID)[0].AppID)
	c0, c1, c2 := e.seed.Contacts[0], e.seed.Contacts[1], e.seed.Contacts[2]
	rec := "/accounts/" + hub + "/objects/contacts/"
	hooks := map[string]any{"targetUrl": "http://127.0.0.1:1/hooks", "clientSecret": "s",
		"subscriptions": []any{map[string]any{"subscriptionType": "contact.deletion"}}}
	tests := []struct {
		name, method, path string
		body               any
		want               int
	}{
		{"edit", "PATCH", rec + c0, map[string]any{"properties": map[string]string{"jobtitle": "Chief"}}, 200},
		{"edit with an invalid value", "PATCH", rec + c0, map[string]any{"properties": map[string]string{"nope": "x"}}, 400},
		{"edit of an unknown record", "PATCH", rec + "999999", map[string]any{"properties": map[string]string{"jobtitle": "x"}}, 404},
		{"delete", "DELETE", rec + c1, nil, 200},
		{"delete again", "DELETE", rec + c1, nil, 404},
		{"restore", "POST", rec + c1 + "/restore", nil, 200},
		{"restore a live record", "POST", rec + c1 + "/restore", nil, 404},
		{"merge", "POST", "/accounts/" + hub + "/objects/contacts/merge", map[string]any{"primaryObjectId": c0, "objectIdToMerge": c2}, 200},
		{"merge into itself", "POST", "/accounts/" + hub + "/objects/contacts/merge", map[string]any{"primaryObjectId": c0, "objectIdToMerge": c0}, 400},
		{"bulk edit", "POST", "/accounts/" + hub + "/bulk-edit", map[string]any{"objectType": "contacts", "property": "jobtitle", "value": "B", "count": 3}, 200},
		{"bulk edit with ids and count", "POST", "/accounts/" + hub + "/bulk-edit", map[string]any{"objectType": "contacts", "property": "jobtitle", "value": "B", "count": 3, "ids": []string{c0}}, 400},
		{"bulk edit of unknown ids", "POST", "/accounts/" + hub + "/bulk-edit", map[string]any{"objectType": "contacts", "property": "jobtitle", "value": "B", "ids": []string{"999999"}}, 404},
		{"changes", "GET", "/accounts/" + hub + "/changes?after=0&limit=2", nil, 200},
		{"webhooks of an app without any", "GET", "/apps/" + app + "/webhooks", nil, 404},
		{"set webhooks", "PUT", "/apps/" + app + "/webhooks", hooks, 200},
		{"get webhooks", "GET", "/apps/" + app + "/webhooks", nil, 200},
		{"webhooks for a Service Key", "PUT", fmt.Sprintf("/apps/%d/webhooks", key.AppID), hooks, 400},
		{"faults", "PUT", "/webhooks/faults", map[string]any{"dropRate": 0.5, "delay": "1s"}, 200},
		{"faults out of range", "PUT", "/webhooks/faults", map[string]any{"dropRate": 2}, 400},
		{"counters", "GET", "/webhooks/counters", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adminCall(t, srv.URL, tt.method, tt.path, tt.body, tt.want)
		})
	}
	evs := adminArray(t, srv.URL+"/_sandbox/accounts/"+hub+"/changes?after=0&limit=2")
	if len(evs) != 2 {
		t.Errorf("changes?limit=2 gave %d events", len(evs))
	}
	if got, ok := e.sb.Record(e.acct.HubID, "contacts", c0); !ok || got["jobtitle"] != "B" {
		t.Errorf("contact %s after the edits: %v", c0, got)
	}
}

func adminArray(t *testing.T, url string) []map[string]any {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: %v: %s", url, err, raw)
	}
	return out
}

// POST /crm/v3/objects/{type}/merge (and its 2026-03 path) keeps the primary, which
// answers with its id; the merged record is gone.
func TestMergeAPI(t *testing.T) {
	tests := []struct {
		name, path string
		body       func(e *env) any
		want       int
	}{
		{"contacts, legacy path", "/crm/v3/objects/contacts/merge", func(e *env) any {
			return map[string]any{"primaryObjectId": e.seed.Contacts[0], "objectIdToMerge": e.seed.Contacts[1]}
		}, 200},
		{"companies, dated path, numeric ids", "/crm/objects/2026-03/companies/merge", func(e *env) any {
			return map[string]any{"primaryObjectId": mustInt(e.t, e.seed.Companies[0]), "objectIdToMerge": mustInt(e.t, e.seed.Companies[1])}
		}, 200},
		{"into itself", "/crm/v3/objects/deals/merge", func(e *env) any {
			return map[string]any{"primaryObjectId": e.seed.Deals[0], "objectIdToMerge": e.seed.Deals[0]}
		}, 400},
		{"unknown record", "/crm/v3/objects/deals/merge", func(e *env) any {
			return map[string]any{"primaryObjectId": e.seed.Deals[0], "objectIdToMerge": "999999"}
		}, 404},
		{"missing id", "/crm/v3/objects/deals/merge", func(e *env) any {
			return map[string]any{"primaryObjectId": e.seed.Deals[0]}
		}, 400},
		{"notes cannot be merged", "/crm/v3/objects/notes/merge", func(e *env) any {
			return map[string]any{"primaryObjectId": "1", "objectIdToMerge": "2"}
		}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			body := tt.body(e)
			res := e.do("POST", tt.path, body).want(t, tt.want)
			if tt.want != 200 {
				return
			}
			in := body.(map[string]any)
			typ := strings.Split(strings.TrimPrefix(strings.TrimPrefix(tt.path, "/crm/v3/objects/"), "/crm/objects/2026-03/"), "/")[0]
			if res.str("id") != fmt.Sprint(in["primaryObjectId"]) {
				t.Errorf("merge answered id %q, want the primary %v", res.str("id"), in["primaryObjectId"])
			}
			if _, ok := e.sb.Record(e.acct.HubID, typ, fmt.Sprint(in["objectIdToMerge"])); ok {
				t.Errorf("the merged record is still there")
			}
		})
	}
}

// A contact merged away keeps leading to the primary for lookups by its email.
func TestMergedEmailLeadsToThePrimary(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	primary, merged := e.seed.Contacts[0], e.seed.Contacts[1]
	p, _ := e.sb.Record(e.acct.HubID, "contacts", merged)
	if err := e.sb.MergeRecords(e.acct.HubID, "contacts", primary, merged); err != nil {
		t.Fatal(err)
	}
	got := e.do("GET", "/crm/v3/objects/contacts/"+p["email"]+"?idProperty=email", nil).want(t, 200)
	if got.str("id") != primary {
		t.Errorf("GET by the merged contact's email found %q, want %s", got.str("id"), primary)
	}
}

// A primary's hs_merged_object_ids lists every id merged into it, those merged into the
// records it took included, and each merge event names the ids the primary gained.
func TestMergedIDsGrowOnThePrimary(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	a, b, c := e.seed.Contacts[0], e.seed.Contacts[1], e.seed.Contacts[2]
	start := lastEventID(t, e)
	for _, m := range [][2]string{{a, b}, {c, a}} {
		if err := e.sb.MergeRecords(e.acct.HubID, "contacts", m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := e.sb.Record(e.acct.HubID, "contacts", c)
	if got := p[sandbox.MergedIDsProp]; got != b+";"+a {
		t.Errorf("the primary's %s = %q, want %q", sandbox.MergedIDsProp, got, b+";"+a)
	}
	evs, err := e.sb.Changes(e.acct.HubID, start, 0)
	if err != nil {
		t.Fatal(err)
	}
	var merges [][]string
	for _, ev := range evs {
		if ev.Kind == sandbox.ChangeMerge {
			merges = append(merges, append([]string{ev.PrimaryObjectID}, ev.MergedObjectIDs...))
		}
	}
	if d := cmp.Diff([][]string{{a, b}, {c, b, a}}, merges); d != "" {
		t.Errorf("merge events, primary then merged ids (-want +got):\n%s", d)
	}
}

// An association removed through the API is logged from both ends with associationRemoved.
func TestAssociationRemovalIsLogged(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	contact, company := e.seed.Contacts[0], e.seed.Companies[4]
	e.do("PUT", "/crm/v4/objects/contacts/"+contact+"/associations/default/companies/"+company, nil).want(t, 200)
	start := lastEventID(t, e)
	e.do("DELETE", "/crm/v4/objects/contacts/"+contact+"/associations/companies/"+company, nil).want(t, http.StatusNoContent)
	got, err := e.sb.Changes(e.acct.HubID, start, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ends [][2]string
	for _, ev := range got {
		if ev.Kind != sandbox.ChangeAssociationChange || !ev.AssociationRemoved {
			t.Fatalf("unexpected event %+v", ev)
		}
		ends = append(ends, [2]string{ev.FromObjectID, ev.ToObjectID})
	}
	if len(ends) != 2 || ends[0] != [2]string{contact, company} || ends[1] != [2]string{company, contact} {
		t.Errorf("removal logged as %v, want both ends", ends)
	}
}

// A target slower than the timeout fails the attempt, which is retried.
func TestWebhookTimeoutIsAFailure(t *testing.T) {
	e := newEnv(t, sandbox.Options{WebhookTimeout: 50 * time.Millisecond, WebhookRetryScale: 1e-6})
	t.Cleanup(func() { _ = e.sb.Close() })
	release := make(chan struct{})
	attempts := make(chan int, 20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var evs []struct {
			AttemptNumber int `json:"attemptNumber"`
		}
		_ = json.NewDecoder(r.Body).Decode(&evs)
		attempts <- evs[0].AttemptNumber
		if evs[0].AttemptNumber == 0 {
			select { // hold the first attempt past the sender's timeout
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	appID := e.sb.Tokens(e.acct.HubID)[0].AppID
	if _, err := e.sb.SetWebhooks(sandbox.WebhookConfig{AppID: appID, TargetURL: srv.URL, ClientSecret: "s",
		Subscriptions: []sandbox.WebhookSubscription{{SubscriptionType: "company.deletion"}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.DeleteRecord(e.acct.HubID, "companies", e.seed.Companies[0]); err != nil {
		t.Fatal(err)
	}
	for want := range 2 {
		select {
		case got := <-attempts:
			if got != want {
				t.Fatalf("attempt %d arrived as attemptNumber %d", want, got)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("attempt %d never arrived", want)
		}
	}
}
