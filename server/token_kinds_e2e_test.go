package main

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// TestConnectWithEveryKindOfToken: the guide's flow (Connect, TestConnection, a write) works
// over gRPC and REST with a legacy private-app token, a Service Key and a static app token,
// whether or not HubSpot's token introspection answers for the last two. Without it the
// scopes are probed, so the scopes no call can prove are not listed as granted.
func TestConnectWithEveryKindOfToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	tests := []struct {
		name       string
		kind       sandbox.TokenKind
		introspect bool
		wantKind   integrationsv1.CredentialKind
	}{
		{"private app", sandbox.KindPrivateApp, false, integrationsv1.CredentialKind_CREDENTIAL_KIND_PRIVATE_APP},
		// HubSpot's answers cannot tell an introspected Service Key from a private app's token.
		{"service key introspected", sandbox.KindServiceKey, true, integrationsv1.CredentialKind_CREDENTIAL_KIND_PRIVATE_APP},
		{"service key not introspected", sandbox.KindServiceKey, false, integrationsv1.CredentialKind_CREDENTIAL_KIND_SERVICE_KEY},
		{"static token introspected", sandbox.KindStaticAppToken, true, integrationsv1.CredentialKind_CREDENTIAL_KIND_STATIC_APP_TOKEN},
		{"static token not introspected", sandbox.KindStaticAppToken, false, integrationsv1.CredentialKind_CREDENTIAL_KIND_STATIC_APP_TOKEN},
	}
	for i, tt := range tests {
		introspected := tt.kind == sandbox.KindPrivateApp || tt.introspect
		for _, transport := range []string{"grpc", "rest"} {
			t.Run(tt.name+"/"+transport, func(t *testing.T) {
				tok, err := ts.sb.CreateToken(sandbox.Token{HubID: ts.acct.HubID, Kind: tt.kind, Introspect: tt.introspect, Scopes: sandbox.AllScopes()})
				if err != nil {
					t.Fatal(err)
				}
				display := fmt.Sprintf("HubSpot %d %s", i, transport)
				var name string
				var granted, introspectedFacts, probedFacts []string
				wantIntrospected, wantProbed := []string{"hub_id", "app_id", "scopes"}, []string(nil)
				if !introspected {
					wantIntrospected, wantProbed = nil, []string{"hub_id", "time_zone", "scopes"}
				}
				if transport == "grpc" {
					conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: display, AccessToken: tok.Token})
					if err != nil {
						t.Fatalf("Connect: %v", err)
					}
					if conn.GetHubId() != ts.acct.HubID || conn.GetAccountTimeZone() != "America/New_York" ||
						conn.GetCredentialKind() != tt.wantKind || !conn.GetCredentialsUpdateTime().AsTime().Equal(conn.GetCreateTime().AsTime()) {
						t.Errorf("connection = %v", conn)
					}
					diag, err := c.TestConnection(ctx, &integrationsv1.TestConnectionRequest{Name: conn.GetName()})
					if err != nil || !diag.GetTokenValid() || len(diag.GetMissingRequiredScopes()) != 0 {
						t.Fatalf("TestConnection = %v, %v", diag, err)
					}
					name, granted = conn.GetName(), diag.GetGrantedScopes()
					introspectedFacts, probedFacts = diag.GetIntrospectedFacts(), diag.GetProbedFacts()
				} else {
					r := ts.do(t, "POST", "/v1/workspaces/acme/connections", ts.keys["acme"],
						fmt.Sprintf(`{"displayName":%q,"accessToken":%q}`, display, tok.Token))
					if r.code != 200 || r.body["hubId"] != fmt.Sprint(ts.acct.HubID) || r.body["credentialKind"] != tt.wantKind.String() ||
						r.body["credentialsUpdateTime"] != r.body["createTime"] {
						t.Fatalf("REST Connect = %d %s", r.code, r.raw)
					}
					name, _ = r.body["name"].(string)
					d := ts.do(t, "POST", "/v1/"+name+":test", ts.keys["acme"], `{}`)
					if d.code != 200 || d.body["tokenValid"] != true {
						t.Fatalf("REST TestConnection = %d %s", d.code, d.raw)
					}
					granted = strs(d.body["grantedScopes"])
					introspectedFacts, probedFacts = strs(d.body["introspectedFacts"]), strs(d.body["probedFacts"])
				}
				if diff := cmp.Diff(wantIntrospected, introspectedFacts); diff != "" {
					t.Errorf("introspected facts (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(wantProbed, probedFacts); diff != "" {
					t.Errorf("probed facts (-want +got):\n%s", diff)
				}
				if got := slices.Contains(granted, "timeline"); got != introspected {
					t.Errorf("timeline listed as granted = %v, want %v (introspected %v)", got, introspected, introspected)
				}
				if !slices.Contains(granted, "crm.objects.contacts.write") {
					t.Errorf("granted scopes %v lack crm.objects.contacts.write", granted)
				}
				_, err = c.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{Connection: name, RequestId: fmt.Sprintf("up-%d-%s", i, transport),
					Email: fmt.Sprintf("kind%d-%s@example.com", i, transport), Properties: map[string]*structpb.Value{"firstname": structpb.NewStringValue("Ada")}})
				if err != nil {
					t.Errorf("UpsertContact through the connection: %v", err)
				}
			})
		}
	}
}

