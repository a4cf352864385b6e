package sandbox_test

import (
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/connectflo/integrations/internal/sandbox"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	revoked := newToken(t, e.sb, e.acct.HubID, sandbox.AllScopes())
	if err := e.sb.RevokeToken(revoked); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token string
	}{
		{"missing", ""},
		{"unknown", "pat-na1-00000000-0000-0000-0000-000000000000"},
		{"revoked", revoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.doAs(tt.token, "GET", "/crm/v3/objects/contacts", nil).want(t, http.StatusUnauthorized)
			if res.str("category") != "INVALID_AUTHENTICATION" || res.str("correlationId") == "" {
				t.Fatalf("got %s", res.raw)
			}
			if res.header.Get("X-HubSpot-Correlation-Id") == "" {
				t.Error("no X-HubSpot-Correlation-Id header")
			}
		})
	}
}

func TestScopesPerEndpoint(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	contactsRead := newToken(t, e.sb, e.acct.HubID, []string{"crm.objects.contacts.read"})
	noDeals := newToken(t, e.sb, e.acct.HubID, sandbox.ScopesWithout("deals"))
	schemaOnly := newToken(t, e.sb, e.acct.HubID, []string{"crm.schemas.deals.read"})
	note := map[string]any{"properties": props("hs_timestamp", "2026-01-01T00:00:00Z")}
	tests := []struct {
		name, token, method, path string
		body                      any
		status                    int
		required                  []string
	}{
		{"contacts read allowed", contactsRead, "GET", "/crm/v3/objects/contacts", nil, 200, nil},
		{"contacts write needs write", contactsRead, "POST", "/crm/v3/objects/contacts", map[string]any{"properties": props()}, 403, []string{"crm.objects.contacts.write"}},
		{"notes read gated by contacts", contactsRead, "GET", "/crm/v3/objects/notes", nil, 200, nil},
		{"notes write gated by contacts write", contactsRead, "POST", "/crm/v3/objects/notes", note, 403, []string{"crm.objects.contacts.write"}},
		{"calls gated by contacts", noDeals, "GET", "/crm/v3/objects/calls", nil, 200, nil},
		{"communications gated by contacts", contactsRead, "GET", "/crm/v3/objects/communications", nil, 200, nil},
		{"deals without deal scopes", noDeals, "GET", "/crm/v3/objects/deals", nil, 403, []string{"crm.objects.deals.read"}},
		{"deal search needs deal read", noDeals, "POST", "/crm/v3/objects/deals/search", map[string]any{}, 403, []string{"crm.objects.deals.read"}},
		{"deal properties without deal scopes", noDeals, "GET", "/crm/v3/properties/deals", nil, 403, []string{"crm.objects.deals.read", "crm.schemas.deals.read"}},
		{"deal properties with the schema scope", schemaOnly, "GET", "/crm/v3/properties/deals", nil, 200, nil},
		{"contact properties with the object scope", contactsRead, "GET", "/crm/v3/properties/contacts", nil, 200, nil},
		{"creating a property needs schemas write", contactsRead, "POST", "/crm/v3/properties/contacts", map[string]any{}, 403, []string{"crm.schemas.contacts.write"}},
		{"note properties gated by contacts", contactsRead, "GET", "/crm/v3/properties/notes", nil, 200, nil},
		{"account details need no scope", schemaOnly, "GET", "/account-info/v3/details", nil, 200, nil},
		{"v4 associations need the from type", noDeals, "GET", "/crm/v4/objects/deals/1/associations/contacts", nil, 403, []string{"crm.objects.deals.read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.doAs(tt.token, tt.method, tt.path, tt.body).want(t, tt.status)
			if tt.status != http.StatusForbidden {
				return
			}
			if res.str("category") != "MISSING_SCOPES" || res.get("context") != nil {
				t.Fatalf("got %s", res.raw)
			}
			var got []string
			for _, s := range res.list("errors", 0, "context", "requiredGranularScopes") {
				got = append(got, s.(string))
			}
			if !slices.Equal(got, tt.required) {
				t.Fatalf("requiredGranularScopes %v, want %v", got, tt.required)
			}
		})
	}
}

