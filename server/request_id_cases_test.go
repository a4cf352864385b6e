package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// replayEnv is what a request_id case runs against: a server with seeded HubSpot data and a
// connection "prod".
type replayEnv struct {
	ts   *testServer
	conn *integrationsv1.Connection
	seed sandbox.SeedSummary
}

// replayCase is one mutation under the request_id rules.
type replayCase struct {
	name string
	// request is the mutation for round (0: the sequential calls, 1: the concurrent ones; each
	// round acts on something of its own), with requestID set.
	request func(t *testing.T, e replayEnv, round int, requestID string) proto.Message
	// change returns req with one field changed, and that field's name (what REQUEST_ID_REUSED
	// must name).
	change func(req proto.Message) (proto.Message, string)
	// grpc sends req through the typed client.
	grpc func(ctx context.Context, c *client.Client, req proto.Message) (proto.Message, error)
	// rest is how the gateway routes it: the verb, the request field in the path and what
	// follows it; newResponse decodes the answer.
	verb, pathField, pathSuffix string
	newResponse                 func() proto.Message
	// executions counts at the sandbox what one execution of the mutation does. DeleteConnection
	// calls no HubSpot: it has none (TestDeleteConnectionReplayLeavesSuccessorAlone shows that
	// a replayed delete deletes nothing).
	executions func(sandbox.Counters) int
}

// tokenChecks counts HubSpot token introspections, which every Connect and UpdateCredentials
// makes once.
func tokenChecks(c sandbox.Counters) int {
	n := 0
	for _, count := range c.Requests["POST /oauth/v2/private-apps/get/access-token-info"] {
		n += count
	}
	return n
}

func writes(c sandbox.Counters) int { return c.Writes }

func noExecutions(sandbox.Counters) int { return 0 }

// rpc sends a request through one method of the typed client.
func rpc[Req, Resp proto.Message](m func(*client.Client, context.Context, Req, ...grpc.CallOption) (Resp, error)) func(context.Context, *client.Client, proto.Message) (proto.Message, error) {
	return func(ctx context.Context, c *client.Client, req proto.Message) (proto.Message, error) {
		resp, err := m(c, ctx, req.(Req))
		if err != nil {
			return nil, err
		}
		return resp, nil
	}
}

