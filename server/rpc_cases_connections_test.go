package main

import (
	"slices"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// connection is the Connection that connecting the case's HubSpot account with token as acme's
// connection id "prod" shows, as the sandbox knows the account and the token (times aside).
func (e *rpcEnv) connection(displayName, token string) *integrationsv1.Connection {
	e.t.Helper()
	var appID int64
	for _, tok := range e.ts.sb.Tokens(e.ts.acct.HubID) {
		if tok.Token == token {
			appID = tok.AppID
		}
	}
	if appID == 0 {
		e.t.Fatalf("the sandbox does not know the token %s", token)
	}
	return &integrationsv1.Connection{Name: "workspaces/acme/connections/prod", DisplayName: displayName,
		Provider: integrationsv1.Provider_PROVIDER_HUBSPOT, Status: integrationsv1.ConnectionStatus_CONNECTION_STATUS_CONNECTED,
		HubId: e.ts.acct.HubID, AppId: appID, AccountTier: integrationsv1.AccountTier_ACCOUNT_TIER_PROFESSIONAL,
		AccountTimeZone: e.ts.acct.TimeZone, GrantedScopes: slices.Sorted(slices.Values(sandbox.AllScopes())),
		TokenHint: token[len(token)-4:], CredentialKind: integrationsv1.CredentialKind_CREDENTIAL_KIND_PRIVATE_APP}
}

// healthyCapabilities are what TestConnection reports of a token with every scope.
func healthyCapabilities() []*integrationsv1.Capability {
	var out []*integrationsv1.Capability
	for _, c := range []struct{ id, description string }{
		{"DISCOVER_CONTACT_FIELDS", "Discover contact fields"}, {"DISCOVER_COMPANY_FIELDS", "Discover company fields"},
		{"DISCOVER_DEAL_FIELDS", "Discover deal fields"}, {"UPSERT_CONTACTS", "Create and update contacts"},
		{"READ_CONTACTS", "Read and search contacts"}, {"READ_COMPANIES", "Read and search companies"},
		{"UPDATE_COMPANIES", "Update companies"}, {"READ_DEALS", "Read and search deals"},
		{"UPDATE_DEALS", "Update deals (for example their stage)"}, {"LOG_ACTIVITIES", "Log calls, messages and notes on contact timelines"},
		{"LIST_ASSOCIATIONS", "Find a contact's companies and deals"},
		{"RESOLVE_OWNERS", "Assign records to owners by email, refusing unknown and archived owners, and route conditions on an owner's email or teams"},
	} {
		out = append(out, &integrationsv1.Capability{Id: c.id, Description: c.description, Available: true})
	}
	return out
}

// connectionTimes are the fields of a Connection the server stamps at each change.
var connectionTimes = protocmp.IgnoreFields(&integrationsv1.Connection{}, "create_time", "update_time", "fields_discovered_at", "credentials_update_time")

// connectionCases are the table's cases of the connections and their audit log.
var connectionCases = []rpcCase{
	{
		rpc: "Connect", name: "a valid token connects the account",
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Production HubSpot", ConnectionId: "prod", AccessToken: e.ts.token}
		},
		want:   func(e *rpcEnv) proto.Message { return e.connection("Production HubSpot", e.ts.token) },
		ignore: []cmp.Option{connectionTimes},
	},
	{
		rpc: "Connect", name: "a value that is no kind of HubSpot token", wantErr: invalid("INVALID_ARGUMENT", "access_token"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Production HubSpot", AccessToken: "not-a-token"}
		},
	},
	{
		rpc: "Connect", name: "a connection id already taken", setup: connected, wantErr: rpcError(codes.AlreadyExists, "CONNECTION_ID_TAKEN"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Another HubSpot", ConnectionId: "prod",
				AccessToken: e.newToken()}
		},
	},
	{
		rpc: "GetConnection", name: "what Connect returned", setup: connected,
		request: func(e *rpcEnv) proto.Message { return &integrationsv1.GetConnectionRequest{Name: e.conn.GetName()} },
		want:    func(e *rpcEnv) proto.Message { return e.conn },
	},
	{
		rpc: "GetConnection", name: "a connection that does not exist", setup: connected, wantErr: rpcError(codes.NotFound, "NOT_FOUND"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetConnectionRequest{Name: "workspaces/acme/connections/nope"}
		},
	},
	{
		rpc: "GetConnection", name: "another workspace's key", setup: connected, workspace: "globex",
		wantErr: rpcError(codes.PermissionDenied, "WORKSPACE_NOT_ALLOWED"),
		request: func(e *rpcEnv) proto.Message { return &integrationsv1.GetConnectionRequest{Name: e.conn.GetName()} },
	},
	{
		rpc: "ListConnections", name: "the workspace's connections", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListConnectionsResponse{Connections: []*integrationsv1.Connection{e.conn}}
		},
	},
	{
		rpc: "ListConnections", name: "a negative page size", wantErr: invalid("INVALID_ARGUMENT", "page_size"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme", PageSize: -1}
		},
	},
	{
		rpc: "ListConnections", name: "without an API key", workspace: "none", wantErr: rpcError(codes.Unauthenticated, "API_KEY_MISSING"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"}
		},
	},
	{
		rpc: "UpdateCredentials", name: "a new token of the same account", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateCredentialsRequest{Name: e.conn.GetName(), AccessToken: e.newToken()}
		},
		// The token's hint and app change with it; the rest stays.
		want:   func(e *rpcEnv) proto.Message { return e.connection(e.conn.GetDisplayName(), e.token) },
		ignore: []cmp.Option{connectionTimes},
	},
	{
		rpc: "UpdateCredentials", name: "a token HubSpot does not know", setup: connected,
		wantErr: rpcError(codes.FailedPrecondition, "HUBSPOT_TOKEN_INVALID"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateCredentialsRequest{Name: e.conn.GetName(), AccessToken: "pat-na1-00000000-0000-4000-8000-000000000000"}
		},
	},
	{
		rpc: "DeleteConnection", name: "the connection goes", setup: connected,
		request: func(e *rpcEnv) proto.Message { return &integrationsv1.DeleteConnectionRequest{Name: e.conn.GetName()} },
		want:    func(e *rpcEnv) proto.Message { return &emptypb.Empty{} },
	},
	{
		rpc: "DeleteConnection", name: "a connection that does not exist", wantErr: rpcError(codes.NotFound, "NOT_FOUND"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.DeleteConnectionRequest{Name: "workspaces/acme/connections/ghost"}
		},
	},
	{
		rpc: "TestConnection", name: "a healthy connection", setup: connected,
		request: func(e *rpcEnv) proto.Message { return &integrationsv1.TestConnectionRequest{Name: e.conn.GetName()} },
		want: func(e *rpcEnv) proto.Message {
			limits, err := e.ts.sb.EffectiveLimits(e.ts.acct.HubID)
			if err != nil {
				e.t.Fatal(err)
			}
			return &integrationsv1.TestConnectionResponse{Connection: e.conn, Reachable: true, TokenValid: true,
				GrantedScopes: e.conn.GetGrantedScopes(), Capabilities: healthyCapabilities(), IntrospectedFacts: []string{"hub_id", "app_id", "scopes"},
				RateLimit: &integrationsv1.RateLimitStatus{IntervalMax: int32(limits.PerWindow), Interval: durationpb.New(limits.Window), DailyMax: int64(limits.Daily)}}
		},
		// The test's own calls use some of the budget, and it measures its latency.
		ignore: []cmp.Option{connectionTimes, protocmp.IgnoreFields(&integrationsv1.TestConnectionResponse{}, "latency", "test_time"),
			protocmp.IgnoreFields(&integrationsv1.RateLimitStatus{}, "interval_remaining", "daily_remaining", "daily_reset_time")},
	},
	{
		rpc: "TestConnection", name: "a connection that does not exist", wantErr: rpcError(codes.NotFound, "NOT_FOUND"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.TestConnectionRequest{Name: "workspaces/acme/connections/nope"}
		},
	},
	{
		rpc: "ListAuditEvents", name: "the connect", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListAuditEventsRequest{Parent: "workspaces/acme", Action: integrationsv1.AuditAction_AUDIT_ACTION_CONNECT}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListAuditEventsResponse{AuditEvents: []*integrationsv1.AuditEvent{{
				Action: integrationsv1.AuditAction_AUDIT_ACTION_CONNECT, Resource: e.conn.GetName(),
				Actor:     &integrationsv1.AuditEvent_ApiKeyId{ApiKeyId: keyID(e.ts.keys["acme"])},
				Transport: integrationsv1.AuditTransport_AUDIT_TRANSPORT_GRPC, Outcome: "OK", Description: `display name "HubSpot prod"`,
			}}}
		},
		// The setup connected over gRPC without a request_id, so the server made one up.
		ignore: []cmp.Option{protocmp.IgnoreFields(&integrationsv1.AuditEvent{}, "name", "event_time", "peer_address", "request_id")},
	},
	{
		rpc: "ListAuditEvents", name: "another workspace's key", setup: connected, workspace: "globex",
		wantErr: rpcError(codes.PermissionDenied, "WORKSPACE_NOT_ALLOWED"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListAuditEventsRequest{Parent: "workspaces/acme"}
		},
	},
}
