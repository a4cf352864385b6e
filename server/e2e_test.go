package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/store"
)

// httpResult is one REST response.
type httpResult struct {
	code   int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a REST request with an optional API key and decodes the JSON answer; every answer
// of the gateway, errors included, must be JSON.
func (ts *testServer) do(t *testing.T, method, path, key, body string) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+ts.httpAddr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 && strings.Contains(req.URL.Path, "/changes:watch") {
		// An open watch streams until cancelled: its 200 is the answer.
		return httpResult{code: 200, header: resp.Header, body: map[string]any{}, raw: "{}"}
	}
	raw, _ := io.ReadAll(resp.Body)
	r := httpResult{code: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("%s %s answered %d with a body that is not a JSON object: %q", method, path, resp.StatusCode, raw)
	}
	if inner, ok := r.body["error"].(map[string]any); ok && strings.Contains(req.URL.Path, "/changes:watch") {
		r.body = inner // a refused watch answers one NDJSON line, {"error": Status}
	}
	if r.code >= 400 {
		wireReasons.record(reasonOf(r.body), method+" "+path)
	}
	return r
}

// reasonOf returns the ErrorInfo reason of a REST error body.
func reasonOf(body map[string]any) string {
	details, _ := body["details"].([]any)
	for _, d := range details {
		m, _ := d.(map[string]any)
		if m["@type"] == "type.googleapis.com/google.rpc.ErrorInfo" {
			r, _ := m["reason"].(string)
			return r
		}
	}
	return ""
}

