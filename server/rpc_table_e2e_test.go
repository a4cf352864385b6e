package main

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// rpcCase is one call of one RPC and what it must answer, over either transport.
type rpcCase struct {
	rpc, name string
	setup     rpcSetup
	workspace string // whose API key calls: "acme" when empty, "none" for a call without a key
	request   func(e *rpcEnv) proto.Message
	// want is the expected response (nil for an error); ignore lists the fields that differ
	// from call to call (times, generated ids).
	want   func(e *rpcEnv) proto.Message
	ignore []cmp.Option
	// wantErr is the expected error: its code, reason and field violations.
	wantErr *rpcAnswer
}

// invalid is INVALID_ARGUMENT with a violation of each of fields.
func invalid(reason string, fields ...string) *rpcAnswer {
	return &rpcAnswer{Code: codes.InvalidArgument, Reason: reason, Fields: fields}
}

// rpcError is an error of code with reason and no field violations.
func rpcError(code codes.Code, reason string) *rpcAnswer {
	return &rpcAnswer{Code: code, Reason: reason}
}

// rpcCases covers every RPC of IntegrationService, each with at least one success and one
// error (TestEveryRPCOverBothTransports checks it against the service descriptor).
var rpcCases = slices.Concat(connectionCases, recordCases, discoveryCases, timelineConditionCases, changeCases, usageCases)

// TestEveryRPCOverBothTransports runs the table over gRPC and REST, each case on a server of
// its own, in parallel: both transports must give the same answer, the one the case states.
// An RPC of the service without a success case and an error case fails the test.
func TestEveryRPCOverBothTransports(t *testing.T) {
	t.Parallel()
	methods := integrationService.Methods()
	outcomes := map[string]map[bool]bool{} // rpc → succeeds? → has a case
	for _, tc := range rpcCases {
		md := method(t, tc.rpc)
		if outcomes[tc.rpc] == nil {
			outcomes[tc.rpc] = map[bool]bool{}
		}
		outcomes[tc.rpc][tc.wantErr == nil] = true
		for _, tr := range rpcTransports {
			t.Run(tc.rpc+"/"+tc.name+"/"+tr.name, func(t *testing.T) {
				t.Parallel()
				e := newRPCEnv(t, tc.setup)
				var key string
				switch tc.workspace {
				case "":
					key = e.ts.keys["acme"]
				case "none":
				default:
					key = e.ts.keys[tc.workspace]
				}
				got := answerOf(tr.call(t, e.ts, key, md, tc.request(e)))
				want := rpcAnswer{}
				if tc.wantErr != nil {
					want = *tc.wantErr
				} else {
					want.Response = tc.want(e)
				}
				opts := append([]cmp.Option{protocmp.Transform()}, tc.ignore...)
				if d := cmp.Diff(want, got, opts...); d != "" {
					t.Errorf("%s (-want +got):\n%s", tc.rpc, d)
				}
			})
		}
	}
	for i := 0; i < methods.Len(); i++ {
		rpc := string(methods.Get(i).Name())
		if !outcomes[rpc][true] || !outcomes[rpc][false] {
			t.Errorf("%s lacks a success case or an error case in rpcCases", rpc)
		}
	}
}
