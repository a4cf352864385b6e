package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/emptypb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// deleteOver deletes the connection name with requestID over tr, with acme's key.
func deleteOver(t *testing.T, tr rpcTransport, ts *testServer, name, requestID string) rpcAnswer {
	t.Helper()
	return answerOf(tr.call(t, ts, ts.keys["acme"], method(t, "DeleteConnection"),
		&integrationsv1.DeleteConnectionRequest{Name: name, RequestId: requestID}))
}

// A retried DeleteConnection answers as its first call did and never deletes a connection
// created since under the same name; its request_id cannot delete another connection.
func TestDeleteConnectionReplayLeavesSuccessorAlone(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	connect := func(t *testing.T, id string) *integrationsv1.Connection {
		t.Helper()
		conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "HubSpot " + id,
			ConnectionId: id, AccessToken: ts.newToken(t, sandbox.AllScopes())}) // one token per connection (TOKEN_ALREADY_CONNECTED)
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}
	for _, tr := range rpcTransports {
		t.Run(tr.name, func(t *testing.T) {
			id, other, reqID := "prod-"+tr.name, "other-"+tr.name, "del-"+tr.name
			first := connect(t, id)
			deleted := rpcAnswer{Response: &emptypb.Empty{}}
			if d := cmp.Diff(deleted, deleteOver(t, tr, ts, first.GetName(), reqID), protocmp.Transform()); d != "" {
				t.Fatalf("first delete (-want +got):\n%s", d)
			}
			successor := connect(t, id)
			connect(t, other)
			cases := []struct {
				name   string
				target string
				want   rpcAnswer
			}{
				{"retry of the first delete", successor.GetName(), deleted},
				{"request_id of another delete", "workspaces/acme/connections/" + other, *invalid("REQUEST_ID_REUSED", "request_id")},
			}
			for _, tc := range cases {
				if d := cmp.Diff(tc.want, deleteOver(t, tr, ts, tc.target, reqID), protocmp.Transform()); d != "" {
					t.Errorf("%s (-want +got):\n%s", tc.name, d)
				}
			}
			for _, name := range []string{successor.GetName(), "workspaces/acme/connections/" + other} {
				got, err := c.GetConnection(ctx, &integrationsv1.GetConnectionRequest{Name: name})
				if err != nil {
					t.Errorf("%s after the replays: %v; want it untouched", name, err)
					continue
				}
				if name == successor.GetName() && got.GetCreateTime().AsTime() != successor.GetCreateTime().AsTime() {
					t.Errorf("%s is not the successor: created %v, want %v", name, got.GetCreateTime().AsTime(), successor.GetCreateTime().AsTime())
				}
			}
		})
	}
}
