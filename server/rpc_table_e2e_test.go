package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/hubspot/sandbox"
)

// rpcSetup is what a case needs in place before its call.
type rpcSetup int

const (
	// noConnection: a server and its HubSpot account, nothing connected.
	noConnection rpcSetup = iota
	// connected: the account holds the sandbox's sample records (SeedSampleData) and acme
	// has connected it as "prod" (rpcEnv.conn).
	connected
	// eventLogged: connected, and a note on the first sample contact delivered to HubSpot
	// (rpcEnv.event).
	eventLogged
)

// rpcEnv is the world a case runs in: its own server, database and HubSpot.
type rpcEnv struct {
	t     *testing.T
	ts    *testServer
	conn  *integrationsv1.Connection
	seed  sandbox.SeedSummary
	event *integrationsv1.TimelineEvent
	token string // the token a case's request sends, when its answer depends on it
}

// newRPCEnv starts a server of its own and puts setup in place.
func newRPCEnv(t *testing.T, setup rpcSetup) *rpcEnv {
	t.Helper()
	if setup == noConnection {
		return &rpcEnv{t: t, ts: startServer(t)}
	}
	ts, c, conn, seed := seeded(t)
	e := &rpcEnv{t: t, ts: ts, conn: conn, seed: seed}
	if setup == eventLogged {
		ev, err := c.LogTimelineEvent(context.Background(), &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(),
			TimelineEvent: noteFor(seed.Contacts[0], time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)), RequestId: "setup-note", WaitForDelivery: true})
		if err != nil {
			t.Fatal(err)
		}
		e.event = ev
	}
	return e
}

// record is the resource name of a record of the case's connection.
func (e *rpcEnv) record(objectType, id string) string {
	return client.RecordName(e.conn.GetName(), objectType, id)
}

// newToken registers a new sandbox token of the case's HubSpot account, with every scope, and
// keeps it as e.token.
func (e *rpcEnv) newToken() string {
	e.token = e.ts.newToken(e.t, sandbox.AllScopes())
	return e.token
}

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
		TokenHint: token[len(token)-4:]}
}

// Values of a record's properties, as HubSpot stores them (raw) and typed by their field.
func stringValue(s string) *integrationsv1.FieldValue {
	return &integrationsv1.FieldValue{Value: &integrationsv1.FieldValue_StringValue{StringValue: s}, Raw: s}
}

func numberValue(n float64, raw string) *integrationsv1.FieldValue {
	return &integrationsv1.FieldValue{Value: &integrationsv1.FieldValue_NumberValue{NumberValue: n}, Raw: raw}
}

// recordTimes are the times HubSpot stamps on a record.
var recordTimes = protocmp.IgnoreFields(&integrationsv1.Record{}, "create_time", "update_time")

// onlyFields compares the fields of a discovered schema named names only: an account has
// dozens, and the case is about how a few are described.
func onlyFields(names ...string) cmp.Option {
	return protocmp.FilterField(&integrationsv1.ObjectSchema{}, "fields", cmp.Transformer("onlyFields", func(fields []protocmp.Message) []protocmp.Message {
		var out []protocmp.Message
		for _, f := range fields {
			if slices.Contains(names, f["name"].(string)) {
				out = append(out, f)
			}
		}
		return out
	}))
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
	} {
		out = append(out, &integrationsv1.Capability{Id: c.id, Description: c.description, Available: true})
	}
	return out
}

// rpcCase is one call of one RPC and what it must answer, over either transport.
type rpcCase struct {
	rpc, name string
	setup     rpcSetup
	workspace string // whose API key calls: "acme" when empty, "none" for a call without a key
	request   func(e *rpcEnv) proto.Message
	// want is the expected response (nil for an error); ignore lists the fields that differ
	// from call to call (times, generated ids).
	want   func(e *rpcEnv) proto.Message
	ignore []cmp.Option
	// wantErr is the expected error: its code, reason and field violations.
	wantErr *rpcAnswer
}

// invalid is INVALID_ARGUMENT with a violation of each of fields.
func invalid(reason string, fields ...string) *rpcAnswer {
	return &rpcAnswer{Code: codes.InvalidArgument, Reason: reason, Fields: fields}
}

