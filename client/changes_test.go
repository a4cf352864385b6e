package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// feedServer serves WatchChanges from a fixed list of changes (cursor = index + 1), and ends
// each stream with the next of its planned errors after sending breakAfter changes.
type feedServer struct {
	integrationsv1.UnimplementedIntegrationServiceServer
	changes    []*integrationsv1.Change
	breakAfter int
	errs       []error // one per stream; nil: the stream stays open

	mu      sync.Mutex
	cursors []string // the cursor each stream was opened with
}

func (f *feedServer) WatchChanges(req *integrationsv1.WatchChangesRequest, stream grpc.ServerStreamingServer[integrationsv1.Change]) error {
	f.mu.Lock()
	n := len(f.cursors)
	f.cursors = append(f.cursors, req.GetCursor())
	f.mu.Unlock()
	start := 0
	fmt.Sscan(req.GetCursor(), &start)
	sent := 0
	for _, ch := range f.changes[start:] {
		if n < len(f.errs) && f.errs[n] != nil && sent == f.breakAfter {
			return f.errs[n]
		}
		if err := stream.Send(ch); err != nil {
			return err
		}
		sent++
	}
	if n < len(f.errs) && f.errs[n] != nil {
		return f.errs[n]
	}
	<-stream.Context().Done()
	return nil
}

// startFeed serves f on a loopback port and returns a client of it.
func startFeed(t *testing.T, f *feedServer) *Client {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	integrationsv1.RegisterIntegrationServiceServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	c, err := New(lis.Addr().String(), WithPlaintext())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestChangesResumesAfterUnavailable: a stream cut with UNAVAILABLE is opened again from the
// last cursor, so nothing is lost or repeated; another error ends the iteration with it.
func TestChangesResumesAfterUnavailable(t *testing.T) {
	t.Parallel()
	var all []*integrationsv1.Change
	var ids []string
	for i := range 5 {
		all = append(all, &integrationsv1.Change{Id: fmt.Sprintf("c%d", i), Cursor: fmt.Sprint(i + 1)})
		ids = append(ids, fmt.Sprintf("c%d", i))
	}
	unavailable, denied := status.Error(codes.Unavailable, "restarting"), status.Error(codes.PermissionDenied, "no")
	for _, tc := range []struct {
		name        string
		errs        []error
		wantIDs     []string
		wantCursors []string
		wantErr     codes.Code
	}{
		{"cut twice, then open", []error{unavailable, unavailable, nil}, ids, []string{"", "2", "4"}, codes.OK},
		{"cut, then refused", []error{unavailable, denied}, ids[:4], []string{"", "2"}, codes.PermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &feedServer{changes: all, breakAfter: 2, errs: tc.errs}
			c := startFeed(t, f)
			var got []string
			var gotErr error
			for ch, err := range c.Changes(context.Background(), &integrationsv1.WatchChangesRequest{Connection: "workspaces/acme/connections/prod"}) {
				if err != nil {
					gotErr = err
					break
				}
				got = append(got, ch.GetId())
				if len(got) == len(all) {
					break
				}
			}
			if d := cmp.Diff(tc.wantIDs, got); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
			if status.Code(gotErr) != tc.wantErr {
				t.Errorf("error %v, want %v", gotErr, tc.wantErr)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if d := cmp.Diff(tc.wantCursors, f.cursors); d != "" {
				t.Errorf("cursors the streams were opened with (-want +got):\n%s", d)
			}
		})
	}
}

// TestChangesEndsWithTheContext: cancelling the context ends the iteration with its error.
func TestChangesEndsWithTheContext(t *testing.T) {
	t.Parallel()
	c := startFeed(t, &feedServer{changes: []*integrationsv1.Change{{Id: "c0", Cursor: "1"}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []string
	var gotErr error
	for ch, err := range c.Changes(ctx, &integrationsv1.WatchChangesRequest{}) {
		if err != nil {
			gotErr = err
			break
		}
		got = append(got, ch.GetId())
		cancel()
	}
	if d := cmp.Diff([]string{"c0"}, got); d != "" || !errors.Is(gotErr, context.Canceled) {
		t.Errorf("got %v then %v; want c0 then context.Canceled", got, gotErr)
	}
}
