package idempotency

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/store/storetest"
)

const (
	upsertMethod = "/connectflo.integrations.v1.IntegrationService/UpsertContact"
	batchMethod  = "/connectflo.integrations.v1.IntegrationService/BatchUpsertContacts"
	prod         = "workspaces/acme/connections/prod"
)

// openStore opens a fresh database of e; reopen opens the same database again, as a
// restarted or second process would.
func openStore(t *testing.T, e storetest.Engine) (st *store.Store, reopen func() *store.Store) {
	t.Helper()
	dsn := e.DSN(t)
	reopen = func() *store.Store {
		s, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return reopen(), reopen
}

func newKeeper(st Store) *Keeper { return New(st, slog.New(slog.NewTextHandler(io.Discard, nil))) }

// caller is the context of a call by a key of workspace acme.
func caller() context.Context {
	return auth.WithPrincipal(context.Background(), auth.Principal{KeyID: "k1", Workspace: "acme"})
}

// countingHandler answers every call with answer, counting the calls.
type countingHandler struct {
	calls  atomic.Int32
	answer func(n int32) (any, error)
}

func (h *countingHandler) handle(context.Context, any) (any, error) { return h.answer(h.calls.Add(1)) }

func upsert(requestID, email string) *integrationsv1.UpsertContactRequest {
	return &integrationsv1.UpsertContactRequest{Connection: prod, Email: email, RequestId: requestID}
}

func (k *Keeper) call(ctx context.Context, method string, req proto.Message, h grpc.UnaryHandler) (any, error) {
	return k.UnaryInterceptor()(ctx, req, &grpc.UnaryServerInfo{FullMethod: method}, h)
}

// answerOf makes an answer comparable: the message, or the status as a message.
func answerOf(resp any, err error) proto.Message {
	if err != nil {
		return status.Convert(err).Proto()
	}
	return resp.(proto.Message)
}

// TestWhichAnswersAreKept: a retry gets the first answer of a success or a caller's error
// without running again; after a transient error or an answer too large to keep, it runs again.
func TestWhichAnswersAreKept(t *testing.T) { storetest.OnEachEngine(t, testWhichAnswersAreKept) }

func testWhichAnswersAreKept(t *testing.T, e storetest.Engine) {
	big := strings.Repeat("x", MaxKeptAnswerBytes)
	tests := []struct {
		name     string
		answer   func(n int32) (any, error)
		wantRuns int32
	}{
		{"success", func(n int32) (any, error) {
			return &integrationsv1.UpsertContactResponse{ContactId: fmt.Sprint(n), Created: true}, nil
		}, 1},
		{"invalid argument", func(n int32) (any, error) { return nil, status.Errorf(codes.InvalidArgument, "bad %d", n) }, 1},
		{"not found", func(n int32) (any, error) { return nil, status.Errorf(codes.NotFound, "gone %d", n) }, 1},
		{"failed precondition", func(n int32) (any, error) { return nil, status.Errorf(codes.FailedPrecondition, "scopes %d", n) }, 1},
		{"unavailable", func(n int32) (any, error) { return nil, status.Errorf(codes.Unavailable, "down %d", n) }, 2},
		{"deadline exceeded", func(n int32) (any, error) { return nil, status.Errorf(codes.DeadlineExceeded, "slow %d", n) }, 2},
		{"resource exhausted", func(n int32) (any, error) { return nil, status.Errorf(codes.ResourceExhausted, "full %d", n) }, 2},
		{"aborted", func(n int32) (any, error) { return nil, status.Errorf(codes.Aborted, "conflict %d", n) }, 2},
		{"internal", func(n int32) (any, error) { return nil, status.Errorf(codes.Internal, "bug %d", n) }, 2},
		{"too large to keep", func(n int32) (any, error) {
			return &integrationsv1.UpsertContactResponse{ContactId: fmt.Sprint(n), Contact: big}, nil
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := openStore(t, e)
			k := newKeeper(st)
			h := &countingHandler{answer: tc.answer}
			first := answerOf(k.call(caller(), upsertMethod, upsert("r1", "ada@example.com"), h.handle))
			again := answerOf(k.call(caller(), upsertMethod, upsert("r1", "ada@example.com"), h.handle))
			if got := h.calls.Load(); got != tc.wantRuns {
				t.Fatalf("ran %d times, want %d", got, tc.wantRuns)
			}
			if tc.wantRuns == 1 {
				if d := cmp.Diff(first, again, protocmp.Transform()); d != "" {
					t.Errorf("the retry answered otherwise (-first +retry):\n%s", d)
				}
			}
		})
	}
}

// TestReusedRequestIDNamesTheDifference: the same request_id with another request is refused
// without running, naming the method or the first field that differs; in another workspace
// the same request_id is another key.
func TestReusedRequestIDNamesTheDifference(t *testing.T) {
	storetest.OnEachEngine(t, testReusedRequestIDNamesTheDifference)
}

func testReusedRequestIDNamesTheDifference(t *testing.T, e storetest.Engine) {
	first := &integrationsv1.BatchUpsertContactsRequest{Connection: prod, RequestId: "r1", Contacts: []*integrationsv1.ContactUpsert{
		{Email: "a@example.com"}, {Email: "b@example.com", Properties: map[string]*structpb.Value{"firstname": structpb.NewStringValue("B")}}}}
	with := func(edit func(r *integrationsv1.BatchUpsertContactsRequest)) *integrationsv1.BatchUpsertContactsRequest {
		r := proto.Clone(first).(*integrationsv1.BatchUpsertContactsRequest)
		edit(r)
		return r
	}
	tests := []struct {
		name        string
		method      string
		req         proto.Message
		wantDiffers string // "" for "runs"
	}{
		{"another method", upsertMethod, upsert("r1", "a@example.com"), "method"},
		{"another element", batchMethod, with(func(r *integrationsv1.BatchUpsertContactsRequest) { r.Contacts[1].Properties = nil }), "contacts[1]"},
		{"one element more", batchMethod, with(func(r *integrationsv1.BatchUpsertContactsRequest) {
			r.Contacts = append(r.Contacts, &integrationsv1.ContactUpsert{Email: "c@example.com"})
		}), "contacts[2]"},
		{"another connection", batchMethod, with(func(r *integrationsv1.BatchUpsertContactsRequest) { r.Connection += "-2" }), "connection"},
		{"another workspace", batchMethod, with(func(r *integrationsv1.BatchUpsertContactsRequest) {
			r.Connection = "workspaces/globex/connections/prod"
		}), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := openStore(t, e)
			k := newKeeper(st)
			h := &countingHandler{answer: func(int32) (any, error) { return &integrationsv1.BatchUpsertContactsResponse{}, nil }}
			ctx := auth.WithPrincipal(context.Background(), auth.Principal{KeyID: "k1", Workspace: store.AllWorkspaces})
			if _, err := k.call(ctx, batchMethod, first, h.handle); err != nil {
				t.Fatal(err)
			}
			_, err := k.call(ctx, tc.method, tc.req, h.handle)
			if tc.wantDiffers == "" {
				if err != nil || h.calls.Load() != 2 {
					t.Fatalf("err %v after %d runs; want a second run", err, h.calls.Load())
				}
				return
			}
			got := map[string]string{"code": status.Code(err).String(), "runs": fmt.Sprint(h.calls.Load())}
			for _, d := range status.Convert(err).Details() {
				if info, ok := d.(*errdetails.ErrorInfo); ok {
					got["reason"], got["differs"] = info.GetReason(), info.GetMetadata()["differs"]
				}
			}
			want := map[string]string{"code": "InvalidArgument", "runs": "1", "reason": "REQUEST_ID_REUSED", "differs": tc.wantDiffers}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestConcurrentDuplicatesRunOnce: duplicates sent while the first call runs, in this process
// or in another one over the same database, get its answer and run nothing.
func TestConcurrentDuplicatesRunOnce(t *testing.T) {
	storetest.OnEachEngine(t, testConcurrentDuplicatesRunOnce)
}

func testConcurrentDuplicatesRunOnce(t *testing.T, e storetest.Engine) {
	for _, processes := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d processes", processes), func(t *testing.T) {
			st, reopen := openStore(t, e)
			keepers := []*Keeper{newKeeper(st)}
			if processes == 2 {
				keepers = append(keepers, newKeeper(reopen()))
				keepers[1].pollEvery = time.Millisecond
			}
			entered, release := make(chan struct{}), make(chan struct{})
			h := &countingHandler{answer: func(n int32) (any, error) {
				close(entered)
				<-release
				return &integrationsv1.UpsertContactResponse{ContactId: fmt.Sprint(n)}, nil
			}}
			const duplicates = 6
			answers := make([]proto.Message, duplicates)
			var wg sync.WaitGroup
			wg.Go(func() {
				answers[0] = answerOf(keepers[0].call(caller(), upsertMethod, upsert("r1", "a@example.com"), h.handle))
			})
			<-entered // the first call runs; the duplicates come now
			for i := 1; i < duplicates; i++ {
				wg.Go(func() {
					answers[i] = answerOf(keepers[i%processes].call(caller(), upsertMethod, upsert("r1", "a@example.com"), h.handle))
				})
			}
			close(release)
			wg.Wait()
			if h.calls.Load() != 1 {
				t.Errorf("ran %d times, want once", h.calls.Load())
			}
			for i := 1; i < duplicates; i++ {
				if d := cmp.Diff(answers[0], answers[i], protocmp.Transform()); d != "" {
					t.Errorf("duplicate %d (-first +got):\n%s", i, d)
				}
			}
		})
	}
}

// TestRowOfADeadCall: a row left in progress by a process that died holds the request_id until
// its bound (a retry before then waits, within its own deadline); after it, a retry runs again.
func TestRowOfADeadCall(t *testing.T) { storetest.OnEachEngine(t, testRowOfADeadCall) }

func testRowOfADeadCall(t *testing.T, e storetest.Engine) {
	tests := []struct {
		name     string
		expireIn time.Duration
		wantCode codes.Code
		wantRuns int32
	}{
		{"bound passed: runs again", -time.Second, codes.OK, 1},
		{"within the bound: waits until its own deadline", time.Hour, codes.DeadlineExceeded, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := openStore(t, e)
			k := newKeeper(st)
			p, err := fingerprint(upsertMethod, upsert("r1", "a@example.com"), upsert("", "").ProtoReflect().Descriptor().Fields().ByName("request_id"))
			if err != nil {
				t.Fatal(err)
			}
			if _, claimed, err := st.ClaimRequest(context.Background(), store.RequestCall{Workspace: "acme", RequestID: "r1", Method: upsertMethod,
				Fingerprint: p.sum, FieldDigests: encodeFields(p.fields), Claim: "dead", Expire: time.Now().Add(tc.expireIn)}); err != nil || !claimed {
				t.Fatalf("claim: %v %v", claimed, err)
			}
			h := &countingHandler{answer: func(int32) (any, error) { return &integrationsv1.UpsertContactResponse{}, nil }}
			ctx, cancel := context.WithTimeout(caller(), 50*time.Millisecond)
			defer cancel()
			_, err = k.call(ctx, upsertMethod, upsert("r1", "a@example.com"), h.handle)
			if status.Code(err) != tc.wantCode || h.calls.Load() != tc.wantRuns {
				t.Errorf("%v after %d runs; want %v after %d", err, h.calls.Load(), tc.wantCode, tc.wantRuns)
			}
		})
	}
}

