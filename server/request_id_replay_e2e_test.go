package main

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// replayAnswer is what a mutation answered, in terms both transports share.
type replayAnswer struct {
	resp    proto.Message // nil on error
	code    codes.Code
	reason  string // ErrorInfo reason of an error
	differs string // its metadata "differs"
}

// replayAnswerOver sends req, a request of tc's RPC, over tr with acme's key.
func replayAnswerOver(t *testing.T, tr rpcTransport, ts *testServer, tc replayCase, req proto.Message) replayAnswer {
	t.Helper()
	resp, e := tr.call(t, ts, ts.keys["acme"], method(t, tc.name), req)
	if e != nil {
		return replayAnswer{code: e.Code, reason: e.Reason, differs: e.Metadata["differs"]}
	}
	return replayAnswer{resp: resp}
}

// diffAnswers compares two answers, messages with protocmp.
func diffAnswers(want, got replayAnswer) string {
	return cmp.Diff(want, got, protocmp.Transform(), cmp.AllowUnexported(replayAnswer{}))
}

// TestRequestIDReplay: for every mutation, over both transports, the same request_id with the
// same request gets the first call's answer without acting again, also over the other transport
// and after a restart; with a
// different request it is refused as REQUEST_ID_REUSED naming the field that differs; and
// concurrent duplicates run once and all get that one answer.
func TestRequestIDReplay(t *testing.T) {
	t.Parallel()
	for _, tc := range replayCases {
		for i, tr := range rpcTransports {
			other := rpcTransports[1-i]
			t.Run(tc.name+"/"+tr.name, func(t *testing.T) {
				t.Parallel()
				ts, _, conn, seed := seeded(t)
				e := replayEnv{ts: ts, conn: conn, seed: seed}
				executions := func() int { return tc.executions(ts.sb.Counters()) }

				req := tc.request(t, e, 0, "replay-"+tc.name)
				before := executions()
				first := replayAnswerOver(t, tr, ts, tc, req)
				if first.resp == nil {
					t.Fatalf("first call: %+v", first)
				}
				once := executions() - before
				if once == 0 && tc.name != "DeleteConnection" {
					t.Fatalf("the first call did nothing the sandbox counts")
				}
				checkOver := func(tr rpcTransport, step string, want replayAnswer, route replayCase, req proto.Message) {
					t.Helper()
					if d := diffAnswers(want, replayAnswerOver(t, tr, ts, route, req)); d != "" {
						t.Errorf("%s (-want +got):\n%s", step, d)
					}
					if got := executions() - before; got != once {
						t.Errorf("%s: %d executions at HubSpot, want %d", step, got, once)
					}
				}
				check := func(step string, want replayAnswer, route replayCase, req proto.Message) {
					t.Helper()
					checkOver(tr, step, want, route, req)
				}
				check("the same request again", first, tc, req)
				checkOver(other, "the same request over "+other.name, first, tc, req)
				ts.restart(t, ts.env)
				check("the same request after a restart", first, tc, req)
				changed, field := tc.change(req)
				reused := func(differs string) replayAnswer {
					return replayAnswer{code: codes.InvalidArgument, reason: "REQUEST_ID_REUSED", differs: differs}
				}
				check("another request with the same request_id", reused(field), tc, changed)
				route, another := anotherMethod(t, e, "replay-"+tc.name, tc.name)
				check("another method with the same request_id", reused("method"), route, another)

				// Concurrent duplicates of a new request: one execution, one answer for all.
				const duplicates = 4
				dup := tc.request(t, e, 1, "concurrent-"+tc.name)
				before = executions()
				answers := make([]replayAnswer, duplicates)
				var wg sync.WaitGroup
				for i := range duplicates {
					wg.Go(func() { answers[i] = replayAnswerOver(t, tr, ts, tc, dup) })
				}
				wg.Wait()
				if answers[0].resp == nil {
					t.Fatalf("concurrent call: %+v", answers[0])
				}
				for i := 1; i < duplicates; i++ {
					if d := diffAnswers(answers[0], answers[i]); d != "" {
						t.Errorf("concurrent duplicate %d answered otherwise (-first +got):\n%s", i, d)
					}
				}
				if got := executions() - before; got != once {
					t.Errorf("%d concurrent duplicates: %d executions at HubSpot, want %d (one)", duplicates, got, once)
				}
			})
		}
	}
}

// anotherMethod is a request of a mutation other than skip, with requestID.
func anotherMethod(t *testing.T, e replayEnv, requestID, skip string) (replayCase, proto.Message) {
	t.Helper()
	other := replayCases[0]
	if other.name == skip {
		other = replayCases[len(replayCases)-1]
	}
	return other, other.request(t, e, 0, requestID)
}