func TestTokenIntrospectionAndAccountDetails(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	tok, err := e.sb.CreateToken(sandbox.Token{HubID: e.acct.HubID, Scopes: []string{"crm.objects.contacts.read"}, AppID: 777})
	if err != nil {
		t.Fatal(err)
	}
	res := e.doAs("", "POST", "/oauth/v2/private-apps/get/access-token-info", map[string]any{"tokenKey": tok.Token}).want(t, 200)
	if res.get("hubId") != float64(e.acct.HubID) || res.get("appId") != float64(777) ||
		res.get("userId") == nil || res.str("scopes", 0) != "crm.objects.contacts.read" {
		t.Fatalf("got %s", res.raw)
	}
	bad := e.doAs("", "POST", "/oauth/v2/private-apps/get/access-token-info", map[string]any{"tokenKey": "pat-na1-nope"}).want(t, 401)
	if bad.str("category") != "INVALID_AUTHENTICATION" {
		t.Fatalf("got %s", bad.raw)
	}
	if err := e.sb.RevokeToken(tok.Token); err != nil {
		t.Fatal(err)
	}
	e.doAs("", "POST", "/oauth/v2/private-apps/get/access-token-info", map[string]any{"tokenKey": tok.Token}).want(t, 401)

	d := e.do("GET", "/account-info/v3/details", nil).want(t, 200)
	if d.get("portalId") != float64(e.acct.HubID) || d.str("timeZone") != "America/New_York" ||
		d.str("companyCurrency") != "USD" || d.str("utcOffset") != "-04:00" || d.str("uiDomain") == "" ||
		d.str("dataHostingLocation") == "" || d.str("accountType") != "STANDARD" {
		t.Fatalf("got %s", d.raw)
	}
}

// TestTokenKinds: every kind of token authenticates API calls; introspection answers for a
// private app always and for a Service Key or static token only when its option says so.
func TestTokenKinds(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	shapes := map[sandbox.TokenKind]*regexp.Regexp{
		sandbox.KindPrivateApp:     regexp.MustCompile(`^pat-na1-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`),
		sandbox.KindServiceKey:     regexp.MustCompile(`^pat-na1-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`),
		sandbox.KindStaticAppToken: regexp.MustCompile(`^CNna1-[A-Za-z0-9_-]{43}$`),
	}
	tests := []struct {
		name       string
		kind       sandbox.TokenKind
		introspect bool
		wantInfo   int
	}{
		{"default is a private app", "", false, 200},
		{"private app ignores the option", sandbox.KindPrivateApp, false, 200},
		{"service key introspected", sandbox.KindServiceKey, true, 200},
		{"service key not introspected", sandbox.KindServiceKey, false, 401},
		{"static token introspected", sandbox.KindStaticAppToken, true, 200},
		{"static token not introspected", sandbox.KindStaticAppToken, false, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := e.sb.CreateToken(sandbox.Token{HubID: e.acct.HubID, Kind: tt.kind, Introspect: tt.introspect,
				Scopes: []string{"crm.objects.contacts.read"}, AppID: 4242})
			if err != nil {
				t.Fatal(err)
			}
			wantKind := tt.kind
			if wantKind == "" {
				wantKind = sandbox.KindPrivateApp
			}
			if tok.Kind != wantKind || !shapes[wantKind].MatchString(tok.Token) {
				t.Fatalf("kind %q token shape %q, want kind %q", tok.Kind, tok.Token[:8], wantKind)
			}
			e.doAs(tok.Token, "GET", "/crm/v3/objects/contacts", nil).want(t, 200)
			e.doAs(tok.Token, "GET", "/account-info/v3/details", nil).want(t, 200)
			e.doAs(tok.Token, "GET", "/crm/v3/objects/deals", nil).want(t, 403)
			res := e.doAs("", "POST", "/oauth/v2/private-apps/get/access-token-info", map[string]any{"tokenKey": tok.Token}).want(t, tt.wantInfo)
			if tt.wantInfo == 200 && (res.get("hubId") != float64(e.acct.HubID) || res.get("appId") != float64(4242)) {
				t.Fatalf("got %s", res.raw)
			}
			if tt.wantInfo == 401 && res.str("category") != "INVALID_AUTHENTICATION" {
				t.Fatalf("got %s", res.raw)
			}
		})
	}
	if _, err := e.sb.CreateToken(sandbox.Token{HubID: e.acct.HubID, Kind: "API_KEY"}); err == nil {
		t.Error("an unknown kind was accepted")
	}
}
