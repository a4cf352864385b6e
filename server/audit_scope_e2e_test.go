package main

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/app"
	"github.com/connectflo/integrations/internal/audit"
	"github.com/connectflo/integrations/internal/secrets"
)

// auditCallers returns a caller per transport, named.
func auditCallers(ts *testServer) map[string]auditCaller {
	return map[string]auditCaller{
		"grpc": grpcAuditCaller{ts: ts, addrs: &localAddrs{}},
		"rest": restAuditCaller{ts: ts, addrs: &localAddrs{}},
	}
}

// summary is what these tests compare of an event: action and resource.
func summary(events []*integrationsv1.AuditEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.GetAction().String()+" "+e.GetResource())
	}
	return out
}

// A workspace reads only its own log; a key of another workspace is refused before anything
// is read; an all-workspaces key reads the workspace it names. Filters narrow the log, and a
// bad filter or a page token of another filter is the caller's error.
func TestAuditLogScope(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client(t, ts.keys["acme"])
	conn, err := c.Connect(context.Background(), &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Prod", AccessToken: ts.token})
	if err != nil {
		t.Fatal(err)
	}
	acmeKey := "workspaces/acme/apiKeys/" + keyID(ts.keys["acme"])
	for transport, caller := range auditCallers(ts) {
		t.Run(transport, func(t *testing.T) {
			cases := []struct {
				name, key, parent string
				query             url.Values
				want              []string   // action and resource of each event, newest first
				wantCode          codes.Code // OK, or why the call is refused
			}{
				{"own workspace", "acme", "workspaces/acme", nil,
					[]string{"AUDIT_ACTION_CONNECT " + conn.GetName(), "AUDIT_ACTION_CREATE_API_KEY " + acmeKey}, codes.OK},
				{"other workspace's own log", "globex", "workspaces/globex", nil,
					[]string{"AUDIT_ACTION_CREATE_API_KEY workspaces/globex/apiKeys/" + keyID(ts.keys["globex"])}, codes.OK},
				{"another workspace's log", "globex", "workspaces/acme", nil, nil, codes.PermissionDenied},
				{"all-workspaces key", "*", "workspaces/acme", nil,
					[]string{"AUDIT_ACTION_CONNECT " + conn.GetName(), "AUDIT_ACTION_CREATE_API_KEY " + acmeKey}, codes.OK},
				{"action filter", "acme", "workspaces/acme", url.Values{"action": {"AUDIT_ACTION_CREATE_API_KEY"}},
					[]string{"AUDIT_ACTION_CREATE_API_KEY " + acmeKey}, codes.OK},
				{"resource filter", "acme", "workspaces/acme", url.Values{"resource": {conn.GetName()}},
					[]string{"AUDIT_ACTION_CONNECT " + conn.GetName()}, codes.OK},
				{"resource filter of nothing", "acme", "workspaces/acme", url.Values{"resource": {"workspaces/acme/connections/none"}}, nil, codes.OK},
				{"unknown action", "acme", "workspaces/acme", url.Values{"action": {"99"}}, nil, codes.InvalidArgument},
				{"huge resource filter", "acme", "workspaces/acme", url.Values{"resource": {strings.Repeat("x", 301)}}, nil, codes.InvalidArgument},
				{"negative page size", "acme", "workspaces/acme", url.Values{"pageSize": {"-1"}}, nil, codes.InvalidArgument},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					resp, raw, code := caller.list(t, ts.keys[tc.key], tc.parent, tc.query)
					if code != tc.wantCode {
						t.Fatalf("got %v %s; want %v", code, raw, tc.wantCode)
					}
					if code != codes.OK {
						return
					}
					if resp == nil {
						t.Fatalf("ListAuditEvents: %s", raw)
					}
					if diff := cmp.Diff(tc.want, summary(resp.GetAuditEvents())); diff != "" {
						t.Errorf("events (-want +got):\n%s", diff)
					}
				})
			}
			// A page token only continues the listing it came from.
			first, raw, _ := caller.list(t, ts.keys["acme"], "workspaces/acme", url.Values{"pageSize": {"1"}})
			if first.GetNextPageToken() == "" {
				t.Fatalf("no next page after one of two events: %s", raw)
			}
			if _, raw, code := caller.list(t, ts.keys["acme"], "workspaces/acme",
				url.Values{"pageToken": {first.GetNextPageToken()}, "resource": {conn.GetName()}}); code != codes.InvalidArgument || !strings.Contains(raw, "page_token") {
				t.Errorf("a page token with another filter: %s; want INVALID_ARGUMENT on page_token", raw)
			}
		})
	}
}

