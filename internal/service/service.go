// Package service implements the IntegrationService RPCs: request validation, authorization
// against the caller's workspace, and error mapping. It holds no SQL and no HTTP to HubSpot;
// those live in the store and hubspot packages. It keeps no state of a connection either: a
// handler authorizes, fetches the connection's handle (package handles) and converts what it
// gives to and from protos.
package service

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/handles"
	"github.com/connectflo/integrations/internal/outbox"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/telemetry"
	"github.com/connectflo/integrations/internal/usage"
)

// ConnectionStore is the part of the store the connection RPCs use.
type ConnectionStore interface {
	GetConnection(ctx context.Context, workspace, id string) (store.Connection, error)
	ListConnections(ctx context.Context, workspace string, afterSeq int64, limit int) ([]store.Connection, error)
}

// Service implements integrationsv1.IntegrationServiceServer.
type Service struct {
	// Embedded for grpc-go's forward compatibility only: every RPC is implemented in this
	// package.
	integrationsv1.UnimplementedIntegrationServiceServer

	store   ConnectionStore
	conns   *connections.Manager
	handles *handles.Registry
	outbox  *outbox.Outbox
	logger  *slog.Logger
	audit   AuditLog
	changes ChangeDeps
	usage   *usage.Recorder
	// closing is closed by StopWatches: open WatchChanges streams end.
	closing   chan struct{}
	closeOnce sync.Once
}

var _ integrationsv1.IntegrationServiceServer = (*Service)(nil)

// Deps are the capabilities the service hands requests to.
type Deps struct {
	Store ConnectionStore
	// Conns runs the connection lifecycle (connect, rotate, delete, diagnose).
	Conns *connections.Manager
	// Handles owns each connection's live state: client, schemas, batcher and caches.
	Handles  *handles.Registry
	Outbox   *outbox.Outbox
	Logger   *slog.Logger
	AuditLog AuditLog
	Changes  ChangeDeps
	// Usage counts the requests sent to HubSpot per connection (GetUsage reads it).
	Usage *usage.Recorder
}

// New returns the service over its dependencies.
func New(d Deps) *Service {
	return &Service{store: d.Store, conns: d.Conns, handles: d.Handles, outbox: d.Outbox, logger: d.Logger, audit: d.AuditLog,
		changes: d.Changes, usage: d.Usage, closing: make(chan struct{})}
}

// StopWatches ends every WatchChanges stream (UNAVAILABLE, reason SHUTTING_DOWN: the caller
// resumes from its last cursor elsewhere); call it when shutdown starts, since a watch never
// ends by itself and would hold the drain to its deadline.
func (s *Service) StopWatches() { s.closeOnce.Do(func() { close(s.closing) }) }

// Close drains work the connections hold in memory (queued upserts) until ctx ends; call it
// after the gRPC server has stopped taking calls. Their callers have had their answer (the
// call ended with the server), so what is cut short is reported to nobody but the log: an
// upsert by email is safe to retry.
func (s *Service) Close(ctx context.Context) error { return s.handles.Close(ctx) }

// authorize fails with PERMISSION_DENIED unless the caller's key may act in workspace.
// It runs before any lookup, so a key never learns whether another workspace's resources exist.
func authorize(ctx context.Context, workspace string) error {
	p, ok := auth.FromContext(ctx)
	if !ok {
		// The auth interceptor runs before every handler; reaching here is a wiring bug.
		return rpcerr.New(codes.Unauthenticated, rpcerr.ReasonUnauthenticated, "no authenticated caller", nil)
	}
	if !p.CanAccess(workspace) {
		return rpcerr.PermissionDenied(workspace)
	}
	return nil
}

// fail turns an error from a lower layer into what the caller sees. Status errors pass as they
// are; malformed names become INVALID_ARGUMENT; anything unexpected is logged in full and
// returned as a generic INTERNAL carrying the request id.
func (s *Service) fail(ctx context.Context, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if mapped := rpcerr.FromFieldError(err); mapped != err { //nolint:errorlint // identity: did FromFieldError map it
		return mapped
	}
	if mapped := mapLifecycleError(err, ""); mapped != nil {
		return mapped
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The caller went away (or its deadline passed) while the store or HubSpot was
		// answering: not the service's fault, so neither INTERNAL nor an error in the log.
		return status.FromContextError(ctx.Err()).Err()
	}
	id := telemetry.RequestID(ctx)
	s.logger.ErrorContext(ctx, "unexpected error", "request_id", id, "err", err)
	return rpcerr.Internal(id)
}

// isNotFound reports whether err is the store's not-found.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
