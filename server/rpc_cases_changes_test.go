package main

import (
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// wantChange is the change of changeReceived: one UPDATED change for the two property events
// of one HubSpot write, typed by the discovered fields (a choice, a number).
func wantChange(e *rpcEnv) *integrationsv1.Change {
	return &integrationsv1.Change{
		ObjectType: "contacts", RecordId: e.seed.Contacts[0], Record: e.record("contacts", e.seed.Contacts[0]),
		RecordDisplayName: "Ada Lovelace", Kind: integrationsv1.ChangeKind_CHANGE_KIND_UPDATED,
		Fields: map[string]*integrationsv1.FieldValue{
			"lifecyclestage": {Raw: "lead", Value: &integrationsv1.FieldValue_StringValue{StringValue: "lead"}},
			"lifetime_value": {Raw: "2500", Value: &integrationsv1.FieldValue_NumberValue{NumberValue: 2500}},
		},
		OccurTime: timestamppb.New(changeTime), Source: integrationsv1.ChangeSource_CHANGE_SOURCE_WEBHOOK,
	}
}

// changeIgnore are a change's fields that differ from run to run.
var changeIgnore = []cmp.Option{protocmp.IgnoreFields(&integrationsv1.Change{}, "name", "id", "detect_time", "cursor")}

// changeCases are the table's cases of the change feed and its settings.
var changeCases = []rpcCase{
	{
		rpc: "WatchChanges", name: "a change received by webhook", setup: changeReceived,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.WatchChangesRequest{Connection: e.conn.GetName(), ObjectTypes: []string{"contacts"}}
		},
		want:   func(e *rpcEnv) proto.Message { return wantChange(e) },
		ignore: changeIgnore,
	},
	{
		rpc: "WatchChanges", name: "an object type without changes", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "object_types[0]"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.WatchChangesRequest{Connection: e.conn.GetName(), ObjectTypes: []string{"tickets"}}
		},
	},
	{
		rpc: "ListChanges", name: "the change, and its cursor to go on from", setup: changeReceived,
		request: func(e *rpcEnv) proto.Message { return &integrationsv1.ListChangesRequest{Connection: e.conn.GetName()} },
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListChangesResponse{Changes: []*integrationsv1.Change{e.change}, NextCursor: e.change.GetCursor()}
		},
	},
	{
		rpc: "ListChanges", name: "a cursor this API did not issue", setup: connected, wantErr: invalid("INVALID_ARGUMENT", "cursor"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ListChangesRequest{Connection: e.conn.GetName(), Cursor: "not-a-cursor"}
		},
	},
	{
		rpc: "GetChangeSettings", name: "the defaults of a new connection", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetChangeSettingsRequest{Name: client.ChangeSettingsName(e.conn.GetName())}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ChangeSettings{Name: client.ChangeSettingsName(e.conn.GetName()), WebhookUrl: "http://" + e.ts.httpAddr + "/webhooks/hubspot",
				PollInterval: durationpb.New(time.Minute)}
		},
	},
	{
		rpc: "GetChangeSettings", name: "a connection that does not exist", setup: connected, wantErr: rpcError(codes.NotFound, "NOT_FOUND"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.GetChangeSettingsRequest{Name: "workspaces/acme/connections/ghost/changeSettings"}
		},
	},
	{
		rpc: "UpdateChangeSettings", name: "a webhook secret, never returned", setup: connected,
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateChangeSettingsRequest{ChangeSettings: &integrationsv1.ChangeSettings{
				Name: client.ChangeSettingsName(e.conn.GetName()), WebhookClientSecret: webhookSecret, PollInterval: durationpb.New(2 * time.Minute)}}
		},
		want: func(e *rpcEnv) proto.Message {
			return &integrationsv1.ChangeSettings{Name: client.ChangeSettingsName(e.conn.GetName()), WebhookUrl: "http://" + e.ts.httpAddr + "/webhooks/hubspot",
				WebhookSecretSet: true, PollInterval: durationpb.New(2 * time.Minute)}
		},
	},
	{
		rpc: "UpdateChangeSettings", name: "a poll interval under 10 seconds", setup: connected,
		wantErr: invalid("INVALID_ARGUMENT", "change_settings.poll_interval"),
		request: func(e *rpcEnv) proto.Message {
			return &integrationsv1.UpdateChangeSettingsRequest{ChangeSettings: &integrationsv1.ChangeSettings{
				Name: client.ChangeSettingsName(e.conn.GetName()), PollInterval: durationpb.New(time.Second)},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"poll_interval"}}}
		},
	},
}
