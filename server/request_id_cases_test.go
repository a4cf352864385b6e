package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
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
	name string // the RPC's
	// request is the mutation for round (0: the sequential calls, 1: the concurrent ones; each
	// round acts on something of its own), with requestID set.
	request func(t *testing.T, e replayEnv, round int, requestID string) proto.Message
	// change returns req with one field changed, and that field's name (what REQUEST_ID_REUSED
	// must name).
	change func(req proto.Message) (proto.Message, string)
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
		executions: tokenChecks,
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
		executions: tokenChecks,
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
		executions: noExecutions,
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
		executions: writes,
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
		executions: writes,
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
		executions: writes,
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
		executions: writes,
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
