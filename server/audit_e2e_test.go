package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// localAddrs remembers the local address of the last connection a client dialled, so a test
// can check that the audit log names exactly the caller's address.
type localAddrs struct {
	mu   sync.Mutex
	last string
}

func (l *localAddrs) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		l.mu.Lock()
		l.last = c.LocalAddr().String()
		l.mu.Unlock()
	}
	return c, err
}

func (l *localAddrs) get() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// auditCaller makes the audited calls over one transport and reads the audit log back. Every
// answer it receives is appended to seen, to be searched for secrets.
type auditCaller interface {
	call(t *testing.T, method, resource, body string) // method: Connect, UpdateCredentials, TestConnection, DeleteConnection
	// list reads the log; on failure resp is nil and code says why
	list(t *testing.T, key, parent string, q url.Values) (resp *integrationsv1.ListAuditEventsResponse, raw string, code codes.Code)
	peer() string // the caller's own address as the server sees it
}

// grpcAuditCaller calls through the typed client, claiming an origin in x-forwarded-for and
// trying to pass for the REST gateway with its metadata.
type grpcAuditCaller struct {
	ts    *testServer
	addrs *localAddrs
	key   string
}

func (g grpcAuditCaller) client(t *testing.T, key string) *client.Client {
	return g.ts.client(t, key, client.WithDialOptions(grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
		return g.addrs.dial(ctx, "tcp", addr)
	})))
}

func (g grpcAuditCaller) call(t *testing.T, method, resource, body string) {
	t.Helper()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-forwarded-for", "198.51.100.9", "x-connectflo-http-peer", "6.6.6.6:1")
	c := g.client(t, g.key)
	var err error
	switch method {
	case "Connect":
		req := &integrationsv1.ConnectRequest{Parent: resource}
		mustUnmarshal(t, body, req)
		_, err = c.Connect(ctx, req)
	case "UpdateCredentials":
		req := &integrationsv1.UpdateCredentialsRequest{Name: resource}
		mustUnmarshal(t, body, req)
		_, err = c.UpdateCredentials(ctx, req)
	case "TestConnection":
		_, err = c.TestConnection(ctx, &integrationsv1.TestConnectionRequest{Name: resource})
	case "DeleteConnection":
		_, err = c.DeleteConnection(ctx, &integrationsv1.DeleteConnectionRequest{Name: resource})
	}
	t.Logf("gRPC %s %s: %v", method, resource, err)
}

func (g grpcAuditCaller) list(t *testing.T, key, parent string, q url.Values) (*integrationsv1.ListAuditEventsResponse, string, codes.Code) {
	t.Helper()
	req := &integrationsv1.ListAuditEventsRequest{Parent: parent, Resource: q.Get("resource"), PageToken: q.Get("pageToken")}
	fmt.Sscan(q.Get("pageSize"), &req.PageSize)
	if a, ok := integrationsv1.AuditAction_value[q.Get("action")]; ok {
		req.Action = integrationsv1.AuditAction(a)
	} else {
		fmt.Sscan(q.Get("action"), &req.Action) // a number, as REST sends it
	}
	resp, err := g.client(t, key).ListAuditEvents(context.Background(), req)
	if err != nil {
		return nil, err.Error(), status.Code(err)
	}
	return resp, resp.String(), codes.OK
}

func (g grpcAuditCaller) peer() string { return g.addrs.get() }

// restAuditCaller calls the REST gateway, with an X-Forwarded-For header and a header that
// tries to set the gateway's own origin metadata.
type restAuditCaller struct {
	ts    *testServer
	addrs *localAddrs
	key   string
}

