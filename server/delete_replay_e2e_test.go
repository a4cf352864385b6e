package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/hubspot/sandbox"
)

// deleteOutcome is what a DeleteConnection answered, in terms both transports share.
type deleteOutcome struct {
	code   codes.Code
	reason string // ErrorInfo reason; empty on success
	field  string // the one field violation of an INVALID_ARGUMENT; empty otherwise
}

// deleteTransport deletes a connection with a request_id over one transport.
type deleteTransport struct {
	name   string
	delete func(t *testing.T, ts *testServer, name, requestID string) deleteOutcome
}

var deleteTransports = []deleteTransport{
	{"grpc", func(t *testing.T, ts *testServer, name, requestID string) deleteOutcome {
		_, err := ts.client(t, ts.keys["acme"]).DeleteConnection(context.Background(),
			&integrationsv1.DeleteConnectionRequest{Name: name, RequestId: requestID})
		if err == nil {
			return deleteOutcome{code: codes.OK}
		}
		e := client.ErrorDetails(err)
		out := deleteOutcome{code: e.Code, reason: e.Reason}
		if len(e.FieldViolations) == 1 {
			out.field = e.FieldViolations[0].Field
		}
		return out
	}},
	{"rest", func(t *testing.T, ts *testServer, name, requestID string) deleteOutcome {
		r := ts.do(t, "DELETE", "/v1/"+name+"?requestId="+requestID, ts.keys["acme"], "")
		if r.code == 200 {
			return deleteOutcome{code: codes.OK}
		}
		code, _ := r.body["code"].(float64)
		out := deleteOutcome{code: codes.Code(code), reason: reasonOf(r.body)}
		if want := map[codes.Code]int{codes.InvalidArgument: 400, codes.NotFound: 404}[out.code]; want != r.code {
			t.Errorf("REST answered HTTP %d for %v", r.code, out.code)
		}
		for _, d := range r.body["details"].([]any) {
			if fv, ok := d.(map[string]any)["fieldViolations"].([]any); ok && len(fv) == 1 {
				out.field, _ = fv[0].(map[string]any)["field"].(string)
			}
		}
		return out
	}},
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
	for _, tr := range deleteTransports {
		t.Run(tr.name, func(t *testing.T) {
			id, other, reqID := "prod-"+tr.name, "other-"+tr.name, "del-"+tr.name
			first := connect(t, id)
			if d := cmp.Diff(deleteOutcome{code: codes.OK}, tr.delete(t, ts, first.GetName(), reqID), cmp.AllowUnexported(deleteOutcome{})); d != "" {
				t.Fatalf("first delete (-want +got):\n%s", d)
			}
			successor := connect(t, id)
			connect(t, other)
			cases := []struct {
				name   string
				target string
				want   deleteOutcome
			}{
				{"retry of the first delete", successor.GetName(), deleteOutcome{code: codes.OK}},
				{"request_id of another delete", "workspaces/acme/connections/" + other,
					deleteOutcome{code: codes.InvalidArgument, reason: "REQUEST_ID_REUSED", field: "request_id"}},
			}
			for _, tc := range cases {
				if d := cmp.Diff(tc.want, tr.delete(t, ts, tc.target, reqID), cmp.AllowUnexported(deleteOutcome{})); d != "" {
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
