package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/handles"
	"github.com/connectflo/integrations/internal/idempotency"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/store"
)

// validateRequestID checks an optional idempotency key. internal/idempotency, which keeps
// the answers of calls with a valid one, owns the rule.
func validateRequestID(id string) *rpcerr.Violation {
	if !idempotency.ValidRequestID(id) {
		return &rpcerr.Violation{Field: "request_id", Description: idempotency.RequestIDRule}
	}
	return nil
}

// Connect checks a HubSpot token and stores the new connection.
func (s *Service) Connect(ctx context.Context, req *integrationsv1.ConnectRequest) (*integrationsv1.Connection, error) {
	ws, err := resname.ParseWorkspace("parent", req.GetParent())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, ws.ID); err != nil {
		return nil, err
	}
	var violations []rpcerr.Violation
	name := strings.TrimSpace(req.GetDisplayName())
	switch {
	case name == "":
		violations = append(violations, rpcerr.Violation{Field: "display_name", Description: "is required: a friendly name such as \"Production HubSpot\""})
	case utf8.RuneCountInString(name) > connections.MaxDisplayNameLength || !utf8.ValidString(name):
		violations = append(violations, rpcerr.Violation{Field: "display_name",
			Description: fmt.Sprintf("must be valid text of at most %d characters", connections.MaxDisplayNameLength)})
	}
	if strings.TrimSpace(req.GetAccessToken()) == "" {
		violations = append(violations, rpcerr.Violation{Field: "access_token", Description: "is required: " + connections.TokenShapeRule})
	}
	if v := validateRequestID(req.GetRequestId()); v != nil {
		violations = append(violations, *v)
	}
	if id := req.GetConnectionId(); id != "" && !resname.ValidID(id) {
		violations = append(violations, rpcerr.Violation{Field: "connection_id",
			Description: "must be " + resname.IDRule + "; or leave it empty"})
	}
	if len(violations) > 0 {
		return nil, rpcerr.InvalidArgument(violations...)
	}
	c, err := s.conns.Connect(ctx, connections.ConnectRequest{Workspace: ws.ID, DisplayName: name,
		AccessToken: req.GetAccessToken(), RequestID: req.GetRequestId(), ID: req.GetConnectionId()})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return connectionProto(s.discoverNow(ctx, s.handles.Of(c))), nil
}

// UpdateCredentials rotates a connection's token.
func (s *Service) UpdateCredentials(ctx context.Context, req *integrationsv1.UpdateCredentialsRequest) (*integrationsv1.Connection, error) {
	name, err := resname.ParseConnection("name", req.GetName())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetAccessToken()) == "" {
		return nil, rpcerr.InvalidArgument(rpcerr.Violation{Field: "access_token", Description: "is required: " + connections.TokenShapeRule})
	}
	if v := validateRequestID(req.GetRequestId()); v != nil {
		return nil, rpcerr.InvalidArgument(*v)
	}
	c, err := s.conns.UpdateCredentials(ctx, name, req.GetAccessToken())
	if err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	// The new token's client and batcher replace the old ones, which drain in the background.
	h := s.handles.Rotate(c)
	s.outbox.Wake(name.Workspace, name.ID) // timeline events held for scopes or a bad token go now
	return connectionProto(s.discoverNow(ctx, h)), nil
}

// DeleteConnection disconnects.
func (s *Service) DeleteConnection(ctx context.Context, req *integrationsv1.DeleteConnectionRequest) (*emptypb.Empty, error) {
	name, err := resname.ParseConnection("name", req.GetName())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	if v := validateRequestID(req.GetRequestId()); v != nil {
		return nil, rpcerr.InvalidArgument(*v)
	}
	switch err := s.conns.Delete(ctx, name, req.GetRequestId()); {
	case errors.Is(err, connections.ErrDeleteReplayed):
		// The first call's answer; whatever holds the name now is not the retry's to touch.
		return &emptypb.Empty{}, nil
	case err != nil:
		return nil, s.failFor(ctx, err, name.String())
	}
	s.handles.Drop(name) // its queued upserts drain; its schemas and caches leave memory
	return &emptypb.Empty{}, nil
}

