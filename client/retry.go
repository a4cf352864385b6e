package client

import (
	"context"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Backoff between attempts: full jitter over an exponentially growing cap.
const (
	retryBaseDelay = 100 * time.Millisecond
	retryMaxDelay  = 2 * time.Second
)

// retryPolicy decides which calls may be sent again after UNAVAILABLE, from the contract
// itself: a method whose idempotency_level in service.proto is NO_SIDE_EFFECTS (reads) or
// IDEMPOTENT (TestConnection, DiscoverFields) always may; any other call only when its request
// carries a non-empty request_id, which makes the server answer a repeat with the first result
// instead of acting twice. A method the descriptors do not know (a newer server's) is treated
// as a mutation.
type retryPolicy struct {
	idempotent map[string]bool // full gRPC method name, "/package.Service/Method"
}

// newRetryPolicy reads the idempotency_level of every method of the services once.
func newRetryPolicy(services protoreflect.ServiceDescriptors) retryPolicy {
	p := retryPolicy{idempotent: map[string]bool{}}
	for i := range services.Len() {
		methods := services.Get(i).Methods()
		for j := range methods.Len() {
			m := methods.Get(j)
			opts, _ := m.Options().(*descriptorpb.MethodOptions)
			switch opts.GetIdempotencyLevel() {
			case descriptorpb.MethodOptions_NO_SIDE_EFFECTS, descriptorpb.MethodOptions_IDEMPOTENT:
				p.idempotent[fullMethodName(m)] = true
			case descriptorpb.MethodOptions_IDEMPOTENCY_UNKNOWN:
			}
		}
	}
	return p
}

// fullMethodName is the method's name as gRPC gives it to interceptors.
func fullMethodName(m protoreflect.MethodDescriptor) string {
	return "/" + string(m.Parent().FullName()) + "/" + string(m.Name())
}

// retrySafe reports whether the call may be sent again after UNAVAILABLE.
func (p retryPolicy) retrySafe(method string, req any) bool {
	if p.idempotent[method] {
		return true
	}
	m, ok := req.(proto.Message)
	if !ok {
		return false
	}
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName("request_id")
	return fd != nil && fd.Kind() == protoreflect.StringKind && r.Get(fd).String() != ""
}

// retryInterceptor retries UNAVAILABLE on calls the policy deems safe, within the call's deadline.
func retryInterceptor(maxAttempts int, policy retryPolicy) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		var err error
		for attempt := 1; ; attempt++ {
			err = invoker(ctx, method, req, reply, cc, opts...)
			if err == nil || attempt >= maxAttempts || status.Code(err) != codes.Unavailable || !policy.retrySafe(method, req) {
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
