package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/outbox"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
)

var kindsIn = map[integrationsv1.TimelineEventKind]outbox.Kind{
	integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_CALL: outbox.KindCall, integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_SMS: outbox.KindSMS,
	integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_WHATSAPP: outbox.KindWhatsApp, integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_CHAT: outbox.KindChat,
	integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_EMAIL: outbox.KindEmail, integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE: outbox.KindNote,
}

// LogTimelineEvent validates a conversation, commits it to the outbox and answers QUEUED
// (or DELIVERED when asked to wait and HubSpot confirms within the deadline).
func (s *Service) LogTimelineEvent(ctx context.Context, req *integrationsv1.LogTimelineEventRequest) (*integrationsv1.TimelineEvent, error) {
	name, err := resname.ParseConnection("parent", req.GetParent())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	in := req.GetTimelineEvent()
	var vs []rpcerr.Violation
	add := func(field, desc string) {
		vs = append(vs, rpcerr.Violation{Field: "timeline_event." + field, Description: desc})
	}
	if in == nil {
		return nil, rpcerr.InvalidArgument(rpcerr.Violation{Field: "timeline_event", Description: "is required: the conversation to log"})
	}
	ev := outbox.Event{Workspace: name.Workspace, Connection: name.ID, RequestID: req.GetRequestId(),
		Title: in.GetTitle(), Body: in.GetBody(), FromNumber: in.GetFromNumber(), ToNumber: in.GetToNumber(),
		RecordingURL: in.GetRecordingUrl(), ConversationURL: in.GetConversationUrl(), Metadata: in.GetMetadata(),
		CreateContactIfMissing: in.GetCreateContactIfMissing()}
	ev.Kind = kindsIn[in.GetKind()] // unspecified or unknown: "", which the outbox refuses
	ev.ContactID, ev.ContactEmail = in.GetContact().GetId(), in.GetContact().GetEmail()
	if t := in.GetOccurTime(); t != nil {
		ev.OccurredAt = t.AsTime()
	}
	switch in.GetDirection() {
	case integrationsv1.Direction_DIRECTION_INBOUND:
		ev.Direction = outbox.DirectionInbound
	case integrationsv1.Direction_DIRECTION_OUTBOUND:
		ev.Direction = outbox.DirectionOutbound
	case integrationsv1.Direction_DIRECTION_UNSPECIFIED:
	default:
		add("direction", fmt.Sprintf("%d is not a direction: DIRECTION_INBOUND or DIRECTION_OUTBOUND", in.GetDirection()))
	}
	if d := in.GetDuration(); d != nil {
		ev.Duration = d.AsDuration()
	}
	if v := validateRequestID(req.GetRequestId()); v != nil {
		vs = append(vs, *v)
	}
	if len(vs) > 0 {
		return nil, rpcerr.InvalidArgument(vs...)
	}
	// The outbox owns the event's rules (kind, contact and its email, every field's bound, the
	// composed body HubSpot would refuse, occur_time's range): checked before any other work.
	if err := s.outbox.Validate(&ev); err != nil {
		return nil, s.timelineError(ctx, err, name.String())
	}
	if len(in.GetContactProperties()) > 0 {
		if !ev.CreateContactIfMissing {
			add("contact_properties", "are only used with create_contact_if_missing")
		} else {
			if err := checkPropertyCount("timeline_event.contact_properties", len(in.GetContactProperties())); err != nil {
				return nil, err
			}
			c, err := s.openCRM(ctx, name, "contacts")
			if err != nil {
				return nil, err
			}
			props, pvs := contactProps(c.schema, "timeline_event.contact_properties.", ev.ContactEmail, in.GetContactProperties(), fields.NewSuggestionBudget())
			vs = append(vs, pvs...)
			ev.ContactProperties = props
		}
	}
	if len(vs) > 0 {
		return nil, rpcerr.InvalidArgument(vs...)
	}
	if _, err := s.handles.Get(ctx, name); err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	saved, err := s.outbox.Enqueue(ctx, ev)
	if err != nil {
		return nil, s.timelineError(ctx, err, name.String())
	}
	if req.GetWaitForDelivery() && saved.Status == outbox.StatusQueued {
		// Within the caller's deadline; when it comes first the event stays QUEUED and is
		// still delivered.
		if done, err := s.outbox.WaitDelivered(ctx, saved.Workspace, saved.Connection, saved.ID); err == nil {
			saved = done
		} else if ctx.Err() == nil {
			return nil, s.timelineError(ctx, err, name.String())
		}
	}
	return timelineProto(saved), nil
}

// GetTimelineEvent returns an event with its delivery status.
func (s *Service) GetTimelineEvent(ctx context.Context, req *integrationsv1.GetTimelineEventRequest) (*integrationsv1.TimelineEvent, error) {
	event, err := resname.ParseTimelineEvent("name", req.GetName())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	conn, id := event.Connection, event.ID
	if err := authorize(ctx, conn.Workspace); err != nil {
		return nil, err
	}
	ev, err := s.outbox.Get(ctx, conn.Workspace, conn.ID, id)
	if errors.Is(err, outbox.ErrNotFound) {
		return nil, rpcerr.NotFound("timeline event", req.GetName())
	}
	if err != nil {
		return nil, s.timelineError(ctx, err, conn.String())
	}
	return timelineProto(ev), nil
}

