package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// connectOutcome is what one Connect attempt should produce.
type connectOutcome struct {
	code     codes.Code
	httpCode int
	reason   string
	field    string   // the field violation expected on INVALID_ARGUMENT
	scopes   []string // the PreconditionFailure subjects expected on HUBSPOT_MISSING_SCOPES
}

// TestConnectOutcomes runs every Connect outcome over gRPC (typed client) and REST against
// the sandbox, and checks that nothing is stored when Connect fails.
func TestConnectOutcomes(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	revoked := ts.newToken(t, sandbox.AllScopes())
	if err := ts.sb.RevokeToken(revoked); err != nil {
		t.Fatal(err)
	}
	noDeals := ts.newToken(t, sandbox.ScopesWithout("deals"))
	noCompanyWrite := ts.newToken(t, without(sandbox.AllScopes(), "crm.objects.companies.write", "crm.schemas.contacts.write"))
	cases := []struct {
		name  string
		token string
		want  connectOutcome
	}{
		{"malformed token", "not-a-token", connectOutcome{code: codes.InvalidArgument, httpCode: 400, reason: "INVALID_ARGUMENT", field: "access_token"}},
		{"truncated token", ts.token[:len(ts.token)-3], connectOutcome{code: codes.InvalidArgument, httpCode: 400, reason: "INVALID_ARGUMENT", field: "access_token"}},
		{"unknown token", "pat-na1-00000000-0000-4000-8000-000000000000", connectOutcome{code: codes.FailedPrecondition, httpCode: 400, reason: "HUBSPOT_TOKEN_INVALID"}},
		{"revoked token", revoked, connectOutcome{code: codes.FailedPrecondition, httpCode: 400, reason: "HUBSPOT_TOKEN_INVALID"}},
		{"missing deal scopes", noDeals, connectOutcome{code: codes.FailedPrecondition, httpCode: 400, reason: "HUBSPOT_MISSING_SCOPES", scopes: []string{"crm.schemas.deals.read"}}},
		{"missing two required scopes", noCompanyWrite, connectOutcome{code: codes.FailedPrecondition, httpCode: 400, reason: "HUBSPOT_MISSING_SCOPES",
			scopes: []string{"crm.objects.companies.write", "crm.schemas.contacts.write"}}},
	}
	c := ts.client(t, ts.keys["acme"])
	for _, tc := range cases {
		t.Run(tc.name+"/grpc", func(t *testing.T) {
			_, err := c.Connect(context.Background(), &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Production HubSpot", AccessToken: tc.token})
			checkOutcome(t, client.ErrorDetails(err), tc.want)
			if strings.Contains(fmt.Sprint(err), tc.token) {
				t.Errorf("the error repeats the token: %v", err)
			}
		})
		t.Run(tc.name+"/rest", func(t *testing.T) {
			r := ts.do(t, "POST", "/v1/workspaces/acme/connections", ts.keys["acme"],
				fmt.Sprintf(`{"displayName":"Production HubSpot","accessToken":%q}`, tc.token))
			if r.code != tc.want.httpCode || reasonOf(r.body) != tc.want.reason {
				t.Errorf("HTTP %d %s; want %d %s", r.code, r.raw, tc.want.httpCode, tc.want.reason)
			}
			if strings.Contains(r.raw, tc.token) {
				t.Errorf("the response repeats the token: %s", r.raw)
			}
		})
	}
	list, err := c.ListConnections(context.Background(), &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"})
	if err != nil || len(list.GetConnections()) != 0 {
		t.Errorf("after failed Connects: %d connections stored, %v; want none", len(list.GetConnections()), err)
	}
	if n := ts.sb.Counters().Requests; requestsTo(n, "access-token-info") != 2*4 {
		t.Errorf("HubSpot saw %d introspections; want 8 (malformed tokens must never be sent)", requestsTo(n, "access-token-info"))
	}
}

func checkOutcome(t *testing.T, e *client.Error, want connectOutcome) {
	t.Helper()
	if e == nil || e.Code != want.code || e.Reason != want.reason {
		t.Fatalf("error = %+v; want %v %s", e, want.code, want.reason)
	}
	if want.field != "" && (len(e.FieldViolations) != 1 || e.FieldViolations[0].Field != want.field || !strings.Contains(e.FieldViolations[0].Description, "pat-na1-")) {
		t.Errorf("field violations = %+v; want one on %s showing the token's shape", e.FieldViolations, want.field)
	}
	if want.scopes != nil {
		var got []string
		for _, v := range e.PreconditionViolations {
			got = append(got, v.Subject)
			if v.Type != "HUBSPOT_SCOPE" || !strings.Contains(v.Description, "Private Apps") {
				t.Errorf("violation %+v does not say how to add the scope", v)
			}
		}
		if d := cmp.Diff(want.scopes, got); d != "" {
			t.Errorf("missing scopes (-want +got):\n%s", d)
		}
	}
	if strings.TrimSpace(e.Message) == "" {
		t.Error("empty message")
	}
}

// requestsTo sums the sandbox's request counts of endpoints containing part.
func requestsTo(byEndpoint map[string]map[int]int, part string) int {
	n := 0
	for ep, byStatus := range byEndpoint {
		if strings.Contains(ep, part) {
			for _, c := range byStatus {
				n += c
			}
		}
	}
	return n
}

func without(scopes []string, drop ...string) []string {
	var out []string
	for _, s := range scopes {
		keep := true
		for _, d := range drop {
			keep = keep && s != d
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

func TestConnectSucceedsAndLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])

	conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Production HubSpot", AccessToken: ts.token, RequestId: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	if conn.GetStatus() != integrationsv1.ConnectionStatus_CONNECTION_STATUS_CONNECTED || conn.GetHubId() != ts.acct.HubID ||
		conn.GetAccountTier() != integrationsv1.AccountTier_ACCOUNT_TIER_PROFESSIONAL || conn.GetTokenHint() != ts.token[len(ts.token)-4:] ||
		len(conn.GetGrantedScopes()) != len(sandbox.AllScopes()) || conn.GetFieldsDiscoveredAt() == nil || !strings.HasPrefix(conn.GetName(), "workspaces/acme/connections/production-hubspot-") {
		t.Fatalf("Connect = %v", conn)
	}
	// The same request_id again: the same connection, and HubSpot is not asked again.
	before := requestsTo(ts.sb.Counters().Requests, "access-token-info")
	again, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Production HubSpot", AccessToken: ts.token, RequestId: "req-1"})
	if err != nil || again.GetName() != conn.GetName() || requestsTo(ts.sb.Counters().Requests, "access-token-info") != before {
		t.Errorf("replayed Connect = %v, %v; want the first connection without a HubSpot call", again.GetName(), err)
	}
	// A second connection of the same workspace under another name is normal; a taken name is not.
	if _, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Sandbox HubSpot", ConnectionId: "sandbox", AccessToken: ts.newToken(t, sandbox.AllScopes())}); err != nil {
		t.Fatalf("second connection: %v", err)
	}
	_, err = c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Production HubSpot", AccessToken: ts.token})
	if e := client.ErrorDetails(err); e.Code != codes.AlreadyExists || e.Reason != "CONNECTION_NAME_TAKEN" {
		t.Errorf("duplicate display name: %+v", e)
	}
	_, err = c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Other", ConnectionId: "sandbox", AccessToken: ts.token})
	if e := client.ErrorDetails(err); e.Code != codes.AlreadyExists || e.Reason != "CONNECTION_ID_TAKEN" {
		t.Errorf("duplicate connection id: %+v", e)
	}

	// TestConnection: a full diagnosis with the account's limits.
	diag, err := c.TestConnection(ctx, &integrationsv1.TestConnectionRequest{Name: conn.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if !diag.GetReachable() || !diag.GetTokenValid() || len(diag.GetProblems()) != 0 || diag.GetLatency() == nil ||
		diag.GetConnection().GetStatus() != integrationsv1.ConnectionStatus_CONNECTION_STATUS_CONNECTED ||
		diag.GetRateLimit().GetIntervalMax() != 190 || diag.GetRateLimit().GetDailyMax() != 625000 || diag.GetRateLimit().GetDailyRemaining() <= 0 ||
		diag.GetRateLimit().GetInterval().AsDuration() != 10*time.Second || diag.GetRateLimit().GetDailyResetTime() == nil {
		t.Errorf("TestConnection = %v", diag)
	}
	for _, capa := range diag.GetCapabilities() {
		if !capa.GetAvailable() {
			t.Errorf("capability %s unavailable with every scope granted", capa.GetId())
		}
	}

	// Rotation to another token of the same account.
	newToken := ts.newToken(t, sandbox.AllScopes())
	rotated, err := c.UpdateCredentials(ctx, &integrationsv1.UpdateCredentialsRequest{Name: conn.GetName(), AccessToken: newToken})
	if err != nil || rotated.GetTokenHint() != newToken[len(newToken)-4:] || rotated.GetHubId() != ts.acct.HubID {
		t.Fatalf("UpdateCredentials = %v, %v", rotated, err)
	}
	// The old token is revoked in HubSpot: the connection must now use the new one.
	ts.sb.RevokeToken(ts.token)
	if diag, err := c.TestConnection(ctx, &integrationsv1.TestConnectionRequest{Name: conn.GetName()}); err != nil || !diag.GetTokenValid() {
		t.Errorf("after rotation the connection does not use the new token: %v, %v", diag, err)
	}
	// Rotation to a token of another HubSpot account is refused.
	other, _ := ts.sb.CreateAccount(sandbox.Account{Tier: sandbox.TierFree})
	otherTok, _ := ts.sb.CreateToken(sandbox.Token{HubID: other.HubID, Scopes: sandbox.AllScopes()})
	_, err = c.UpdateCredentials(ctx, &integrationsv1.UpdateCredentialsRequest{Name: conn.GetName(), AccessToken: otherTok.Token})
	if e := client.ErrorDetails(err); e.Code != codes.FailedPrecondition || e.Reason != "HUBSPOT_ACCOUNT_MISMATCH" ||
		e.Metadata["connection_hub_id"] != fmt.Sprint(ts.acct.HubID) || e.Metadata["token_hub_id"] != fmt.Sprint(other.HubID) {
		t.Errorf("rotation to another account: %+v", e)
	}
	// The REST gateway offers the same.
	r := ts.do(t, "POST", "/v1/"+conn.GetName()+":updateCredentials", ts.keys["acme"], fmt.Sprintf(`{"accessToken":%q}`, otherTok.Token))
	if r.code != 400 || reasonOf(r.body) != "HUBSPOT_ACCOUNT_MISMATCH" {
		t.Errorf("REST rotation to another account = %d %s", r.code, r.raw)
	}
	if r := ts.do(t, "POST", "/v1/"+conn.GetName()+":test", ts.keys["acme"], `{}`); r.code != 200 || r.body["tokenValid"] != true {
		t.Errorf("REST TestConnection = %d %s", r.code, r.raw)
	}

	// Delete: gone, a second delete is NOT_FOUND, a retry with the same request_id is not.
	if _, err := c.DeleteConnection(ctx, &integrationsv1.DeleteConnectionRequest{Name: conn.GetName(), RequestId: "del-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteConnection(ctx, &integrationsv1.DeleteConnectionRequest{Name: conn.GetName(), RequestId: "del-1"}); err != nil {
		t.Errorf("retried delete with its request_id: %v", err)
	}
	_, err = c.DeleteConnection(ctx, &integrationsv1.DeleteConnectionRequest{Name: conn.GetName()})
	if e := client.ErrorDetails(err); e.Code != codes.NotFound {
		t.Errorf("second delete: %+v", e)
	}
	if r := ts.do(t, "DELETE", "/v1/workspaces/acme/connections/sandbox", ts.keys["acme"], ""); r.code != 200 {
		t.Errorf("REST delete = %d %s", r.code, r.raw)
	}
	if r := ts.do(t, "GET", "/v1/workspaces/acme/connections/sandbox", ts.keys["acme"], ""); r.code != 404 {
		t.Errorf("REST get after delete = %d %s", r.code, r.raw)
	}
}

func TestMissingRecommendedScopesConnectDegraded(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	// The guide's minimum only: no deal object scopes, no recommended scopes.
	minimum := []string{"crm.objects.companies.read", "crm.objects.companies.write", "crm.objects.contacts.write", "crm.schemas.appointments.read",
		"crm.schemas.companies.read", "crm.schemas.contacts.read", "crm.schemas.contacts.write", "crm.schemas.deals.read"}
	conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Minimal", AccessToken: ts.newToken(t, minimum)})
	if err != nil {
		t.Fatalf("a token with the guide's minimum must connect: %v", err)
	}
	diag, err := c.TestConnection(ctx, &integrationsv1.TestConnectionRequest{Name: conn.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if diag.GetConnection().GetStatus() != integrationsv1.ConnectionStatus_CONNECTION_STATUS_DEGRADED || diag.GetConnection().GetStatusReason() == "" {
		t.Errorf("status = %v (%q), want DEGRADED with a reason", diag.GetConnection().GetStatus(), diag.GetConnection().GetStatusReason())
	}
	if fmt.Sprint(diag.GetMissingRecommendedScopes()) != "[timeline crm.objects.owners.read sales-email-read]" || len(diag.GetMissingRequiredScopes()) != 0 {
		t.Errorf("missing scopes: required %v, recommended %v", diag.GetMissingRequiredScopes(), diag.GetMissingRecommendedScopes())
	}
	unavailable := map[string][]string{}
	for _, capa := range diag.GetCapabilities() {
		if !capa.GetAvailable() {
			unavailable[capa.GetId()] = capa.GetMissingScopes()
		}
	}
	want := map[string]string{"READ_DEALS": "[crm.objects.deals.read]", "UPDATE_DEALS": "[crm.objects.deals.write]", "READ_CONTACTS": "[crm.objects.contacts.read]",
		"LOG_ACTIVITIES": "[crm.objects.contacts.read]", "LIST_ASSOCIATIONS": "[crm.objects.contacts.read crm.objects.deals.read]",
		"RESOLVE_OWNERS": "[crm.objects.owners.read]"}
	for id, scopes := range want {
		if fmt.Sprint(unavailable[id]) != scopes {
			t.Errorf("capability %s lacks %v, want %s", id, unavailable[id], scopes)
		}
	}
	if len(unavailable) != len(want) {
		t.Errorf("unavailable capabilities = %v, want exactly %v", unavailable, want)
	}
	for _, p := range diag.GetProblems() {
		if p.GetCode() == "" || p.GetMessage() == "" || !strings.Contains(p.GetRemedy(), "Private Apps") {
			t.Errorf("problem without a code, message or remedy: %v", p)
		}
	}
}

func TestHubSpotDownAndRevokedAfterConnect(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Prod", AccessToken: ts.token})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.sb.AddFault(sandbox.FaultRule{Path: "/", Outage: time.Minute}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "During outage", AccessToken: ts.newToken(t, sandbox.AllScopes())})
	if e := client.ErrorDetails(err); e.Code != codes.Unavailable || e.Reason != "HUBSPOT_UNAVAILABLE" {
		t.Errorf("Connect while HubSpot is down: %+v", e)
	}
	diag, err := c.TestConnection(ctx, &integrationsv1.TestConnectionRequest{Name: conn.GetName()})
	if err != nil || diag.GetReachable() || diag.GetConnection().GetStatus() != integrationsv1.ConnectionStatus_CONNECTION_STATUS_ERROR ||
		len(diag.GetProblems()) != 1 || diag.GetProblems()[0].GetCode() != "HUBSPOT_UNAVAILABLE" {
		t.Errorf("TestConnection while HubSpot is down = %v, %v", diag, err)
	}
	ts.sb.ClearFaults()
	list, _ := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"})
	if len(list.GetConnections()) != 1 {
		t.Errorf("%d connections after the outage; the failed Connect must store nothing", len(list.GetConnections()))
	}
	ts.sb.RevokeToken(ts.token)
	diag, err = c.TestConnection(ctx, &integrationsv1.TestConnectionRequest{Name: conn.GetName()})
	if err != nil || !diag.GetReachable() || diag.GetTokenValid() || diag.GetConnection().GetStatus() != integrationsv1.ConnectionStatus_CONNECTION_STATUS_ERROR ||
		diag.GetProblems()[0].GetCode() != "HUBSPOT_TOKEN_INVALID" || !strings.Contains(diag.GetProblems()[0].GetRemedy(), "whole access token") {
		t.Errorf("TestConnection with a revoked token = %v, %v", diag, err)
	}
}
