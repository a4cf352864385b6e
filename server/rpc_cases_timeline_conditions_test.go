package main

import (
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// timelineConditionCases are the table's cases of timeline events and workflow conditions.
var timelineConditionCases = []rpcCase{
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
}