// TestAnswerOutlivesTheProcess: a restarted process answers a retry from the database.
func TestAnswerOutlivesTheProcess(t *testing.T) {
	storetest.OnEachEngine(t, testAnswerOutlivesTheProcess)
}

func testAnswerOutlivesTheProcess(t *testing.T, e storetest.Engine) {
	st, reopen := openStore(t, e)
	h := &countingHandler{answer: func(n int32) (any, error) {
		return &integrationsv1.UpsertContactResponse{ContactId: fmt.Sprint(n)}, nil
	}}
	first := answerOf(newKeeper(st).call(caller(), upsertMethod, upsert("r1", "a@example.com"), h.handle))
	st.Close()
	again := answerOf(newKeeper(reopen()).call(caller(), upsertMethod, upsert("r1", "a@example.com"), h.handle))
	if d := cmp.Diff(first, again, protocmp.Transform()); d != "" || h.calls.Load() != 1 {
		t.Errorf("after a restart: %d runs, answer (-first +got):\n%s", h.calls.Load(), d)
	}
}

// TestRequestsWithoutAKeyPassThrough: no request_id, a malformed one, or a name outside the
// caller's workspace reach the handler untouched every time.
func TestRequestsWithoutAKeyPassThrough(t *testing.T) {
	storetest.OnEachEngine(t, testRequestsWithoutAKeyPassThrough)
}