// TestConnection diagnoses a connection.
func (s *Service) TestConnection(ctx context.Context, req *integrationsv1.TestConnectionRequest) (*integrationsv1.TestConnectionResponse, error) {
	name, err := resname.ParseConnection("name", req.GetName())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	d, err := s.conns.Test(ctx, name)
	if err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	resp := &integrationsv1.TestConnectionResponse{
		Connection: connectionProto(d.Connection), Reachable: d.Reachable, TokenValid: d.TokenValid,
		GrantedScopes: d.Scopes.Granted, TestTime: timestamppb.New(d.TestTime),
		IntrospectedFacts: d.IntrospectedFacts, ProbedFacts: d.ProbedFacts, UnverifiedScopes: d.Scopes.Unverified,
	}
	if d.Latency > 0 {
		resp.Latency = durationpb.New(d.Latency)
	}
	for _, sc := range d.Scopes.MissingRequired {
		resp.MissingRequiredScopes = append(resp.MissingRequiredScopes, sc.Name)
	}
	for _, sc := range d.Scopes.MissingRecommended {
		resp.MissingRecommendedScopes = append(resp.MissingRecommendedScopes, sc.Name)
	}
	for _, c := range d.Scopes.Capabilities {
		resp.Capabilities = append(resp.Capabilities, &integrationsv1.Capability{Id: c.ID, Description: c.Description,
			Available: c.Available, MissingScopes: c.MissingScopes})
	}
	if d.LimitsKnown {
		_, increases := connections.AccountLimits(d.Limits)
		rl := &integrationsv1.RateLimitStatus{
			ApiLimitIncreases: int32(increases),
			IntervalMax:       int32(d.Limits.Standard.Budget), IntervalRemaining: int32(d.Limits.Standard.Headroom),
			Interval: durationpb.New(d.Limits.Standard.Window), DailyMax: d.Limits.DailyLimit, DailyRemaining: d.Limits.DailyRemaining,
		}
		if !d.Limits.DailyResetAt.IsZero() {
			rl.DailyResetTime = timestamppb.New(d.Limits.DailyResetAt)
		}
		resp.RateLimit = rl
	}
	for _, p := range d.Problems {
		resp.Problems = append(resp.Problems, &integrationsv1.Problem{Code: p.Code, Message: p.Message, Remedy: p.Remedy})
	}
	return resp, nil
}

// failFor is fail with the connection's name for NOT_FOUND messages.
func (s *Service) failFor(ctx context.Context, err error, name string) error {
	if mapped := mapLifecycleError(err, name); mapped != nil {
		return mapped
	}
	return s.fail(ctx, err)
}

// discoverNow discovers the fields of a connection that has none cached yet (just connected,
// or credentials just rotated), so that it comes back ready to use. A failure does not undo
// the connection: it is recorded as DEGRADED with what to do, and the connection returned.
func (s *Service) discoverNow(ctx context.Context, h *handles.Handle) store.Connection {
	c, name := h.Connection(), h.Name()
	if !c.FieldsDiscoveredAt.IsZero() {
		return c // a replayed Connect: discovered the first time
	}
	if _, err := h.RefreshSchemas(ctx); err != nil {
		s.logger.WarnContext(ctx, "field discovery after connect failed", "connection", name.String(), "err", err)
		reason := "fields could not be discovered yet (" + err.Error() + "): call DiscoverFields with refresh set to try again"
		if serr := s.conns.SetStatus(ctx, name, connections.StatusDegraded, reason); serr != nil {
			s.logger.ErrorContext(ctx, "record connection status", "connection", name.String(), "err", serr)
		}
	}
	if fresh, err := s.conns.Get(ctx, name); err == nil {
		return fresh
	}
	return c
}
