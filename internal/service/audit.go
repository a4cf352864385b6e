package service

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/store"
)

// AuditLog is the part of the store ListAuditEvents reads.
type AuditLog interface {
	ListAuditEvents(ctx context.Context, workspace string, beforeSeq int64, f store.AuditFilter, limit int) ([]store.AuditEvent, error)
}

// Page sizes of ListAuditEvents, and the longest resource filter (longer names do not exist).
const (
	defaultAuditPageSize  = 50
	maxAuditPageSize      = 1000
	maxAuditResourceBytes = 300
)

// ListAuditEvents pages through a workspace's audit log, newest first.
func (s *Service) ListAuditEvents(ctx context.Context, req *integrationsv1.ListAuditEventsRequest) (*integrationsv1.ListAuditEventsResponse, error) {
	ws, err := resname.ParseWorkspace("parent", req.GetParent())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, ws.ID); err != nil {
		return nil, err
	}
	var violations []rpcerr.Violation
	action := req.GetAction()
	if _, known := integrationsv1.AuditAction_name[int32(action)]; !known {
		violations = append(violations, rpcerr.Violation{Field: "action", Description: fmt.Sprintf("%d is not an AuditAction; leave it unset for every action", action)})
	}
	if len(req.GetResource()) > maxAuditResourceBytes {
		violations = append(violations, rpcerr.Violation{Field: "resource",
			Description: fmt.Sprintf("must be a resource name of at most %d bytes, such as workspaces/%s/connections/prod", maxAuditResourceBytes, ws.ID)})
	}
	if len(violations) > 0 {
		return nil, rpcerr.InvalidArgument(violations...)
	}
	size, err := resname.PageSize(req.GetPageSize(), defaultAuditPageSize, maxAuditPageSize)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	filter := store.AuditFilter{Resource: req.GetResource()}
	if action != integrationsv1.AuditAction_AUDIT_ACTION_UNSPECIFIED {
		filter.Action = strings.TrimPrefix(action.String(), "AUDIT_ACTION_")
	}
	fingerprint := resname.Fingerprint("ListAuditEvents", ws.String(), filter.Action, filter.Resource)
	tok, err := resname.DecodePageToken(req.GetPageToken(), fingerprint)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	// One extra row tells whether another page exists without a COUNT.
	rows, err := s.audit.ListAuditEvents(ctx, ws.ID, tok.After, filter, size+1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	resp := &integrationsv1.ListAuditEventsResponse{}
	if len(rows) > size {
		rows = rows[:size]
		resp.NextPageToken = resname.EncodePageToken(resname.PageToken{After: rows[size-1].Seq, Fingerprint: fingerprint})
	}
	for _, e := range rows {
		resp.AuditEvents = append(resp.AuditEvents, auditEventProto(ws, e))
	}
	return resp, nil
}

// auditEventProto is the API view of a stored audit event.
func auditEventProto(ws resname.Workspace, e store.AuditEvent) *integrationsv1.AuditEvent {
	out := &integrationsv1.AuditEvent{
		Name:         resname.AuditEvent{Workspace: ws, ID: e.ID}.String(),
		EventTime:    timestamppb.New(e.Time),
		Action:       integrationsv1.AuditAction(integrationsv1.AuditAction_value["AUDIT_ACTION_"+e.Action]),
		Resource:     e.Resource,
		Transport:    integrationsv1.AuditTransport(integrationsv1.AuditTransport_value["AUDIT_TRANSPORT_"+e.Transport]),
		PeerAddress:  e.PeerAddress,
		ForwardedFor: e.ForwardedFor,
		RequestId:    e.RequestID,
		Outcome:      e.Outcome,
		Reason:       e.Reason,
		Description:  e.Description,
	}
	switch {
	case e.ActorAPIKeyID != "":
		out.Actor = &integrationsv1.AuditEvent_ApiKeyId{ApiKeyId: e.ActorAPIKeyID}
	case e.ActorOperator != "":
		out.Actor = &integrationsv1.AuditEvent_Operator{Operator: e.ActorOperator}
	}
	return out
}