func testRequestsWithoutAKeyPassThrough(t *testing.T, e storetest.Engine) {
	for name, req := range map[string]*integrationsv1.UpsertContactRequest{
		"no request_id":        upsert("", "a@example.com"),
		"malformed request_id": upsert("a\nb", "a@example.com"),
		"another workspace":    {Connection: "workspaces/globex/connections/prod", RequestId: "r1"},
		"malformed name":       {Connection: "connections/prod", RequestId: "r1"},
	} {
		t.Run(name, func(t *testing.T) {
			st, _ := openStore(t, e)
			k := newKeeper(st)
			h := &countingHandler{answer: func(int32) (any, error) { return &integrationsv1.UpsertContactResponse{}, nil }}
			for range 2 {
				if _, err := k.call(caller(), upsertMethod, req, h.handle); err != nil {
					t.Fatal(err)
				}
			}
			if h.calls.Load() != 2 {
				t.Errorf("ran %d times, want 2", h.calls.Load())
			}
		})
	}
}

// TestCallerGoneBeforeTheClaim: a call whose caller has gone is answered with its context's
// status, not INTERNAL, and runs nothing.
func TestCallerGoneBeforeTheClaim(t *testing.T) {
	storetest.OnEachEngine(t, testCallerGoneBeforeTheClaim)
}

func testCallerGoneBeforeTheClaim(t *testing.T, e storetest.Engine) {
	st, _ := openStore(t, e)
	k := newKeeper(st)
	h := &countingHandler{answer: func(int32) (any, error) { return &integrationsv1.UpsertContactResponse{}, nil }}
	ctx, cancel := context.WithCancel(caller())
	cancel()
	if _, err := k.call(ctx, upsertMethod, upsert("r1", "a@example.com"), h.handle); status.Code(err) != codes.Canceled || h.calls.Load() != 0 {
		t.Errorf("%v after %d runs; want CANCELED after none", err, h.calls.Load())
	}
}