func rpcError(code codes.Code, reason string) *rpcAnswer {
	return &rpcAnswer{Code: code, Reason: reason}
}

// connectionTimes are the fields of a Connection the server stamps at each change.
var connectionTimes = protocmp.IgnoreFields(&integrationsv1.Connection{}, "create_time", "update_time", "fields_discovered_at")

// rpcCases covers every RPC of IntegrationService, each with at least one success and one
// error (TestEveryRPCOverBothTransports checks it against the service descriptor).
var rpcCases = []rpcCase{
	{
		rpc: "Connect", name: "a valid token connects the account",
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Production HubSpot", ConnectionId: "prod", AccessToken: e.ts.token}
		},
		want:   func(e *rpcEnv) proto.Message { return e.connection("Production HubSpot", e.ts.token) },
		ignore: []cmp.Option{connectionTimes},
	},
	{
		rpc: "Connect", name: "a token that is not a private-app token", wantErr: invalid("INVALID_ARGUMENT", "access_token"),
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
				GrantedScopes: e.conn.GetGrantedScopes(), Capabilities: healthyCapabilities(),
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
		rpc: "DiscoverFields", name: "the deal fields", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.DiscoverFieldsRequest{Connection: e.conn.GetName(), ObjectTypes: []string{"deals"}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.DiscoverFieldsResponse{Schemas: []*integrationsv1.ObjectSchema{{ObjectType: "deals", SchemaVersion: 1,
				Fields: []*integrationsv1.Field{
					{Name: "amount", Label: "Amount", Description: "Amount.", GroupName: "dealinformation", HubspotType: "number",
						HubspotFieldType: "number", Kind: integrationsv1.FieldKind_FIELD_KIND_NUMBER, DisplayOrder: 1},
					{Name: "days_to_close", Label: "Days to close", Description: "Days to close.", GroupName: "dealinformation", HubspotType: "number",
						HubspotFieldType: "calculation_equation", Kind: integrationsv1.FieldKind_FIELD_KIND_NUMBER, ReadOnly: true, Calculated: true, DisplayOrder: 9},
					{Name: "deal_source", Label: "Deal Source", Description: "Sample custom property: Deal Source.", GroupName: "custom_properties",
						HubspotType: "enumeration", HubspotFieldType: "select", Kind: integrationsv1.FieldKind_FIELD_KIND_SINGLE_CHOICE, Custom: true, DisplayOrder: -1,
						Options: []*integrationsv1.FieldOption{{Label: "Inbound", Value: "inbound"}, {Label: "Outbound", Value: "outbound", DisplayOrder: 1},
							{Label: "Partner", Value: "partner", DisplayOrder: 2}}},
				}}}}
		},
		ignore: []cmp.Option{onlyFields("amount", "days_to_close", "deal_source"), protocmp.IgnoreFields(&integrationsv1.ObjectSchema{}, "discovered_at")},
	},
	{
		rpc: "DiscoverFields", name: "an object type that is not served", setup: connected,
		wantErr: invalid("INVALID_ARGUMENT", "object_types[0]"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.DiscoverFieldsRequest{Connection: e.conn.GetName(), ObjectTypes: []string{"tickets"}}
		},
	},
	{
		rpc: "UpsertContact", name: "an existing contact by email", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpsertContactRequest{Connection: e.conn.GetName(), Email: "ada.lovelace0@acme.example", Properties: props("firstname", "Augusta")}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpsertContactResponse{Contact: e.record("contacts", e.seed.Contacts[0]), ContactId: e.seed.Contacts[0]}
		},
	},
	{
		rpc: "UpsertContact", name: "an email that is not one", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "email"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpsertContactRequest{Connection: e.conn.GetName(), Email: "not-an-email"}
		},
	},
	{
		rpc: "BatchUpsertContacts", name: "one good contact and one bad", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.BatchUpsertContactsRequest{Connection: e.conn.GetName(), Contacts: []*integrationsv1.ContactUpsert{
				{Email: "ada.lovelace0@acme.example", Properties: props("firstname", "Augusta")},
				{Email: "not-an-email"},
			}}
		},
		want: func(e *rpcEnv) proto.Message {
			const bad = `"not-an-email" is not an email address such as ada@example.com`
			st, err := status.New(codes.InvalidArgument, "contacts[1].email: "+bad).WithDetails(
				&errdetails.ErrorInfo{Reason: "INVALID_ARGUMENT", Domain: "integrations.connectflo.com", Metadata: map[string]string{"field": "contacts[1].email"}},
				&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "contacts[1].email", Description: bad}}})
			if err != nil {
				e.t.Fatal(err)
			}
			return &integrationsv1.BatchUpsertContactsResponse{Results: []*integrationsv1.ContactUpsertResult{
				{Email: "ada.lovelace0@acme.example", Contact: e.record("contacts", e.seed.Contacts[0]), ContactId: e.seed.Contacts[0]},
				{Error: st.Proto()},
			}}
		},
	},
	{
		rpc: "BatchUpsertContacts", name: "no contacts", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "contacts"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.BatchUpsertContactsRequest{Connection: e.conn.GetName()}
		},
	},
	{
		rpc: "GetRecord", name: "a contact by id, typed by the schema", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetRecordRequest{Name: e.record("contacts", e.seed.Contacts[0]),
				Properties: []string{"email", "lifetime_value", "newsletter_opt_in", "renewal_date", "product_interests"}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.Record{Name: e.record("contacts", e.seed.Contacts[0]), Id: e.seed.Contacts[0], ObjectType: "contacts",
				Properties: map[string]*integrationsv1.FieldValue{
					"email":             stringValue("ada.lovelace0@acme.example"),
					"lifetime_value":    numberValue(1000, "1000"),
					"newsletter_opt_in": {Value: &integrationsv1.FieldValue_BoolValue{BoolValue: true}, Raw: "true"},
					"product_interests": {Value: &integrationsv1.FieldValue_StringListValue{StringListValue: &integrationsv1.StringList{Values: []string{"widgets"}}}, Raw: "widgets"},
					"renewal_date":      {Value: &integrationsv1.FieldValue_TimestampValue{TimestampValue: timestamppb.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}, Raw: "2026-01-01"},
				}}
		},
		ignore: []cmp.Option{recordTimes},
	},
	{
		rpc: "GetRecord", name: "a contact by email", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetRecordRequest{Name: e.record("contacts", "ada.lovelace0@acme.example"), IdProperty: "email", Properties: []string{"email"}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.Record{Name: e.record("contacts", e.seed.Contacts[0]), Id: e.seed.Contacts[0], ObjectType: "contacts",
				Properties: map[string]*integrationsv1.FieldValue{"email": stringValue("ada.lovelace0@acme.example")}}
		},
		ignore: []cmp.Option{recordTimes},
	},
	{
		rpc: "GetRecord", name: "a record HubSpot does not have", setup: connected,
		wantErr: rpcError(codes.NotFound, "HUBSPOT_OBJECT_NOT_FOUND"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetRecordRequest{Name: e.record("contacts", "999999999")}
		},
	},
	{
		rpc: "SearchRecords", name: "contacts by email", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.SearchRecordsRequest{Parent: e.conn.GetName() + "/objects/contacts", Properties: []string{"email"},
				FilterGroups: []*integrationsv1.FilterGroup{{Filters: []*integrationsv1.Filter{{Field: "email",
					Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: structpb.NewStringValue("ada.lovelace0@acme.example")}}}}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.SearchRecordsResponse{TotalSize: 1, Records: []*integrationsv1.Record{{Name: e.record("contacts", e.seed.Contacts[0]),
				Id: e.seed.Contacts[0], ObjectType: "contacts", Properties: map[string]*integrationsv1.FieldValue{"email": stringValue("ada.lovelace0@acme.example")}}}}
		},
		ignore: []cmp.Option{recordTimes},
	},
	{
		rpc: "SearchRecords", name: "a filter on a field the account does not have", setup: connected,
		wantErr: invalid("INVALID_ARGUMENT", "filter_groups[0].filters[0]"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.SearchRecordsRequest{Parent: e.conn.GetName() + "/objects/contacts",
				FilterGroups: []*integrationsv1.FilterGroup{{Filters: []*integrationsv1.Filter{{Field: "no_such_field",
					Operator: integrationsv1.FilterOperator_FILTER_OPERATOR_EQ, Value: structpb.NewStringValue("x")}}}}}
		},
	},
	{
		rpc: "SearchRecords", name: "a sort on a field the account does not have", setup: connected,
		wantErr: invalid("INVALID_ARGUMENT", "sorts[0].field"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.SearchRecordsRequest{Parent: e.conn.GetName() + "/objects/contacts",
				Sorts: []*integrationsv1.Sort{{Field: "no_such_field"}}}
		},
	},
	{
		rpc: "UpdateRecord", name: "a deal's stage by its label", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateRecordRequest{Name: e.record("deals", e.seed.Deals[0]),
				Properties: map[string]*structpb.Value{"dealstage": structpb.NewStringValue("Closed Won")}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.Record{Name: e.record("deals", e.seed.Deals[0]), Id: e.seed.Deals[0], ObjectType: "deals",
				Properties: map[string]*integrationsv1.FieldValue{"dealstage": stringValue("closedwon")}}
		},
		ignore: []cmp.Option{recordTimes},
	},
	{
		rpc: "UpdateRecord", name: "a read-only field", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "properties.createdate"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateRecordRequest{Name: e.record("deals", e.seed.Deals[0]),
				Properties: map[string]*structpb.Value{"createdate": structpb.NewStringValue("2026-01-01T00:00:00Z")}}
		},
	},
	{
		rpc: "ListAssociations", name: "a contact's company", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListAssociationsRequest{Parent: e.record("contacts", e.seed.Contacts[0]), ToObjectType: "companies"}
		},
		// SeedSampleData associates each contact with its company twice: unlabelled (type 279)
		// and as its primary company (type 1).
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListAssociationsResponse{Associations: []*integrationsv1.Association{{Record: e.record("companies", e.seed.Companies[0]),
				RecordId: e.seed.Companies[0], Labels: []string{"Primary"}, TypeIds: []int32{1, 279}}}}
		},
	},
	{
		rpc: "ListAssociations", name: "an object type that is not served", setup: connected,
		wantErr: invalid("INVALID_ARGUMENT", "to_object_type"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListAssociationsRequest{Parent: e.record("contacts", e.seed.Contacts[0]), ToObjectType: "tickets"}
		},
	},
	{
		rpc: "LogTimelineEvent", name: "a note delivered before the answer", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.LogTimelineEventRequest{Parent: e.conn.GetName(), WaitForDelivery: true,
				TimelineEvent: noteFor(e.seed.Contacts[0], time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))}
		},
		want: func(e *rpcEnv) proto.Message {
			ev := noteFor(e.seed.Contacts[0], time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
			ev.Status, ev.Attempts = integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_DELIVERED, 1
			ev.HubspotObjectType, ev.HubspotContactId = "notes", e.seed.Contacts[0]
			return ev
		},
		ignore: []cmp.Option{protocmp.IgnoreFields(&integrationsv1.TimelineEvent{}, "name", "hubspot_object_id", "create_time", "deliver_time")},
	},
	{
		rpc: "LogTimelineEvent", name: "an event without its time", setup: connected,
		wantErr: invalid("INVALID_ARGUMENT", "timeline_event.occur_time"),
		request: func(e *rpcEnv) proto.Message {
			ev := noteFor(e.seed.Contacts[0], time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
			ev.OccurTime = nil
			return &integrationsv1.LogTimelineEventRequest{Parent: e.conn.GetName(), TimelineEvent: ev}
		},
	},
	{
		rpc: "GetTimelineEvent", name: "what LogTimelineEvent returned", setup: eventLogged,
		request: func(e *rpcEnv) proto.Message { return &integrationsv1.GetTimelineEventRequest{Name: e.event.GetName()} },
		want:    func(e *rpcEnv) proto.Message { return e.event },
	},
	{
		rpc: "GetTimelineEvent", name: "an event that does not exist", setup: connected, wantErr: rpcError(codes.NotFound, "NOT_FOUND"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetTimelineEventRequest{Name: e.conn.GetName() + "/timelineEvents/nope"}
		},
	},
	{
		rpc: "ListTimelineEvents", name: "the delivered events", setup: eventLogged,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListTimelineEventsRequest{Parent: e.conn.GetName(), Status: integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_DELIVERED}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListTimelineEventsResponse{TimelineEvents: []*integrationsv1.TimelineEvent{e.event}}
		},
	},
	{
		rpc: "ListTimelineEvents", name: "a page token of no page", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "page_token"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListTimelineEventsRequest{Parent: e.conn.GetName(), PageToken: "not-a-token"}
		},
	},
	{
		rpc: "ValidateCondition", name: "a comparison of a choice field", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ValidateConditionRequest{Connection: e.conn.GetName(), Expression: `contact.lifecyclestage == "customer"`}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ValidateConditionResponse{ReferencedFields: []string{"contact.lifecyclestage"}, SchemaVersion: 1}
		},
	},
	{
		rpc: "ValidateCondition", name: "a syntax error", setup: connected, wantErr: invalid("CONDITION_SYNTAX", "expression"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ValidateConditionRequest{Connection: e.conn.GetName(), Expression: `contact.lifecyclestage ==`}
		},
	},
	{
		rpc: "EvaluateCondition", name: "true for the contact, with the value that decided it", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.EvaluateConditionRequest{Connection: e.conn.GetName(), Expression: `contact.lifecyclestage == "subscriber"`,
				Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "ada.lovelace0@acme.example"}},
				Now:     timestamppb.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.EvaluateConditionResponse{Result: true, ContactId: e.seed.Contacts[0],
				Values: []*integrationsv1.EvaluatedField{{Field: "contact.lifecyclestage", Value: stringValue("subscriber")}}}
		},
	},
	{
		rpc: "EvaluateCondition", name: "a field the account does not have", setup: connected,
		wantErr: invalid("CONDITION_UNKNOWN_FIELD", "expression"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.EvaluateConditionRequest{Connection: e.conn.GetName(), Expression: `contact.no_such_field == "x"`,
				Contact: &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: "ada.lovelace0@acme.example"}}}
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

