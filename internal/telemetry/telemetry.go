// Package telemetry holds the gRPC interceptors every call passes through: a request id,
// one structured log line per call, Prometheus metrics per RPC, and panic recovery.
package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/connectflo/integrations/internal/rpcerr"
)

// RequestIDHeader carries the request id in both directions (gRPC metadata and HTTP header).
const RequestIDHeader = "x-request-id"

// validRequestID limits caller-supplied ids to something safe to log and echo.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

type requestIDKey struct{}

// RequestID returns the id of the current call.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Metrics are the per-RPC Prometheus series.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the RPC series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "integrations_rpc_requests_total",
			Help: "RPCs handled, by method and gRPC status code.",
		}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "integrations_rpc_duration_seconds",
			Help:    "RPC latency in seconds, by method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// UnaryInterceptor assigns a request id, recovers panics, records metrics and logs the call.
// Put it first in the chain so that it sees every outcome, authentication failures included.
func UnaryInterceptor(logger *slog.Logger, m *Metrics) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		start := time.Now()
		ctx, id := withRequestID(ctx)
		func() {
			defer func() {
				if r := recover(); r != nil {
					logger.ErrorContext(ctx, "panic in handler", "method", info.FullMethod, "request_id", id,
						"panic", r, "stack", string(debug.Stack()))
					err = rpcerr.Internal(id)
				}
			}()
			resp, err = handler(ctx, req)
		}()
		observe(ctx, logger, m, info.FullMethod, id, start, err)
		return resp, err
	}
}

// StreamInterceptor is UnaryInterceptor for streaming calls (reflection, health watch).
func StreamInterceptor(logger *slog.Logger, m *Metrics) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		start := time.Now()
		ctx, id := withRequestID(ss.Context())
		func() {
			defer func() {
				if r := recover(); r != nil {
					logger.ErrorContext(ctx, "panic in stream handler", "method", info.FullMethod, "request_id", id,
						"panic", r, "stack", string(debug.Stack()))
					err = rpcerr.Internal(id)
				}
			}()
			err = handler(srv, &idStream{ServerStream: ss, ctx: ctx})
		}()
		observe(ctx, logger, m, info.FullMethod, id, start, err)
		return err
	}
}

func observe(ctx context.Context, logger *slog.Logger, m *Metrics, method, id string, start time.Time, err error) {
	elapsed := time.Since(start)
	code := status.Code(err)
	m.requests.WithLabelValues(method, code.String()).Inc()
	m.latency.WithLabelValues(method).Observe(elapsed.Seconds())
	level := slog.LevelInfo
	if code == codes.Internal || code == codes.Unknown || code == codes.DataLoss {
		level = slog.LevelError
	}
	attrs := []any{"method", method, "code", code.String(), "duration_ms", float64(elapsed.Microseconds()) / 1000, "request_id", id}
	if err != nil {
		// Status messages are written by us and never contain secrets.
		attrs = append(attrs, "error", status.Convert(err).Message())
	}
	logger.Log(ctx, level, "rpc", attrs...)
}

// withRequestID takes the caller's x-request-id when it is sane, or makes one, and sends it
// back in the response header.
func withRequestID(ctx context.Context) (context.Context, string) {
	var id string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(RequestIDHeader); len(v) > 0 && validRequestID.MatchString(v[0]) {
			id = v[0]
		}
	}
	if id == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDHeader, id))
	return context.WithValue(ctx, requestIDKey{}, id), id
}

type idStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *idStream) Context() context.Context { return s.ctx }