func TestHealthReflectionAndOperatorEndpoints(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, "") // health and reflection need no key

	for _, svc := range []string{"", "connectflo.integrations.v1.IntegrationService"} {
		resp, err := healthpb.NewHealthClient(c.Conn()).Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health %q = %v, %v; want SERVING", svc, resp.GetStatus(), err)
		}
	}

	stream, err := reflectionpb.NewServerReflectionClient(c.Conn()).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	refl, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	services := map[string]bool{}
	for _, s := range refl.GetListServicesResponse().GetService() {
		services[s.GetName()] = true
	}
	for _, want := range []string{"connectflo.integrations.v1.IntegrationService", "grpc.health.v1.Health"} {
		if !services[want] {
			t.Errorf("reflection lists %v; missing %s", services, want)
		}
	}

	for path, want := range map[string]string{"/livez": "ALIVE", "/readyz": "SERVING", "/healthz": "SERVING"} {
		if r := ts.do(t, "GET", path, "", ""); r.code != 200 || r.body["status"] != want {
			t.Errorf("%s = %d %v; want 200 %s", path, r.code, r.body, want)
		}
	}

	var spec map[string]any
	resp, err := http.Get("http://" + ts.httpAddr + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&spec)
	resp.Body.Close()
	paths, _ := spec["paths"].(map[string]any)
	if spec["swagger"] != "2.0" || paths["/v1/{parent}/connections"] == nil {
		t.Errorf("/openapi.json is not our OpenAPI v2 spec: swagger=%v, %d paths", spec["swagger"], len(paths))
	}

	// One authenticated call, then its count must show in /metrics.
	if _, err := ts.client(t, ts.keys["acme"]).ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"}); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get("http://" + ts.httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`integrations_rpc_requests_total{code="OK",method="/connectflo.integrations.v1.IntegrationService/ListConnections"} 1`,
		`integrations_rpc_duration_seconds_count{method="/connectflo.integrations.v1.IntegrationService/ListConnections"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if r := ts.do(t, "GET", "/nowhere", "", ""); r.code != 404 {
		t.Errorf("unknown path = %d, want 404 JSON", r.code)
	}
}

// TestAuthentication runs the same cases over gRPC (typed client) and REST.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	cases := []struct {
		name      string
		key       string
		workspace string
		code      codes.Code
		httpCode  int
		reason    string
	}{
		{"no key", "", "acme", codes.Unauthenticated, 401, "API_KEY_MISSING"},
		{"unknown key", "cfk_aaaaaaaaaaaaaaaa_bm90LWEtcmVhbC1rZXk", "acme", codes.Unauthenticated, 401, "API_KEY_INVALID"},
		{"malformed key", "hello", "acme", codes.Unauthenticated, 401, "API_KEY_INVALID"},
		{"right id, wrong secret", ts.keys["acme"][:len(ts.keys["acme"])-4] + "AAAA", "acme", codes.Unauthenticated, 401, "API_KEY_INVALID"},
		{"another workspace's key", ts.keys["globex"], "acme", codes.PermissionDenied, 403, "WORKSPACE_NOT_ALLOWED"},
		{"own workspace", ts.keys["acme"], "acme", codes.OK, 200, ""},
		{"all-workspaces key", ts.keys["*"], "globex", codes.OK, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/grpc", func(t *testing.T) {
			_, err := ts.client(t, tc.key).ListConnections(context.Background(), &integrationsv1.ListConnectionsRequest{Parent: "workspaces/" + tc.workspace})
			if got := status.Code(err); got != tc.code {
				t.Fatalf("code = %v (%v), want %v", got, err, tc.code)
			}
			if got := client.Reason(err); got != tc.reason {
				t.Errorf("reason = %q, want %q", got, tc.reason)
			}
		})
		t.Run(tc.name+"/rest", func(t *testing.T) {
			r := ts.do(t, "GET", "/v1/workspaces/"+tc.workspace+"/connections", tc.key, "")
			if r.code != tc.httpCode {
				t.Fatalf("HTTP %d %s, want %d", r.code, r.raw, tc.httpCode)
			}
			if got := reasonOf(r.body); got != tc.reason {
				t.Errorf("reason = %q, want %q", got, tc.reason)
			}
			if tc.code == codes.OK {
				if conns, ok := r.body["connections"].([]any); !ok || len(conns) != 0 {
					t.Errorf("body = %s, want an empty connections list", r.raw)
				}
			}
		})
	}
	if strings.Contains(ts.logs.String(), strings.SplitN(ts.keys["acme"], "_", 3)[2]) {
		t.Error("an API key secret appears in the server's logs")
	}
}

func TestListAndGetConnections(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	// Connections arrive with the Connect RPC in a later issue; put some in the database
	// directly (a second handle on the WAL database) to exercise paging end to end.
	st, err := store.Open(ctx, ts.db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	// stored is the connection stored as hubspot-i, as the API shows it.
	stored := func(i int) *integrationsv1.Connection {
		return &integrationsv1.Connection{Name: fmt.Sprintf("workspaces/acme/connections/hubspot-%d", i), DisplayName: fmt.Sprintf("HubSpot %d", i),
			Provider: integrationsv1.Provider_PROVIDER_HUBSPOT, Status: integrationsv1.ConnectionStatus_CONNECTION_STATUS_CONNECTED,
			HubId: 1000 + int64(i), AccountTier: integrationsv1.AccountTier_ACCOUNT_TIER_PROFESSIONAL, TokenHint: "ab12",
			CreateTime: timestamppb.New(now), UpdateTime: timestamppb.New(now),
			// Stored without a kind: UNKNOWN, set when created.
			CredentialKind: integrationsv1.CredentialKind_CREDENTIAL_KIND_UNKNOWN, CredentialsUpdateTime: timestamppb.New(now)}
	}
	for i := range 3 {
		c := &store.Connection{Workspace: "acme", ID: fmt.Sprintf("hubspot-%d", i), DisplayName: fmt.Sprintf("HubSpot %d", i),
			Status: "CONNECTED", HubID: 1000 + int64(i), AccountTier: "PROFESSIONAL", TokenHint: "ab12",
			TokenCiphertext: []byte("sealed"), CreateTime: now, UpdateTime: now}
		if err := st.InsertConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	c := ts.client(t, ts.keys["acme"])
	var names []string
	req := &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme", PageSize: 2}
	for page := 0; ; page++ {
		resp, err := c.ListConnections(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, conn := range resp.GetConnections() {
			names = append(names, conn.GetName())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		if page > 3 {
			t.Fatal("paging does not end")
		}
		req.PageToken = resp.GetNextPageToken()
	}
	want := []string{"workspaces/acme/connections/hubspot-0", "workspaces/acme/connections/hubspot-1", "workspaces/acme/connections/hubspot-2"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("paged names (-want +got):\n%s", d)
	}

	got, err := c.GetConnection(ctx, &integrationsv1.GetConnectionRequest{Name: "workspaces/acme/connections/hubspot-1"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(stored(1), got, protocmp.Transform()); d != "" {
		t.Errorf("GetConnection (-want +got):\n%s", d)
	}
	_, err = c.GetConnection(ctx, &integrationsv1.GetConnectionRequest{Name: "workspaces/acme/connections/nope"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("missing connection: %v, want NOT_FOUND", err)
	}
	// globex's key must not learn anything about acme's connections, existing or not.
	for _, name := range []string{"workspaces/acme/connections/hubspot-1", "workspaces/acme/connections/nope"} {
		_, err := ts.client(t, ts.keys["globex"]).GetConnection(ctx, &integrationsv1.GetConnectionRequest{Name: name})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("globex reading %s: %v, want PERMISSION_DENIED", name, err)
		}
	}
	r := ts.do(t, "GET", "/v1/workspaces/acme/connections/hubspot-2", ts.keys["acme"], "")
	viaREST := &integrationsv1.Connection{}
	if err := protojson.Unmarshal([]byte(r.raw), viaREST); r.code != 200 || err != nil {
		t.Errorf("REST GetConnection = %d %s (%v)", r.code, r.raw, err)
	}
	if d := cmp.Diff(stored(2), viaREST, protocmp.Transform()); d != "" {
		t.Errorf("REST GetConnection (-want +got):\n%s", d)
	}
	if strings.Contains(r.raw, "sealed") || strings.Contains(r.raw, "ciphertext") {
		t.Errorf("REST GetConnection exposes the token ciphertext: %s", r.raw)
	}
}
