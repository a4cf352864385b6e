package connections

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/sandbox"
)

func TestTokenShape(t *testing.T) {
	tests := []struct {
		name, token string
		want        bool
	}{
		{"private app or service key", "pat-na1-0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b", true},
		{"eu private app", "pat-eu1-0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b", true},
		{"truncated pat", "pat-na1-0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4", false},
		{"pat with a longer tail", "pat-na1-0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b0000", false},
		{"static app token", "CNna1-q83vEjR4VpzH3J0Hsa1Z1Jv8Ccm4l8r_NQwv2m0vHkA", true},
		{"oauth-style opaque token", "CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4", true},
		{"too short", "eyJhIjoxfQ", false},
		{"words", "not-a-token", false},
		{"space inside", "CNna1-q83vEjR4VpzH3J0Hsa1Z1Jv8 Ccm4l8r_NQwv2m0vHkA", false},
		{"quote", "CNna1-q83vEjR4VpzH3J0Hsa1Z1Jv8\"Ccm4l8r_NQwv2m0vHkA", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validTokenShape(tt.token); got != tt.want {
				t.Errorf("validTokenShape = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestConnectEveryKindOfToken: Connect accepts each kind of token HubSpot issues, whether or
// not introspection answers for it; without introspection the account comes from account-info
// and the scopes from one call per scope.
func TestConnectEveryKindOfToken(t *testing.T) {
	noDeals := slices.DeleteFunc(sandbox.AllScopes(), func(s string) bool { return strings.HasPrefix(s, "crm.objects.deals.") })
	tests := []struct {
		name         string
		kind         sandbox.TokenKind
		introspect   bool
		scopes       []string
		introspected bool
		wantGranted  []string
		wantMissing  []string // capabilities unavailable
		wantKind     string
	}{
		{"private app", sandbox.KindPrivateApp, false, sandbox.AllScopes(), true, sortedCopy(sandbox.AllScopes()), nil, KindPrivateApp},
		// A Service Key HubSpot introspects cannot be told from a private app's token.
		{"service key introspected", sandbox.KindServiceKey, true, sandbox.AllScopes(), true, sortedCopy(sandbox.AllScopes()), nil, KindPrivateApp},
		{"service key probed", sandbox.KindServiceKey, false, sandbox.AllScopes(), false, []string{
			"crm.objects.companies.read", "crm.objects.companies.write", "crm.objects.contacts.read", "crm.objects.contacts.write",
			"crm.objects.deals.read", "crm.objects.deals.write", "crm.objects.owners.read",
			"crm.schemas.companies.read", "crm.schemas.contacts.read", "crm.schemas.deals.read"}, nil, KindServiceKey},
		{"static token introspected", sandbox.KindStaticAppToken, true, noDeals, true, sortedCopy(noDeals), []string{"READ_DEALS", "UPDATE_DEALS", "LIST_ASSOCIATIONS"}, KindStaticAppToken},
		{"static token probed without deal object scopes", sandbox.KindStaticAppToken, false, noDeals, false, []string{
			"crm.objects.companies.read", "crm.objects.companies.write", "crm.objects.contacts.read", "crm.objects.contacts.write",
			"crm.objects.owners.read", "crm.schemas.companies.read", "crm.schemas.contacts.read", "crm.schemas.deals.read"}, []string{"READ_DEALS", "UPDATE_DEALS", "LIST_ASSOCIATIONS"}, KindStaticAppToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, sb, acct, _ := newManager(t)
			ctx := context.Background()
			tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Kind: tt.kind, Introspect: tt.introspect, Scopes: tt.scopes})
			if err != nil {
				t.Fatal(err)
			}
			sb.ResetCounters()
			c, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "HubSpot", AccessToken: tok.Token})
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			if c.HubID != acct.HubID || c.AccountTimeZone != "America/New_York" {
				t.Errorf("hub %d tz %q, want %d America/New_York", c.HubID, c.AccountTimeZone, acct.HubID)
			}
			wantApp := tok.AppID
			if !tt.introspected {
				wantApp = 0 // HubSpot names the app nowhere but in introspection
			}
			if c.CredentialKind != tt.wantKind || !c.CredentialsUpdateTime.Equal(c.CreateTime) {
				t.Errorf("credential kind %q set %v, want %q set at creation %v", c.CredentialKind, c.CredentialsUpdateTime, tt.wantKind, c.CreateTime)
			}
			if c.AppID != wantApp {
				t.Errorf("app id = %d, want %d", c.AppID, wantApp)
			}
			if diff := cmp.Diff(tt.wantGranted, c.GrantedScopes); diff != "" {
				t.Errorf("granted scopes (-want +got):\n%s", diff)
			}
			// Introspection + account-info; without introspection, one request per probed
			// scope, less the schema probes an object read already answered.
			wantRequests := 2
			if !tt.introspected {
				wantRequests += len(scopeProbes) - len(impliedBy)
				if !slices.Contains(tt.scopes, "crm.objects.deals.read") {
					wantRequests++ // the deal schema probe runs
				}
			}
			requests := 0
			for _, byStatus := range sb.Counters().Requests {
				for _, n := range byStatus {
					requests += n
				}
			}
			if requests != wantRequests {
				t.Errorf("Connect made %d requests, want %d", requests, wantRequests)
			}

			d, err := m.Test(ctx, resname.Connection{Workspace: "acme", ID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			if !d.TokenValid || d.Introspected != tt.introspected {
				t.Errorf("token valid %v introspected %v, want true %v", d.TokenValid, d.Introspected, tt.introspected)
			}
			var unavailable []string
			for _, cs := range d.Scopes.Capabilities {
				if !cs.Available {
					unavailable = append(unavailable, cs.ID)
				}
			}
			if diff := cmp.Diff(tt.wantMissing, unavailable); diff != "" {
				t.Errorf("unavailable capabilities (-want +got):\n%s", diff)
			}
			wantIntrospected, wantProbed := []string{"hub_id", "app_id", "scopes"}, []string(nil)
			if !tt.introspected {
				wantIntrospected, wantProbed = nil, []string{"hub_id", "time_zone", "scopes"}
			}
			if diff := cmp.Diff(wantIntrospected, d.IntrospectedFacts); diff != "" {
				t.Errorf("introspected facts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantProbed, d.ProbedFacts); diff != "" {
				t.Errorf("probed facts (-want +got):\n%s", diff)
			}
			var wantUnverified []string
			if !tt.introspected {
				wantUnverified = []string{"crm.schemas.appointments.read", "crm.schemas.contacts.write", "sales-email-read", "timeline"}
			}
			if diff := cmp.Diff(wantUnverified, d.Scopes.Unverified); diff != "" {
				t.Errorf("unverified scopes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProbedTokenMissingRequiredScope: a token HubSpot will not introspect is still refused
// when a probe proves a required scope missing.
func TestProbedTokenMissingRequiredScope(t *testing.T) {
	m, _, sb, acct, _ := newManager(t)
	tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Kind: sandbox.KindServiceKey, Scopes: sandbox.ScopesWithout("companies")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Connect(context.Background(), ConnectRequest{Workspace: "acme", DisplayName: "HubSpot", AccessToken: tok.Token})
	var missing *MissingScopesError
	if !errors.As(err, &missing) {
		t.Fatalf("err = %v, want MissingScopesError", err)
	}
	var names []string
	for _, s := range missing.Missing {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"crm.objects.companies.read", "crm.objects.companies.write", "crm.schemas.companies.read"}, names); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if missing.Kind != KindServiceKey {
		t.Errorf("kind = %q, want %q: the remedy gives that kind's way to add scopes", missing.Kind, KindServiceKey)
	}
}

// TestScopeRemedyPerKind: TestConnection says how to add a missing scope to the connection's
// kind of token, each kind its own way.
func TestScopeRemedyPerKind(t *testing.T) {
	const then = ", then run Test Connection here (or Update Credentials if HubSpot shows a new token)"
	tests := []struct {
		kind       sandbox.TokenKind
		introspect bool
		want       string
	}{
		{sandbox.KindPrivateApp, true, "In HubSpot open Settings → Integrations → Private Apps → your app → Scopes, add crm.objects.owners.read and commit the changes" + then},
		{sandbox.KindServiceKey, false, "In HubSpot open Development → Keys → Service keys → your key, add crm.objects.owners.read to its scopes and save" + then},
		{sandbox.KindStaticAppToken, false, "Add crm.objects.owners.read to the scopes in your project app's configuration, upload the project, " +
			"then reinstall the app in this HubSpot account (its Distribution tab)" + then},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			m, _, sb, acct, _ := newManager(t)
			ctx := context.Background()
			tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Kind: tt.kind, Introspect: tt.introspect, Scopes: sandbox.ScopesWithout("owners")})
			if err != nil {
				t.Fatal(err)
			}
			c, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "HubSpot", AccessToken: tok.Token})
			if err != nil {
				t.Fatal(err)
			}
			d, err := m.Test(ctx, resname.Connection{Workspace: c.Workspace, ID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			remedies := map[string]string{}
			for _, p := range d.Problems {
				remedies[p.Code] = p.Remedy
			}
			want := map[string]string{"HUBSPOT_MISSING_RECOMMENDED_SCOPE": tt.want, "CAPABILITY_UNAVAILABLE": tt.want}
			if diff := cmp.Diff(want, remedies); diff != "" {
				t.Errorf("the problems' remedies (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUpdateCredentialsAcrossKindsAndAccounts: rotating to another kind of token of the same
// account works; a token of another account is refused whether its account was introspected
// or read from account-info.
func TestUpdateCredentialsAcrossKindsAndAccounts(t *testing.T) {
	m, _, sb, acct, _ := newManager(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	ctx := context.Background()
	other, err := sb.CreateAccount(sandbox.Account{})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	c, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "HubSpot", AccessToken: first.Token})
	if err != nil {
		t.Fatal(err)
	}
	name := resname.Connection{Workspace: "acme", ID: c.ID}
	tests := []struct {
		name       string
		hub        int64
		kind       sandbox.TokenKind
		introspect bool
		wantGot    int64 // 0: accepted
		wantKind   string
	}{
		{"other account, introspected", other.HubID, sandbox.KindPrivateApp, false, other.HubID, ""},
		{"other account, probed", other.HubID, sandbox.KindServiceKey, false, other.HubID, ""},
		{"same account, static token probed", acct.HubID, sandbox.KindStaticAppToken, false, 0, KindStaticAppToken},
		{"same account, service key probed", acct.HubID, sandbox.KindServiceKey, false, 0, KindServiceKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := sb.CreateToken(sandbox.Token{HubID: tt.hub, Kind: tt.kind, Introspect: tt.introspect, Scopes: sandbox.AllScopes()})
			if err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Minute)
			got, err := m.UpdateCredentials(ctx, name, tok.Token)
			if tt.wantGot != 0 {
				var mismatch *AccountMismatchError
				if !errors.As(err, &mismatch) || mismatch.Got != tt.wantGot || mismatch.Want != acct.HubID {
					t.Fatalf("err = %v, want AccountMismatchError %d→%d", err, acct.HubID, tt.wantGot)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.HubID != acct.HubID || got.TokenHint != tok.Token[len(tok.Token)-4:] {
				t.Errorf("hub %d hint %q", got.HubID, got.TokenHint)
			}
			if got.CredentialKind != tt.wantKind || !got.CredentialsUpdateTime.After(c.CredentialsUpdateTime) {
				t.Errorf("credential kind %q set %v, want %q set after %v", got.CredentialKind, got.CredentialsUpdateTime, tt.wantKind, c.CredentialsUpdateTime)
			}
		})
	}
}

// TestRevokedTokenNotIntrospectedIsInvalid: a refused introspection followed by a refused
// account-info is a bad token, not a kind introspection does not know.
func TestRevokedTokenNotIntrospectedIsInvalid(t *testing.T) {
	m, _, sb, acct, _ := newManager(t)
	tok, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Kind: sandbox.KindStaticAppToken, Scopes: sandbox.AllScopes()})
	if err := sb.RevokeToken(tok.Token); err != nil {
		t.Fatal(err)
	}
	_, err := m.Connect(context.Background(), ConnectRequest{Workspace: "acme", DisplayName: "HubSpot", AccessToken: tok.Token})
	if !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("err = %v, want ErrTokenInvalid", err)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}

// TestRotationAdvice: past 180 days since the token was set, TestConnection reports the
// rotation steps of the token's kind and the connection is DEGRADED with them; a rotation
// clears it.
func TestRotationAdvice(t *testing.T) {
	tests := []struct {
		kind       sandbox.TokenKind
		introspect bool
		wantSteps  string
	}{
		{sandbox.KindPrivateApp, false, "Private Apps → your app → Auth → Rotate"},
		{sandbox.KindServiceKey, false, "Development → Keys → Service keys"},
		{sandbox.KindStaticAppToken, false, "Distribution tab"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			m, _, sb, acct, _ := newManager(t)
			now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
			m.now = func() time.Time { return now }
			ctx := context.Background()
			tok, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Kind: tt.kind, Introspect: tt.introspect, Scopes: sandbox.AllScopes()})
			c, err := m.Connect(ctx, ConnectRequest{Workspace: "acme", DisplayName: "HubSpot", AccessToken: tok.Token})
			if err != nil {
				t.Fatal(err)
			}
			name := resname.Connection{Workspace: "acme", ID: c.ID}
			codes := func() ([]string, *Diagnosis) {
				t.Helper()
				d, err := m.Test(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, p := range d.Problems {
					out = append(out, p.Code)
				}
				return out, d
			}
			now = now.Add(RotationAdvisedAfter)
			if got, _ := codes(); len(got) != 0 {
				t.Errorf("at exactly 180 days: problems %v, want none", got)
			}
			now = now.Add(time.Hour)
			got, d := codes()
			if diff := cmp.Diff([]string{"CREDENTIALS_ROTATION_DUE"}, got); diff != "" {
				t.Fatalf("after 180 days (-want +got):\n%s", diff)
			}
			if p := d.Problems[0]; !strings.Contains(p.Remedy, tt.wantSteps) || !strings.Contains(p.Message, "180 days ago (2026-01-10)") {
				t.Errorf("problem = %+v, want the steps %q", p, tt.wantSteps)
			}
			if d.Connection.Status != StatusDegraded || !strings.Contains(d.Connection.StatusReason, tt.wantSteps) {
				t.Errorf("connection %s %q, want DEGRADED with the steps", d.Connection.Status, d.Connection.StatusReason)
			}
			fresh, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Kind: tt.kind, Introspect: tt.introspect, Scopes: sandbox.AllScopes()})
			if _, err := m.UpdateCredentials(ctx, name, fresh.Token); err != nil {
				t.Fatal(err)
			}
			if got, d := codes(); len(got) != 0 || d.Connection.Status != StatusConnected {
				t.Errorf("after rotation: problems %v status %s, want none CONNECTED", got, d.Connection.Status)
			}
		})
	}
}
