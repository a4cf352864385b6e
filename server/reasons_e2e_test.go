package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"

	"github.com/connectflo/integrations/client"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// TestMain runs the package's tests, then checks that every error reason they met on the wire
// (gRPC through the harness's clients, REST through ts.do) is one of the ErrorReason enum: a
// reason the server sends outside the enum is a reason no caller was told about.
func TestMain(m *testing.M) {
	code := m.Run()
	if testing.Verbose() {
		seen, unseen := wireReasons.coverage()
		fmt.Printf("error reasons: %d of the enum's %d met by these tests; not met: %v\n", seen, len(rpcerr.Reasons), unseen)
	}
	if strays := wireReasons.strays(); len(strays) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the server sent error reasons outside the ErrorReason enum (errors.proto):\n")
		for _, s := range strays {
			fmt.Fprintf(os.Stderr, "\t%s\n", s)
		}
		code = 1
	}
	os.Exit(code)
}

// wireReasons records the reasons of the errors the end-to-end tests receive.
var wireReasons = &reasonLog{seen: map[string]string{}}

// reasonLog is reason → where it was first seen.
type reasonLog struct {
	mu   sync.Mutex
	seen map[string]string
}

// record notes reason, seen on a call to where; errors without an ErrorInfo are left out.
func (l *reasonLog) record(reason, where string) {
	if reason == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[reason]; !ok {
		l.seen[reason] = where
	}
}

// strays lists the recorded reasons that are not in the enum, with where each was seen.
func (l *reasonLog) strays() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for reason, where := range l.seen {
		if !rpcerr.IsReason(reason) {
			out = append(out, fmt.Sprintf("%q (first from %s)", reason, where))
		}
	}
	sort.Strings(out)
	return out
}

// coverage counts the enum's reasons recorded and lists those never met.
func (l *reasonLog) coverage() (seen int, unseen []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range rpcerr.Reasons {
		if _, ok := l.seen[r]; ok {
			seen++
		} else {
			unseen = append(unseen, r)
		}
	}
	return seen, unseen
}

// intercept is a gRPC client interceptor recording the reason of every error.
func (l *reasonLog) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if err != nil {
		l.record(client.Reason(err), method)
	}
	return err
}

// TestReasonLogFindsStrays: the check TestMain makes reports a reason outside the enum, and
// only that one.
func TestReasonLogFindsStrays(t *testing.T) {
	t.Parallel()
	l := &reasonLog{seen: map[string]string{}}
	l.record(client.ReasonTimelineQueueFull, "/LogTimelineEvent")
	l.record("", "/GetConnection")
	l.record("NOT_A_REASON", "GET /v1/x")
	l.record("NOT_A_REASON", "GET /v1/y")
	got := l.strays()
	want := []string{`"NOT_A_REASON" (first from GET /v1/x)`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("strays (-want +got):\n%s", d)
	}
}
