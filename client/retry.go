package client

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Backoff between attempts: full jitter over an exponentially growing cap.
const (
	retryBaseDelay = 100 * time.Millisecond
	retryMaxDelay  = 2 * time.Second
)

// readOnlyPrefixes are the RPC name prefixes that change nothing a retry could duplicate.
// TestConnection and DiscoverFields do update cached state, but idempotently.
var readOnlyPrefixes = []string{"Get", "List", "Search", "Test", "Discover", "Validate", "Evaluate"}

// retrySafe reports whether a call may be sent again after UNAVAILABLE: reads always, and
// mutations only when they carry a request_id, which makes the server answer a repeat with
// the first call's answer instead of acting again (UNAVAILABLE itself is not kept: the repeat
// runs the call).
func retrySafe(method string, req any) bool {
	name := method[strings.LastIndex(method, "/")+1:]
	for _, p := range readOnlyPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	m, ok := req.(proto.Message)
	if !ok {
		return false
	}
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName("request_id")
	return fd != nil && r.Get(fd).String() != ""
}

// retryInterceptor retries UNAVAILABLE on retry-safe calls, within the call's deadline.
func retryInterceptor(maxAttempts int) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		var err error
		for attempt := 1; ; attempt++ {
			err = invoker(ctx, method, req, reply, cc, opts...)
			if err == nil || attempt >= maxAttempts || status.Code(err) != codes.Unavailable || !retrySafe(method, req) {
				return err
			}
			delay := backoff(attempt)
			if d, ok := retryDelay(err); ok && d > delay {
				delay = d
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
				return err // waiting would overrun the deadline: give the caller the real error now
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
		}
	}
}

// backoff is the delay after the given failed attempt (1-based): uniform in [0, cap).
func backoff(attempt int) time.Duration {
	ceiling := retryBaseDelay << (attempt - 1)
	if ceiling > retryMaxDelay || ceiling <= 0 {
		ceiling = retryMaxDelay
	}
	return rand.N(ceiling) //nolint:gosec // jitter, not a secret
}