var statusesIn = map[integrationsv1.TimelineEventStatus]outbox.Status{
	integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_QUEUED:    outbox.StatusQueued,
	integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_DELIVERED: outbox.StatusDelivered,
	integrationsv1.TimelineEventStatus_TIMELINE_EVENT_STATUS_FAILED:    outbox.StatusFailed,
}

// ListTimelineEvents lists a connection's events, newest first.
func (s *Service) ListTimelineEvents(ctx context.Context, req *integrationsv1.ListTimelineEventsRequest) (*integrationsv1.ListTimelineEventsResponse, error) {
	name, err := resname.ParseConnection("parent", req.GetParent())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	size, err := resname.PageSize(req.GetPageSize(), outbox.DefaultPageSize, outbox.MaxPageSize)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	fp := requestFingerprint("ListTimelineEvents", req)
	cursor, err := resname.DecodeCursorToken(req.GetPageToken(), fp)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if _, err := s.handles.Get(ctx, name); err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	page, err := s.outbox.List(ctx, outbox.ListOptions{Workspace: name.Workspace, Connection: name.ID,
		Status: statusesIn[req.GetStatus()], PageSize: size, PageToken: cursor})
	if err != nil {
		return nil, s.timelineError(ctx, err, name.String())
	}
	resp := &integrationsv1.ListTimelineEventsResponse{}
	for _, ev := range page.Events {
		resp.TimelineEvents = append(resp.TimelineEvents, timelineProto(ev))
	}
	if page.NextPageToken != "" {
		resp.NextPageToken = resname.EncodeCursorToken(page.NextPageToken, fp)
	}
	return resp, nil
}

// timelineError maps the outbox's errors.
func (s *Service) timelineError(ctx context.Context, err error, connection string) error {
	var ve *outbox.ValidationError
	var full *outbox.QueueFullError
	switch {
	case errors.As(err, &ve):
		return rpcerr.InvalidArgument(rpcerr.Violation{Field: "timeline_event." + ve.Field, Description: ve.Reason})
	case errors.As(err, &full):
		msg := fmt.Sprintf("connection %s already has %d timeline events waiting for delivery to HubSpot, the most a connection may queue: "+
			"wait for them to be delivered and retry; if they are not moving, GetConnection or TestConnection says why "+
			"(an invalid token, missing scopes or the daily API limit hold delivery), and ListTimelineEvents with status QUEUED lists them",
			connection, full.Limit)
		return rpcerr.New(codes.ResourceExhausted, rpcerr.ReasonTimelineQueueFull, msg,
			map[string]string{"connection": connection, "limit": strconv.Itoa(full.Limit)},
			&errdetails.QuotaFailure{Violations: []*errdetails.QuotaFailure_Violation{{
				Subject: connection, Description: fmt.Sprintf("at most %d queued timeline events per connection", full.Limit)}}})
	case errors.Is(err, outbox.ErrNotFound):
		return rpcerr.NotFound("connection", connection)
	case errors.Is(err, outbox.ErrClosed):
		return shuttingDown()
	}
	return s.failFor(ctx, err, connection)
}

func timelineProto(ev outbox.Event) *integrationsv1.TimelineEvent {
	out := &integrationsv1.TimelineEvent{
		Name: resname.TimelineEvent{Connection: resname.Connection{Workspace: ev.Workspace, ID: ev.Connection}, ID: ev.ID}.String(), Title: ev.Title, Body: ev.Body,
		CreateContactIfMissing: ev.CreateContactIfMissing, FromNumber: ev.FromNumber, ToNumber: ev.ToNumber,
		RecordingUrl: ev.RecordingURL, ConversationUrl: ev.ConversationURL, Metadata: ev.Metadata,
		Attempts: int32(ev.Attempts), LastError: ev.LastError, HubspotObjectType: ev.HubSpotObjectType,
		HubspotObjectId: ev.HubSpotObjectID, HubspotContactId: ev.HubSpotContactID,
	}
	for k, v := range kindsIn {
		if v == ev.Kind {
			out.Kind = k
		}
	}
	for k, v := range statusesIn {
		if v == ev.Status {
			out.Status = k
		}
	}
	if ev.ContactID != "" {
		out.Contact = &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: ev.ContactID}}
	} else {
		out.Contact = &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: ev.ContactEmail}}
	}
	switch ev.Direction {
	case outbox.DirectionInbound:
		out.Direction = integrationsv1.Direction_DIRECTION_INBOUND
	case outbox.DirectionOutbound:
		out.Direction = integrationsv1.Direction_DIRECTION_OUTBOUND
	}
	if ev.Duration > 0 {
		out.Duration = durationpb.New(ev.Duration)
	}
	if !ev.OccurredAt.IsZero() {
		out.OccurTime = timestamppb.New(ev.OccurredAt)
	}
	if !ev.CreateTime.IsZero() {
		out.CreateTime = timestamppb.New(ev.CreateTime)
	}
	if !ev.DeliverTime.IsZero() && ev.Status == outbox.StatusDelivered {
		out.DeliverTime = timestamppb.New(ev.DeliverTime)
	}
	return out
}
