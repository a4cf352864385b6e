package client

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// flakyServer answers UNAVAILABLE to the first failures calls of every RPC and records what
// it saw.
type flakyServer struct {
	integrationsv1.UnimplementedIntegrationServiceServer
	failures int32
	calls    atomic.Int32
	auth     atomic.Value
}

func (f *flakyServer) fail(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("authorization"); len(v) > 0 {
		f.auth.Store(v[0])
	}
	if f.calls.Add(1) <= f.failures {
		return status.Error(codes.Unavailable, "try again")
	}
	return nil
}

func (f *flakyServer) ListConnections(ctx context.Context, _ *integrationsv1.ListConnectionsRequest) (*integrationsv1.ListConnectionsResponse, error) {
	if err := f.fail(ctx); err != nil {
		return nil, err
	}
	return &integrationsv1.ListConnectionsResponse{}, nil
}

func (f *flakyServer) Connect(ctx context.Context, _ *integrationsv1.ConnectRequest) (*integrationsv1.Connection, error) {
	if err := f.fail(ctx); err != nil {
		return nil, err
	}
	return &integrationsv1.Connection{Name: "workspaces/a/connections/b"}, nil
}

func startFlaky(t *testing.T, failures int32) (*flakyServer, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &flakyServer{failures: failures}
	s := grpc.NewServer()
	integrationsv1.RegisterIntegrationServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return f, lis.Addr().String()
}

func TestRetriesUnavailableOnlyWhenSafe(t *testing.T) {
	ctx := context.Background()
	t.Run("read is retried", func(t *testing.T) {
		f, addr := startFlaky(t, 2)
		c, _ := New(addr, WithPlaintext(), WithAPIKey("cfk_x_y"))
		defer c.Close()
		if _, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{}); err != nil {
			t.Fatalf("read failed after retries: %v", err)
		}
		if n := f.calls.Load(); n != 3 {
			t.Errorf("server saw %d calls, want 3", n)
		}
		if got := f.auth.Load(); got != "Bearer cfk_x_y" {
			t.Errorf("authorization = %v, want the API key as a bearer token", got)
		}
	})
	t.Run("mutation without request_id is not", func(t *testing.T) {
		f, addr := startFlaky(t, 1)
		c, _ := New(addr, WithPlaintext())
		defer c.Close()
		_, err := c.Connect(ctx, &integrationsv1.ConnectRequest{})
		if status.Code(err) != codes.Unavailable || f.calls.Load() != 1 {
			t.Errorf("err = %v after %d calls; want UNAVAILABLE after exactly 1", err, f.calls.Load())
		}
	})
	t.Run("mutation with request_id is", func(t *testing.T) {
		f, addr := startFlaky(t, 1)
		c, _ := New(addr, WithPlaintext())
		defer c.Close()
		if _, err := c.Connect(ctx, &integrationsv1.ConnectRequest{RequestId: "r1"}); err != nil || f.calls.Load() != 2 {
			t.Errorf("err = %v after %d calls; want success after 2", err, f.calls.Load())
		}
	})
	t.Run("gives up after max attempts", func(t *testing.T) {
		f, addr := startFlaky(t, 100)
		c, _ := New(addr, WithPlaintext(), WithMaxAttempts(4))
		defer c.Close()
		_, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{})
		if status.Code(err) != codes.Unavailable || f.calls.Load() != 4 {
			t.Errorf("err = %v after %d calls; want UNAVAILABLE after 4", err, f.calls.Load())
		}
	})
	t.Run("default deadline applies", func(t *testing.T) {
		// The 101st call would succeed: only the deadline can end the call before it.
		f, addr := startFlaky(t, 100)
		c, _ := New(addr, WithPlaintext(), WithTimeout(150*time.Millisecond), WithMaxAttempts(1000))
		defer c.Close()
		_, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{})
		// The call ends at the deadline, or with the last UNAVAILABLE when the next backoff
		// would end past it.
		if code := status.Code(err); code != codes.DeadlineExceeded && code != codes.Unavailable {
			t.Errorf("err = %v after %d calls; want the failure the 150 ms default deadline ends the retries with", err, f.calls.Load())
		}
	})
}

func TestErrorDetails(t *testing.T) {
	st, _ := status.New(codes.ResourceExhausted, "HubSpot's rate limit").WithDetails(
		&errdetails.ErrorInfo{Reason: "HUBSPOT_RATE_LIMITED", Domain: "integrations.connectflo.com", Metadata: map[string]string{"policy": "TEN_SECONDLY_ROLLING"}},
		&errdetails.QuotaFailure{Violations: []*errdetails.QuotaFailure_Violation{{Subject: "hubspot-app:1", Description: "100 per 10 s"}}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)},
		&errdetails.PreconditionFailure{Violations: []*errdetails.PreconditionFailure_Violation{{Type: "HUBSPOT_SCOPE", Subject: "crm.schemas.deals.read", Description: "add it"}}},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "email", Description: "not an email"}}},
	)
	want := &Error{Code: codes.ResourceExhausted, Message: "HubSpot's rate limit",
		Reason: "HUBSPOT_RATE_LIMITED", Domain: "integrations.connectflo.com", Metadata: map[string]string{"policy": "TEN_SECONDLY_ROLLING"},
		FieldViolations:        []FieldViolation{{Field: "email", Description: "not an email"}},
		PreconditionViolations: []PreconditionViolation{{Type: "HUBSPOT_SCOPE", Subject: "crm.schemas.deals.read", Description: "add it"}},
		QuotaViolations:        []QuotaViolation{{Subject: "hubspot-app:1", Description: "100 per 10 s"}},
		RetryDelay:             1500 * time.Millisecond}
	if d := cmp.Diff(want, ErrorDetails(st.Err())); d != "" {
		t.Errorf("ErrorDetails (-want +got):\n%s", d)
	}
	if retry, after := Retryable(st.Err()); !retry || after != 1500*time.Millisecond {
		t.Errorf("Retryable = %v, %v; want true, 1.5s", retry, after)
	}
	if retry, _ := Retryable(status.Error(codes.ResourceExhausted, "message too large")); retry {
		t.Error("RESOURCE_EXHAUSTED without RetryInfo (e.g. message too large) must not be retryable")
	}
	if retry, _ := Retryable(status.Error(codes.InvalidArgument, "bad")); retry {
		t.Error("INVALID_ARGUMENT must not be retryable")
	}
	if ErrorDetails(nil) != nil {
		t.Error("ErrorDetails(nil) must be nil")
	}
}