var replayCases = []replayCase{
	{
		name: "Connect",
		request: func(t *testing.T, e replayEnv, round int, id string) proto.Message {
			return &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: fmt.Sprintf("Replay %d", round),
				ConnectionId: fmt.Sprintf("replay-%d", round), AccessToken: e.ts.newToken(t, sandbox.AllScopes()), RequestId: id}
		},
		change: func(req proto.Message) (proto.Message, string) {
			r := proto.Clone(req).(*integrationsv1.ConnectRequest)
			r.DisplayName += " (renamed)"
			return r, "display_name"
		},
		grpc: rpc((*client.Client).Connect),
		verb: "POST", pathField: "parent", pathSuffix: "/connections",
		newResponse: func() proto.Message { return &integrationsv1.Connection{} }, executions: tokenChecks,
	},
	{
		name: "UpdateCredentials",
		request: func(t *testing.T, e replayEnv, round int, id string) proto.Message {
			return &integrationsv1.UpdateCredentialsRequest{Name: e.conn.GetName(), AccessToken: e.ts.newToken(t, sandbox.AllScopes()), RequestId: id}
		},
		change: func(req proto.Message) (proto.Message, string) {
			r := proto.Clone(req).(*integrationsv1.UpdateCredentialsRequest)
			r.AccessToken = "pat-na1-00000000-0000-4000-8000-000000000000"
			return r, "access_token"
		},
		grpc: rpc((*client.Client).UpdateCredentials),
		verb: "POST", pathField: "name", pathSuffix: ":updateCredentials",
		newResponse: func() proto.Message { return &integrationsv1.Connection{} }, executions: tokenChecks,
	},
	{
		name: "DeleteConnection",
		request: func(t *testing.T, e replayEnv, round int, id string) proto.Message {
			conn := e.ts.connectWith(t, fmt.Sprintf("gone-%d", round))
			return &integrationsv1.DeleteConnectionRequest{Name: conn.GetName(), RequestId: id}
		},
		change: func(req proto.Message) (proto.Message, string) {
			r := proto.Clone(req).(*integrationsv1.DeleteConnectionRequest)
			r.Name = "workspaces/acme/connections/prod"
			return r, "name"
		},
		grpc: rpc((*client.Client).DeleteConnection),
		verb: "DELETE", pathField: "name",
		newResponse: func() proto.Message { return &emptypb.Empty{} }, executions: noExecutions,
	},
	{
		name: "UpsertContact",
		request: func(t *testing.T, e replayEnv, round int, id string) proto.Message {
			return &integrationsv1.UpsertContactRequest{Connection: e.conn.GetName(), Email: fmt.Sprintf("replay.%d@example.com", round),
				Properties: props("firstname", "Ada"), RequestId: id}
		},
		change: func(req proto.Message) (proto.Message, string) {
			r := proto.Clone(req).(*integrationsv1.UpsertContactRequest)
			r.Properties = props("firstname", "Grace")
			return r, "properties"
		},
		grpc: rpc((*client.Client).UpsertContact),
		verb: "POST", pathField: "connection", pathSuffix: "/contacts:upsert",
		newResponse: func() proto.Message { return &integrationsv1.UpsertContactResponse{} }, executions: writes,
	},
	{
		name: "BatchUpsertContacts",
		request: func(t *testing.T, e replayEnv, round int, id string) proto.Message {
			return &integrationsv1.BatchUpsertContactsRequest{Connection: e.conn.GetName(), RequestId: id, Contacts: []*integrationsv1.ContactUpsert{
				{Email: fmt.Sprintf("batch.a.%d@example.com", round), Properties: props("firstname", "Ada")},
				{Email: fmt.Sprintf("batch.b.%d@example.com", round), Properties: props("firstname", "Alan")},
			}}
		},
		change: func(req proto.Message) (proto.Message, string) {
			r := proto.Clone(req).(*integrationsv1.BatchUpsertContactsRequest)
			r.Contacts[1].Email = "someone.else@example.com"
			return r, "contacts[1]"
		},
		grpc: rpc((*client.Client).BatchUpsertContacts),
		verb: "POST", pathField: "connection", pathSuffix: "/contacts:batchUpsert",
		newResponse: func() proto.Message { return &integrationsv1.BatchUpsertContactsResponse{} }, executions: writes,
	},
	{
		name: "UpdateRecord",
		request: func(t *testing.T, e replayEnv, round int, id string) proto.Message {
			return &integrationsv1.UpdateRecordRequest{Name: client.RecordName(e.conn.GetName(), "deals", e.seed.Deals[round]), RequestId: id,
				Properties: map[string]*structpb.Value{"dealstage": structpb.NewStringValue("Closed Won")}}
		},
		change: func(req proto.Message) (proto.Message, string) {
			r := proto.Clone(req).(*integrationsv1.UpdateRecordRequest)
			r.Properties["dealstage"] = structpb.NewStringValue("Closed Lost")
			return r, "properties"
		},
		grpc: rpc((*client.Client).UpdateRecord),
		verb: "PATCH", pathField: "name",
		newResponse: func() proto.Message { return &integrationsv1.Record{} }, executions: writes,
	},
	{
		name: "LogTimelineEvent",
		request: func(t *testing.T, e replayEnv, round int, id string) proto.Message {
			ev := noteFor(e.seed.Contacts[round], time.Date(2026, 11, 27, 12, round, 0, 0, time.UTC))
			return &integrationsv1.LogTimelineEventRequest{Parent: e.conn.GetName(), TimelineEvent: ev, RequestId: id, WaitForDelivery: true}
		},
		change: func(req proto.Message) (proto.Message, string) {
			r := proto.Clone(req).(*integrationsv1.LogTimelineEventRequest)
			r.TimelineEvent.OccurTime = timestamppb.New(r.GetTimelineEvent().GetOccurTime().AsTime().Add(time.Minute))
			return r, "timeline_event"
		},
		grpc: rpc((*client.Client).LogTimelineEvent),
		verb: "POST", pathField: "parent", pathSuffix: "/timelineEvents",
		newResponse: func() proto.Message { return &integrationsv1.TimelineEvent{} }, executions: writes,
	},
}

// connectWith connects a connection with a token of its own (a workspace holds a token once).
func (ts *testServer) connectWith(t *testing.T, id string) *integrationsv1.Connection {
	t.Helper()
	conn, err := ts.client(t, ts.keys["acme"]).Connect(context.Background(), &integrationsv1.ConnectRequest{
		Parent: "workspaces/acme", DisplayName: "HubSpot " + id, ConnectionId: id, AccessToken: ts.newToken(t, sandbox.AllScopes())})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