// TestUpdateCredentialsRefusesAnotherAccountWithoutIntrospection: the hub id of a token that
// introspection refuses comes from account-info, and a rotation to another account's token is
// refused either way.
func TestUpdateCredentialsRefusesAnotherAccountWithoutIntrospection(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	key, _ := ts.sb.CreateToken(sandbox.Token{HubID: ts.acct.HubID, Kind: sandbox.KindServiceKey, Scopes: sandbox.AllScopes()})
	conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Service key", AccessToken: key.Token})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ts.sb.CreateAccount(sandbox.Account{Tier: sandbox.TierFree})
	for _, kind := range []sandbox.TokenKind{sandbox.KindPrivateApp, sandbox.KindServiceKey, sandbox.KindStaticAppToken} {
		otherTok, _ := ts.sb.CreateToken(sandbox.Token{HubID: other.HubID, Kind: kind, Scopes: sandbox.AllScopes()})
		_, err = c.UpdateCredentials(ctx, &integrationsv1.UpdateCredentialsRequest{Name: conn.GetName(), AccessToken: otherTok.Token})
		if e := client.ErrorDetails(err); e == nil || e.Code != codes.FailedPrecondition || e.Reason != "HUBSPOT_ACCOUNT_MISMATCH" ||
			e.Metadata["connection_hub_id"] != fmt.Sprint(ts.acct.HubID) || e.Metadata["token_hub_id"] != fmt.Sprint(other.HubID) {
			t.Errorf("%s of another account over gRPC: %+v", kind, e)
		}
		r := ts.do(t, "POST", "/v1/"+conn.GetName()+":updateCredentials", ts.keys["acme"], fmt.Sprintf(`{"accessToken":%q}`, otherTok.Token))
		if r.code != 400 || reasonOf(r.body) != "HUBSPOT_ACCOUNT_MISMATCH" {
			t.Errorf("%s of another account over REST = %d %s", kind, r.code, r.raw)
		}
	}
	// A static token of the same account is accepted.
	static, _ := ts.sb.CreateToken(sandbox.Token{HubID: ts.acct.HubID, Kind: sandbox.KindStaticAppToken, Scopes: sandbox.AllScopes()})
	rotated, err := c.UpdateCredentials(ctx, &integrationsv1.UpdateCredentialsRequest{Name: conn.GetName(), AccessToken: static.Token})
	if err != nil || rotated.GetTokenHint() != static.Token[len(static.Token)-4:] {
		t.Fatalf("UpdateCredentials to a static token = %v, %v", rotated, err)
	}
}

// strs reads a JSON array of strings; absent is nil.
func strs(v any) []string {
	var out []string
	for _, s := range asSlice(v) {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
