package audit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/telemetry"
)

// StatusReader reads a connection's stored status, to tell whether TestConnection changed it.
type StatusReader interface {
	GetConnection(ctx context.Context, workspace, id string) (store.Connection, error)
}

// UnaryInterceptor records the audited RPCs (Connect, UpdateCredentials, DeleteConnection,
// UpdateChangeSettings, and TestConnection when it changes the status) after they ran, with their outcome. It runs
// after authentication and the workspace guard, so it records only callers of the workspace
// named in the request: a key cannot write into another workspace's log. Requests whose name
// does not parse are not recorded (no workspace to file them under).
func (r *Recorder) UnaryInterceptor(peers *GatewayPeers, statuses StatusReader, logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		var (
			action, description string
			target              resname.Connection
			ws                  string
			err                 error
		)
		switch req := req.(type) {
		case *integrationsv1.ConnectRequest:
			w, perr := resname.ParseWorkspace("parent", req.GetParent())
			if perr != nil {
				return handler(ctx, req)
			}
			action, ws, target = ActionConnect, w.ID, resname.Connection{Workspace: w.ID, ID: req.GetConnectionId()}
			description = fmt.Sprintf("display name %q", req.GetDisplayName())
		case *integrationsv1.UpdateCredentialsRequest:
			action = ActionUpdateCredentials
			target, err = resname.ParseConnection("name", req.GetName())
		case *integrationsv1.UpdateChangeSettingsRequest:
			action = ActionUpdateChangeSettings
			var cs resname.ChangeSettings
			cs, err = resname.ParseChangeSettings("change_settings.name", req.GetChangeSettings().GetName())
			target = cs.Connection
			description = "fields " + changeSettingsFields(req)
		case *integrationsv1.DeleteConnectionRequest:
			action = ActionDeleteConnection
			target, err = resname.ParseConnection("name", req.GetName())
		case *integrationsv1.TestConnectionRequest:
			if target, err = resname.ParseConnection("name", req.GetName()); err == nil && r.mayRecord(ctx, target.Workspace) {
				return r.statusChange(ctx, req, handler, target, peers, statuses, logger)
			}
			return handler(ctx, req)
		default:
			return handler(ctx, req)
		}
		if err != nil {
			return handler(ctx, req)
		}
		if ws == "" {
			ws = target.Workspace
		}
		if !r.mayRecord(ctx, ws) {
			return handler(ctx, req)
		}
		resp, herr := handler(ctx, req)
		resource := resname.Workspace{ID: ws}.String()
		if c, ok := resp.(*integrationsv1.Connection); ok && herr == nil {
			resource = c.GetName()
		} else if resname.ValidID(target.ID) {
			resource = target.String()
		}
		r.recordCall(ctx, peers, logger, store.AuditEvent{Workspace: ws, Action: action, Resource: resource, Description: description}, herr)
		return resp, herr
	}
}

// changeSettingsFields names the fields an UpdateChangeSettings sets (never their values: one
// is a secret).
func changeSettingsFields(req *integrationsv1.UpdateChangeSettingsRequest) string {
	if paths := req.GetUpdateMask().GetPaths(); len(paths) > 0 {
		return strings.Join(paths, ", ")
	}
	return "webhook_client_secret, poll_interval"
}

// statusChange runs TestConnection and records an event when the stored status differs
// afterwards (whether the test answered with a diagnosis or an error).
func (r *Recorder) statusChange(ctx context.Context, req any, handler grpc.UnaryHandler, name resname.Connection,
	peers *GatewayPeers, statuses StatusReader, logger *slog.Logger) (any, error) {
	before, err := statuses.GetConnection(ctx, name.Workspace, name.ID)
	resp, herr := handler(ctx, req)
	if err != nil {
		return resp, herr // nothing to compare with: unknown connection, or the read failed
	}
	after, err := statuses.GetConnection(ctx, name.Workspace, name.ID)
	if err != nil || after.Status == before.Status {
		return resp, herr
	}
	r.recordCall(ctx, peers, logger, store.AuditEvent{Workspace: name.Workspace, Action: ActionStatusChange, Resource: name.String(),
		Description: fmt.Sprintf("status changed from %s to %s", before.Status, after.Status)}, herr)
	return resp, herr
}

// mayRecord reports whether the caller acts in workspace: only then does an event go there.
func (r *Recorder) mayRecord(ctx context.Context, workspace string) bool {
	p, ok := auth.FromContext(ctx)
	return ok && p.CanAccess(workspace)
}

// recordCall completes e with who, from where and the outcome of err, and stores it. A
// failure to store is logged, not returned: the operation itself has already happened.
func (r *Recorder) recordCall(ctx context.Context, peers *GatewayPeers, logger *slog.Logger, e store.AuditEvent, err error) {
	p, _ := auth.FromContext(ctx)
	e.ActorAPIKeyID = p.KeyID
	e.Transport, e.PeerAddress, e.ForwardedFor = peers.origin(ctx)
	e.RequestID = telemetry.RequestID(ctx)
	e.Outcome, e.Reason = Outcome(err)
	if serr := r.Record(context.WithoutCancel(ctx), e); serr != nil {
		logger.ErrorContext(ctx, "audit event not recorded", "action", e.Action, "resource", e.Resource,
			"api_key_id", e.ActorAPIKeyID, "outcome", e.Outcome, "err", serr)
	}
}

// Outcome is the canonical code name of err ("OK" for nil) and its ErrorInfo reason.
func Outcome(err error) (outcome, reason string) {
	if err == nil {
		return OutcomeOK, ""
	}
	st := status.Convert(err)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			reason = info.GetReason()
		}
	}
	name, ok := code.Code_name[int32(st.Code())]
	if !ok {
		name = strings.ToUpper(st.Code().String())
	}
	return name, reason
}