func (r restAuditCaller) do(t *testing.T, method, path, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+r.ts.httpAddr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("Grpc-Metadata-X-Connectflo-Http-Peer", "6.6.6.6:1")
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: r.addrs.dial, DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func (r restAuditCaller) call(t *testing.T, method, resource, body string) {
	t.Helper()
	routes := map[string][2]string{"Connect": {"POST", "/connections"}, "UpdateCredentials": {"POST", ":updateCredentials"},
		"TestConnection": {"POST", ":test"}, "DeleteConnection": {"DELETE", ""}}
	route := routes[method]
	if body == "" && route[0] == "POST" {
		body = "{}"
	}
	code, raw := r.do(t, route[0], "/v1/"+resource+route[1], r.key, body)
	t.Logf("REST %s %s: %d %s", method, resource, code, raw)
}

func (r restAuditCaller) list(t *testing.T, key, parent string, q url.Values) (*integrationsv1.ListAuditEventsResponse, string, codes.Code) {
	t.Helper()
	httpCode, raw := r.do(t, "GET", "/v1/"+parent+"/auditEvents?"+q.Encode(), key, "")
	if httpCode != http.StatusOK {
		var st struct{ Code codes.Code }
		if err := json.Unmarshal([]byte(raw), &st); err != nil || st.Code == codes.OK {
			t.Fatalf("HTTP %d with a body that is not a status: %s", httpCode, raw)
		}
		return nil, raw, st.Code
	}
	resp := &integrationsv1.ListAuditEventsResponse{}
	mustUnmarshal(t, raw, resp)
	return resp, raw, codes.OK
}

func (r restAuditCaller) peer() string { return r.addrs.get() }

func mustUnmarshal(t *testing.T, body string, m proto.Message) {
	t.Helper()
	if body == "" {
		return
	}
	fields := m.ProtoReflect().New().Interface()
	if err := protojson.Unmarshal([]byte(body), fields); err != nil {
		t.Fatalf("test body %s: %v", body, err)
	}
	proto.Merge(m, fields)
}

// keyID is the public id of a whole API key.
func keyID(key string) string { return strings.SplitN(key, "_", 3)[1] }

// Every audited call, over each transport, leaves one event with who (the key id), what, where
// from (the caller's own address, never the gateway's loopback one; what the caller claimed in
// X-Forwarded-For apart) and the outcome; TestConnection only when the status changed. The
// log, read over the same transport, holds no token and no API key secret.
func TestAuditEventsOfConnectionChanges(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for _, transport := range []string{"grpc", "rest"} {
		t.Run(transport, func(t *testing.T) {
			addrs := &localAddrs{}
			var caller auditCaller = grpcAuditCaller{ts: ts, addrs: addrs, key: ts.keys["acme"]}
			wantTransport, wantForwarded := integrationsv1.AuditTransport_AUDIT_TRANSPORT_GRPC, "198.51.100.9"
			if transport == "rest" {
				caller = restAuditCaller{ts: ts, addrs: addrs, key: ts.keys["acme"]}
				wantTransport, wantForwarded = integrationsv1.AuditTransport_AUDIT_TRANSPORT_REST, "203.0.113.7"
			}
			first, second := ts.newToken(t, sandbox.AllScopes()), ts.newToken(t, sandbox.AllScopes())
			unknown := "pat-na1-00000000-0000-4000-8000-000000000000"
			conn := "workspaces/acme/connections/audited-" + transport
			bad := "workspaces/acme/connections/refused-" + transport

			var peers []string // the caller's address at each audited call, newest last
			step := func(method, resource, body string) {
				caller.call(t, method, resource, body)
				peers = append(peers, caller.peer())
			}
			step("Connect", "workspaces/acme", fmt.Sprintf(`{"connectionId":"audited-%s","displayName":"Audited %s","accessToken":%q}`, transport, transport, first))
			step("Connect", "workspaces/acme", fmt.Sprintf(`{"connectionId":"refused-%s","displayName":"Refused","accessToken":%q}`, transport, unknown))
			step("UpdateCredentials", conn, fmt.Sprintf(`{"accessToken":%q}`, second))
			caller.call(t, "TestConnection", conn, "") // status stays CONNECTED: no event
			if err := ts.sb.RevokeToken(second); err != nil {
				t.Fatal(err)
			}
			step("TestConnection", conn, "")
			step("DeleteConnection", conn, "")
			step("DeleteConnection", conn, "")

			acme := &integrationsv1.AuditEvent_ApiKeyId{ApiKeyId: keyID(ts.keys["acme"])}
			ev := func(action integrationsv1.AuditAction, resource, outcome, reason, description string) *integrationsv1.AuditEvent {
				return &integrationsv1.AuditEvent{Action: action, Resource: resource, Actor: acme, Transport: wantTransport,
					ForwardedFor: wantForwarded, Outcome: outcome, Reason: reason, Description: description}
			}
			want := []*integrationsv1.AuditEvent{ // newest first
				ev(integrationsv1.AuditAction_AUDIT_ACTION_DELETE_CONNECTION, conn, "NOT_FOUND", "NOT_FOUND", ""),
				ev(integrationsv1.AuditAction_AUDIT_ACTION_DELETE_CONNECTION, conn, "OK", "", ""),
				ev(integrationsv1.AuditAction_AUDIT_ACTION_CONNECTION_STATUS_CHANGE, conn, "OK", "", "status changed from CONNECTED to ERROR"),
				ev(integrationsv1.AuditAction_AUDIT_ACTION_UPDATE_CREDENTIALS, conn, "OK", "", ""),
				ev(integrationsv1.AuditAction_AUDIT_ACTION_CONNECT, bad, "FAILED_PRECONDITION", "HUBSPOT_TOKEN_INVALID", `display name "Refused"`),
				ev(integrationsv1.AuditAction_AUDIT_ACTION_CONNECT, conn, "OK", "", fmt.Sprintf(`display name "Audited %s"`, transport)),
			}
			var got []*integrationsv1.AuditEvent
			var seen strings.Builder
			q := url.Values{"pageSize": {"4"}}
			for page := 0; page < 5; page++ { // pages of 4: the acme log also holds its key's creation
				resp, raw, _ := caller.list(t, ts.keys["acme"], "workspaces/acme", q)
				seen.WriteString(raw)
				if resp == nil {
					t.Fatalf("ListAuditEvents: %s", raw)
				}
				got = append(got, resp.GetAuditEvents()...)
				if q.Set("pageToken", resp.GetNextPageToken()); resp.GetNextPageToken() == "" {
					break
				}
			}
			var mine []*integrationsv1.AuditEvent
			for _, e := range got {
				if strings.HasSuffix(e.GetResource(), "-"+transport) {
					mine = append(mine, e)
				}
			}
			if diff := cmp.Diff(want, mine, protocmp.Transform(),
				protocmp.IgnoreFields(&integrationsv1.AuditEvent{}, "name", "event_time", "request_id", "peer_address")); diff != "" {
				t.Errorf("audit events (-want +got):\n%s", diff)
			}
			for i, e := range mine {
				wantPeer := peers[len(peers)-1-i]
				if e.GetPeerAddress() != wantPeer || e.GetRequestId() == "" || !strings.HasPrefix(e.GetName(), "workspaces/acme/auditEvents/") ||
					time.Since(e.GetEventTime().AsTime()) > time.Minute {
					t.Errorf("event %d %s: peer %q (want the caller's %q), request id %q, name %q, time %v",
						i, e.GetAction(), e.GetPeerAddress(), wantPeer, e.GetRequestId(), e.GetName(), e.GetEventTime().AsTime())
				}
			}
			secrets := []string{first, second, unknown}
			for _, key := range ts.keys {
				secrets = append(secrets, key, strings.SplitN(key, "_", 3)[2])
			}
			for _, s := range secrets {
				if strings.Contains(seen.String(), s) {
					t.Errorf("the audit log answer contains a secret (%.12s…)", s)
				}
			}
		})
	}
}
