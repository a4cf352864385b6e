package main

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

func TestBadInputOverREST(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	key := ts.keys["acme"]
	huge := `{"displayName":"` + strings.Repeat("x", 5<<20) + `"}`
	cases := []struct {
		name, method, path, body string
		httpCode                 int
		reason                   string
	}{
		{"malformed JSON", "POST", "/v1/workspaces/acme/connections", `{"displayName":`, 400, "MALFORMED_REQUEST"},
		{"not an object", "POST", "/v1/workspaces/acme/connections", `[1,2]`, 400, "MALFORMED_REQUEST"},
		{"unknown field", "POST", "/v1/workspaces/acme/connections", `{"displayName":"x","bogus":1}`, 400, "MALFORMED_REQUEST"},
		{"wrong type", "POST", "/v1/workspaces/acme/connections", `{"displayName":42}`, 400, "MALFORMED_REQUEST"},
		{"oversized body", "POST", "/v1/workspaces/acme/connections", huge, 413, "REQUEST_TOO_LARGE"},
		{"bad page token", "GET", "/v1/workspaces/acme/connections?pageToken=not-a-token", "", 400, "INVALID_ARGUMENT"},
		{"negative page size", "GET", "/v1/workspaces/acme/connections?pageSize=-1", "", 400, "INVALID_ARGUMENT"},
		{"non-numeric page size", "GET", "/v1/workspaces/acme/connections?pageSize=ten", "", 400, "MALFORMED_REQUEST"},
		{"bad workspace id", "GET", "/v1/workspaces/ACME!/connections", "", 400, "INVALID_ARGUMENT"},
		{"unknown route", "GET", "/v1/nothing/here", "", 404, "NO_SUCH_ROUTE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, tc.method, tc.path, key, tc.body)
			if r.code != tc.httpCode {
				t.Fatalf("HTTP %d %.300s, want %d", r.code, r.raw, tc.httpCode)
			}
			if msg, _ := r.body["message"].(string); msg == "" {
				t.Errorf("no message in %s", r.raw)
			}
			if tc.reason != "" && reasonOf(r.body) != tc.reason {
				t.Errorf("reason = %q, want %q (%s)", reasonOf(r.body), tc.reason, r.raw)
			}
		})
	}
	if r := ts.do(t, "GET", "/healthz", "", ""); r.code != 200 {
		t.Fatalf("server unhealthy after bad input: %d", r.code)
	}
}

func TestBadInputOverGRPC(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client(t, ts.keys["acme"])
	ctx := context.Background()
	cases := []struct {
		name  string
		call  func() error
		code  codes.Code
		field string
	}{
		{"empty parent", func() error {
			_, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{})
			return err
		}, codes.InvalidArgument, "parent"},
		{"parent of the wrong kind", func() error {
			_, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "projects/acme"})
			return err
		}, codes.InvalidArgument, "parent"},
		{"name with too many segments", func() error {
			_, err := c.GetConnection(ctx, &integrationsv1.GetConnectionRequest{Name: "workspaces/acme/connections/a/b"})
			return err
		}, codes.InvalidArgument, "name"},
		{"page token of another request", func() error {
			_, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme", PageToken: "eyJhIjoxLCJmIjoxfQ"})
			return err
		}, codes.InvalidArgument, "page_token"},
		{"message over the size limit", func() error {
			_, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: strings.Repeat("x", 5<<20)})
			return err
		}, codes.ResourceExhausted, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			e := client.ErrorDetails(err)
			if e.Code != tc.code {
				t.Fatalf("code = %v (%v), want %v", e.Code, err, tc.code)
			}
			if tc.field == "" {
				return
			}
			if len(e.FieldViolations) != 1 || e.FieldViolations[0].Field != tc.field || e.FieldViolations[0].Description == "" {
				t.Errorf("field violations = %+v, want one naming %q", e.FieldViolations, tc.field)
			}
		})
	}
	if _, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"}); err != nil {
		t.Fatalf("server unusable after bad input: %v", err)
	}
}
