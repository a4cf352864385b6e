package app

import (
	"context"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/connectflo/integrations/internal/rpcerr"
)

// healthService is grpc-go's health service with one change: its Watch streams end at
// shutdown. grpc-go keeps a Watch open until the caller leaves, and a balancer that watches
// (grpc-go's client-side health checking does) never leaves by itself: GracefulStop would
// wait for it until the gRPC stage of the drain is cut. Check, List and the statuses are
// grpc-go's.
type healthService struct {
	*health.Server
	ended   chan struct{} // closed by endWatches
	endOnce sync.Once
}

func newHealthService() *healthService {
	return &healthService{Server: health.NewServer(), ended: make(chan struct{})}
}

// endWatches ends every Watch stream, open or to come, with UNAVAILABLE (reason
// SHUTTING_DOWN): the caller watches another replica. Call it when the shutdown's drain starts.
func (h *healthService) endWatches() { h.endOnce.Do(func() { close(h.ended) }) }

// Watch is grpc-go's, on a stream whose context also ends with endWatches.
func (h *healthService) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	go func() {
		select {
		case <-h.ended:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := h.Server.Watch(req, watchStream{Health_WatchServer: stream, ctx: ctx})
	select {
	case <-h.ended:
		return rpcerr.New(codes.Unavailable, rpcerr.ReasonShuttingDown, "the server is shutting down; watch the health of another replica", nil)
	default:
		return err
	}
}

// watchStream is a Watch stream with another context.
type watchStream struct {
	healthpb.Health_WatchServer
	ctx context.Context
}

func (w watchStream) Context() context.Context { return w.ctx }