// Commands run on the server are recorded in the workspace they touch, with the operating
// system user as the actor: apikey create and revoke, and each token rotate-keys re-encrypts.
// The events name the encryption key's id, never the key.
func TestAuditCommandLine(t *testing.T) {
	t.Parallel()
	oldKey, _ := secrets.NewKey("old")
	ts := startServerWith(t, serverOptions{env: map[string]string{"INTEGRATIONS_ENCRYPTION_KEYS": secrets.FormatKeys(oldKey)}})
	ctx := context.Background()
	conn, err := ts.client(t, ts.keys["acme"]).Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Prod", AccessToken: ts.token})
	if err != nil {
		t.Fatal(err)
	}
	ts.stop()
	newKey, _ := secrets.NewKey("new")
	env := map[string]string{"INTEGRATIONS_ENCRYPTION_KEYS": secrets.FormatKeys(newKey, oldKey)}
	var out, errOut bytes.Buffer
	if err := app.Run(ctx, []string{"rotate-keys", "--db", ts.db}, func(k string) string { return env[k] }, &out, &errOut); err != nil {
		t.Fatalf("rotate-keys: %v\n%s", err, errOut.String())
	}
	if _, stderr, err := runCLI(t, "apikey", "revoke", keyID(ts.keys["acme"]), "--db", ts.db); err != nil {
		t.Fatalf("apikey revoke: %v %s", err, stderr)
	}
	ts.env = env
	ts.start(t)

	operator := &integrationsv1.AuditEvent_Operator{Operator: audit.Operator()}
	command := func(action integrationsv1.AuditAction, resource, description string) *integrationsv1.AuditEvent {
		return &integrationsv1.AuditEvent{Action: action, Resource: resource, Actor: operator,
			Transport: integrationsv1.AuditTransport_AUDIT_TRANSPORT_COMMAND_LINE, Outcome: "OK", Description: description}
	}
	acmeKey := "workspaces/acme/apiKeys/" + keyID(ts.keys["acme"])
	want := []*integrationsv1.AuditEvent{
		command(integrationsv1.AuditAction_AUDIT_ACTION_REVOKE_API_KEY, acmeKey, `API key `+keyID(ts.keys["acme"])+` of workspace "acme"`),
		command(integrationsv1.AuditAction_AUDIT_ACTION_ROTATE_ENCRYPTION_KEY, conn.GetName(), `token re-encrypted under key "new"`),
		command(integrationsv1.AuditAction_AUDIT_ACTION_CREATE_API_KEY, acmeKey, `API key `+keyID(ts.keys["acme"])+` of workspace "acme"`),
	}
	for transport, caller := range auditCallers(ts) {
		t.Run(transport, func(t *testing.T) {
			resp, raw, _ := caller.list(t, ts.keys["*"], "workspaces/acme", nil) // the acme key is revoked
			if resp == nil {
				t.Fatalf("ListAuditEvents: %s", raw)
			}
			var got []*integrationsv1.AuditEvent
			for _, e := range resp.GetAuditEvents() {
				if e.GetTransport() == integrationsv1.AuditTransport_AUDIT_TRANSPORT_COMMAND_LINE {
					got = append(got, e)
				}
			}
			if diff := cmp.Diff(want, got, protocmp.Transform(),
				protocmp.IgnoreFields(&integrationsv1.AuditEvent{}, "name", "event_time")); diff != "" {
				t.Errorf("command-line events (-want +got):\n%s", diff)
			}
			for _, secret := range []string{ts.keys["acme"], strings.SplitN(ts.keys["acme"], "_", 3)[2], ts.token,
				strings.SplitN(secrets.FormatKeys(newKey), ":", 2)[1], strings.SplitN(secrets.FormatKeys(oldKey), ":", 2)[1]} {
				if strings.Contains(raw, secret) {
					t.Errorf("the audit log answer contains a secret (%.12s…)", secret)
				}
			}
		})
	}
}