// TestEveryRPCOverBothTransports runs the table over gRPC and REST, each case on a server of
// its own, in parallel: both transports must give the same answer, the one the case states.
// An RPC of the service without a success case and an error case fails the test.
func TestEveryRPCOverBothTransports(t *testing.T) {
	t.Parallel()
	methods := integrationService.Methods()
	outcomes := map[string]map[bool]bool{} // rpc → succeeds? → has a case
	for _, tc := range rpcCases {
		md := method(t, tc.rpc)
		if outcomes[tc.rpc] == nil {
			outcomes[tc.rpc] = map[bool]bool{}
		}
		outcomes[tc.rpc][tc.wantErr == nil] = true
		for _, tr := range rpcTransports {
			t.Run(tc.rpc+"/"+tc.name+"/"+tr.name, func(t *testing.T) {
				t.Parallel()
				e := newRPCEnv(t, tc.setup)
				var key string
				switch tc.workspace {
				case "":
					key = e.ts.keys["acme"]
				case "none":
				default:
					key = e.ts.keys[tc.workspace]
				}
				got := answerOf(tr.call(t, e.ts, key, md, tc.request(e)))
				want := rpcAnswer{}
				if tc.wantErr != nil {
					want = *tc.wantErr
				} else {
					want.Response = tc.want(e)
				}
				opts := append([]cmp.Option{protocmp.Transform()}, tc.ignore...)
				if d := cmp.Diff(want, got, opts...); d != "" {
					t.Errorf("%s (-want +got):\n%s", tc.rpc, d)
				}
			})
		}
	}
	for i := 0; i < methods.Len(); i++ {
		rpc := string(methods.Get(i).Name())
		if !outcomes[rpc][true] || !outcomes[rpc][false] {
			t.Errorf("%s lacks a success case or an error case in rpcCases", rpc)
		}
	}
}
