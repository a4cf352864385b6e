package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// quotaSubjects returns the subjects of a REST error body's QuotaFailure violations.
func quotaSubjects(body map[string]any) []string {
	var out []string
	details, _ := body["details"].([]any)
	for _, d := range details {
		m, _ := d.(map[string]any)
		if m["@type"] != "type.googleapis.com/google.rpc.QuotaFailure" {
			continue
		}
		violations, _ := m["violations"].([]any)
		for _, v := range violations {
			vm, _ := v.(map[string]any)
			s, _ := vm["subject"].(string)
			out = append(out, s)
		}
	}
	return out
}

// TestConnectionLimitOverBothTransports: a workspace at --max-connections-per-workspace gets
// RESOURCE_EXHAUSTED with a QuotaFailure saying what to do, over gRPC and REST alike, and
// nothing is stored; other workspaces still connect.
func TestConnectionLimitOverBothTransports(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.restart(t, map[string]string{"INTEGRATIONS_MAX_CONNECTIONS_PER_WORKSPACE": "2"})
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	for _, dn := range []string{"One", "Two"} {
		if _, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: dn, AccessToken: ts.newToken(t, sandbox.AllScopes())}); err != nil {
			t.Fatal(err)
		}
	}
	const reason = "CONNECTION_LIMIT_REACHED"
	t.Run("grpc", func(t *testing.T) {
		_, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Three", AccessToken: ts.newToken(t, sandbox.AllScopes())})
		e := client.ErrorDetails(err)
		if e == nil || e.Code != codes.ResourceExhausted || e.Reason != reason {
			t.Fatalf("error = %+v; want RESOURCE_EXHAUSTED %s", e, reason)
		}
		var subjects []string
		for _, v := range e.QuotaViolations {
			subjects = append(subjects, v.Subject)
		}
		if d := cmp.Diff([]string{"connections per workspace"}, subjects); d != "" {
			t.Errorf("quota violations (-want +got):\n%s", d)
		}
		if e.Metadata["limit"] != "2" || !strings.Contains(e.Message, "DeleteConnection") || !strings.Contains(e.Message, "--max-connections-per-workspace") {
			t.Errorf("metadata %v, message %q: want the limit and what to do", e.Metadata, e.Message)
		}
	})
	t.Run("rest", func(t *testing.T) {
		r := ts.do(t, "POST", "/v1/workspaces/acme/connections", ts.keys["acme"],
			fmt.Sprintf(`{"displayName":"Three","accessToken":%q}`, ts.newToken(t, sandbox.AllScopes())))
		if r.code != 429 || reasonOf(r.body) != reason {
			t.Fatalf("HTTP %d %s; want 429 %s", r.code, r.raw, reason)
		}
		if d := cmp.Diff([]string{"connections per workspace"}, quotaSubjects(r.body)); d != "" {
			t.Errorf("QuotaFailure subjects (-want +got):\n%s", d)
		}
	})
	list, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"})
	if err != nil || len(list.GetConnections()) != 2 {
		t.Errorf("acme has %d connections (%v), want 2", len(list.GetConnections()), err)
	}
	if _, err := ts.client(t, ts.keys["globex"]).Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/globex", DisplayName: "One", AccessToken: ts.newToken(t, sandbox.AllScopes())}); err != nil {
		t.Errorf("globex is not limited by acme's connections: %v", err)
	}
}

// TestSameTokenTwiceOverBothTransports: connecting a token the workspace already holds under
// another name is ALREADY_EXISTS naming the existing connection, never echoing the token.
func TestSameTokenTwiceOverBothTransports(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	prod, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Production HubSpot", AccessToken: ts.token})
	if err != nil {
		t.Fatal(err)
	}
	const reason = "TOKEN_ALREADY_CONNECTED"
	t.Run("grpc", func(t *testing.T) {
		_, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Copy", AccessToken: ts.token})
		e := client.ErrorDetails(err)
		if e == nil || e.Code != codes.AlreadyExists || e.Reason != reason {
			t.Fatalf("error = %+v; want ALREADY_EXISTS %s", e, reason)
		}
		if d := cmp.Diff(map[string]string{"existing_connection": prod.GetName()}, e.Metadata); d != "" {
			t.Errorf("metadata (-want +got):\n%s", d)
		}
		if !strings.Contains(e.Message, `"Production HubSpot"`) || strings.Contains(e.Message, ts.token) {
			t.Errorf("message %q: want the existing connection's name and never the token", e.Message)
		}
	})
	t.Run("rest", func(t *testing.T) {
		r := ts.do(t, "POST", "/v1/workspaces/acme/connections", ts.keys["acme"],
			fmt.Sprintf(`{"displayName":"Copy","accessToken":%q}`, ts.token))
		if r.code != 409 || reasonOf(r.body) != reason || !strings.Contains(r.raw, prod.GetName()) || strings.Contains(r.raw, ts.token) {
			t.Errorf("HTTP %d %s; want 409 %s naming %s without the token", r.code, r.raw, reason, prod.GetName())
		}
	})
	list, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"})
	if err != nil || len(list.GetConnections()) != 1 {
		t.Errorf("acme has %d connections (%v), want 1", len(list.GetConnections()), err)
	}
}
