package client

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// retryCase is what the client does with one RPC after UNAVAILABLE.
type retryCase struct {
	level           descriptorpb.MethodOptions_IdempotencyLevel // declared in service.proto
	withoutID, with bool                                        // retried without / with a request_id
}

const (
	noSideEffects = descriptorpb.MethodOptions_NO_SIDE_EFFECTS
	idempotent    = descriptorpb.MethodOptions_IDEMPOTENT
	unknown       = descriptorpb.MethodOptions_IDEMPOTENCY_UNKNOWN
)

// retryTable is the retry policy of every RPC of IntegrationService: reads declare
// NO_SIDE_EFFECTS and TestConnection and DiscoverFields IDEMPOTENT, and are retried whatever
// the request; every other RPC is a mutation and retried only with a request_id.
var retryTable = map[string]retryCase{
	"Connect":              {unknown, false, true},
	"GetConnection":        {noSideEffects, true, true},
	"ListConnections":      {noSideEffects, true, true},
	"UpdateCredentials":    {unknown, false, true},
	"DeleteConnection":     {unknown, false, true},
	"TestConnection":       {idempotent, true, true},
	"DiscoverFields":       {idempotent, true, true},
	"UpsertContact":        {unknown, false, true},
	"BatchUpsertContacts":  {unknown, false, true},
	"GetRecord":            {noSideEffects, true, true},
	"SearchRecords":        {noSideEffects, true, true},
	"UpdateRecord":         {unknown, false, true},
	"ListAssociations":     {noSideEffects, true, true},
	"LogTimelineEvent":     {unknown, false, true},
	"GetTimelineEvent":     {noSideEffects, true, true},
	"ListTimelineEvents":   {noSideEffects, true, true},
	"ValidateCondition":    {noSideEffects, true, true},
	"EvaluateCondition":    {noSideEffects, true, true},
	"ListAuditEvents":      {noSideEffects, true, true},
	"WatchChanges":         {noSideEffects, true, true},
	"ListChanges":          {noSideEffects, true, true},
	"GetChangeSettings":    {noSideEffects, true, true},
	"UpdateChangeSettings": {unknown, false, true},
	"GetUsage":             {noSideEffects, true, true},
}

// TestRetryPolicyOfEveryRPC drives the retry interceptor, with an invoker that answers
// UNAVAILABLE once, over every RPC of the service descriptor, with an empty request and with
// one whose request_id is set (where the request has one). A mutation without request_id must
// not run twice; everything else must succeed on the second attempt.
func TestRetryPolicyOfEveryRPC(t *testing.T) {
	services := integrationsv1.File_connectflo_integrations_v1_service_proto.Services()
	policy := newRetryPolicy(services)
	methods := services.ByName("IntegrationService").Methods()
	seen := map[string]bool{}
	for i := range methods.Len() {
		m := methods.Get(i)
		name := string(m.Name())
		seen[name] = true
		want, ok := retryTable[name]
		if !ok {
			t.Errorf("%s is not in retryTable: decide its idempotency_level and add it", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			level := m.Options().(*descriptorpb.MethodOptions).GetIdempotencyLevel()
			withoutID := retried(t, policy, m, false)
			withID := withoutID
			if m.Input().Fields().ByName("request_id") != nil {
				withID = retried(t, policy, m, true)
			}
			got := retryCase{level, withoutID, withID}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(retryCase{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for name := range retryTable {
		if !seen[name] {
			t.Errorf("retryTable has %s, which the service does not", name)
		}
	}
}

// TestUnknownMethodIsAMutation: a method this client's descriptors do not know is not retried
// without a request_id, whatever its name suggests (the old policy went by name prefixes).
func TestUnknownMethodIsAMutation(t *testing.T) {
	policy := newRetryPolicy(integrationsv1.File_connectflo_integrations_v1_service_proto.Services())
	const method = "/connectflo.integrations.v1.IntegrationService/GetSomethingNew"
	if policy.retrySafe(method, &integrationsv1.GetConnectionRequest{}) {
		t.Errorf("%s without request_id is retried; want it treated as a mutation", method)
	}
	if !policy.retrySafe(method, &integrationsv1.ConnectRequest{RequestId: "r1"}) {
		t.Errorf("%s with a request_id is not retried", method)
	}
}

// retried calls method m through the retry interceptor with an invoker that fails with
// UNAVAILABLE on the first attempt only, and reports whether a second attempt was made.
func retried(t *testing.T, policy retryPolicy, m protoreflect.MethodDescriptor, withRequestID bool) bool {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(m.Input().FullName())
	if err != nil {
		t.Fatal(err)
	}
	req := mt.New()
	if withRequestID {
		req.Set(req.Descriptor().Fields().ByName("request_id"), protoreflect.ValueOfString("r-1"))
	}
	attempts := 0
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
		attempts++
		if attempts == 1 {
			return status.Error(codes.Unavailable, "try again")
		}
		return nil
	}
	err = retryInterceptor(3, policy)(context.Background(), fullMethodName(m), req.Interface(), proto.Clone(req.Interface()), nil, invoker)
	if attempts > 1 && err != nil {
		t.Fatalf("second attempt made but the call failed: %v", err)
	}
	return attempts > 1
}
