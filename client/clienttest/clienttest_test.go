package clienttest_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/connectflo/integrations/client"
	"github.com/connectflo/integrations/client/clienttest"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// safeBuffer is an io.Writer for the server's log, written from its goroutines.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// budgetUse are the fields of a HubSpot budget that the test's own calls change.
var budgetUse = protocmp.IgnoreFields(&integrationsv1.RateLimitStatus{}, "interval_remaining", "daily_remaining", "daily_reset_time")

// rateLimit is the HubSpot budget TestConnection reports for srv's connection.
func rateLimit(t *testing.T, srv *clienttest.Server) *integrationsv1.RateLimitStatus {
	t.Helper()
	resp, err := srv.Client.TestConnection(context.Background(), &integrationsv1.TestConnectionRequest{Name: srv.Connection.Name})
	if err != nil {
		t.Fatalf("TestConnection: %v", err)
	}
	return resp.GetRateLimit()
}

// Each option changes what a test gets, as its documentation says.
func TestNewServerOptions(t *testing.T) {
	t.Parallel()
	withoutDeals := slices.DeleteFunc(clienttest.DefaultScopes(), func(s string) bool { return strings.HasPrefix(s, "crm.objects.deals.") })
	var hubspotCalls atomic.Int64
	logs := &safeBuffer{}
	tests := []struct {
		name  string
		opts  []clienttest.Option
		check func(t *testing.T, srv *clienttest.Server)
	}{
		{"defaults: a connected connection in workspace test", nil, func(t *testing.T, srv *clienttest.Server) {
			conn, err := srv.Client.GetConnection(context.Background(), &integrationsv1.GetConnectionRequest{Name: srv.Connection.Name})
			if err != nil {
				t.Fatal(err)
			}
			if srv.Connection.Name != "workspaces/test/connections/hubspot" || conn.GetStatus() != integrationsv1.ConnectionStatus_CONNECTION_STATUS_CONNECTED ||
				conn.GetHubId() != srv.HubSpot.HubID || !strings.HasSuffix(srv.Connection.Token, conn.GetTokenHint()) {
				t.Errorf("connection %q: %v", srv.Connection.Name, conn)
			}
			want := &integrationsv1.RateLimitStatus{IntervalMax: 190, Interval: durationpb.New(10 * time.Second), DailyMax: 625_000}
			if d := cmp.Diff(want, rateLimit(t, srv), protocmp.Transform(), budgetUse); d != "" {
				t.Errorf("Professional's HubSpot budget (-want +got):\n%s", d)
			}
		}},
		{"WithWorkspace: the key acts in that workspace only", []clienttest.Option{clienttest.WithWorkspace("acme")}, func(t *testing.T, srv *clienttest.Server) {
			if srv.Workspace != "workspaces/acme" || srv.Connection.Name != "workspaces/acme/connections/hubspot" {
				t.Errorf("workspace %q, connection %q", srv.Workspace, srv.Connection.Name)
			}
			_, err := srv.Client.ListConnections(context.Background(), &integrationsv1.ListConnectionsRequest{Parent: "workspaces/other"})
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("another workspace: %v; want PERMISSION_DENIED", err)
			}
		}},
		{"WithoutConnection: nothing connected, tokens to connect with", []clienttest.Option{clienttest.WithoutConnection()}, func(t *testing.T, srv *clienttest.Server) {
			ctx := context.Background()
			list, err := srv.Client.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: srv.Workspace})
			if err != nil || len(list.GetConnections()) != 0 || srv.Connection != (clienttest.Connection{}) {
				t.Fatalf("connections %v (%v), Connection %+v; want none", list.GetConnections(), err, srv.Connection)
			}
			conn, err := srv.Client.Connect(ctx, &integrationsv1.ConnectRequest{Parent: srv.Workspace, DisplayName: "Mine",
				AccessToken: srv.HubSpot.NewToken(clienttest.DefaultScopes()...)})
			if err != nil || conn.GetHubId() != srv.HubSpot.HubID {
				t.Errorf("Connect with HubSpot.NewToken: %v, %v", conn, err)
			}
		}},
		{"WithScopes: a missing scope is HubSpot's refusal", []clienttest.Option{clienttest.WithScopes(withoutDeals...)}, func(t *testing.T, srv *clienttest.Server) {
			deal := srv.HubSpot.CreateRecord("deals", map[string]string{"dealname": "Big one"})
			_, err := srv.Client.GetRecord(context.Background(), &integrationsv1.GetRecordRequest{Name: srv.Connection.Name + "/objects/deals/records/" + deal})
			if client.Reason(err) != "HUBSPOT_MISSING_SCOPES" {
				t.Errorf("reading a deal without deal scopes: %v; want reason HUBSPOT_MISSING_SCOPES", err)
			}
		}},
		{"WithSampleData: records to read", []clienttest.Option{clienttest.WithSampleData()}, func(t *testing.T, srv *clienttest.Server) {
			s := srv.HubSpot.Sample
			if len(s.Contacts) == 0 || len(s.Companies) == 0 || len(s.Deals) == 0 {
				t.Fatalf("sample %+v; want contacts, companies and deals", s)
			}
			rec, err := srv.Client.GetRecord(context.Background(), &integrationsv1.GetRecordRequest{Name: srv.Connection.Name + "/objects/contacts/records/" + s.Contacts[0]})
			if err != nil || rec.GetId() != s.Contacts[0] {
				t.Errorf("the first sample contact: %v, %v", rec, err)
			}
		}},
		{"WithTier: the tier's budget", []clienttest.Option{clienttest.WithTier(clienttest.TierFree)}, func(t *testing.T, srv *clienttest.Server) {
			want := &integrationsv1.RateLimitStatus{IntervalMax: 100, Interval: durationpb.New(10 * time.Second), DailyMax: 250_000}
			if d := cmp.Diff(want, rateLimit(t, srv), protocmp.Transform(), budgetUse); d != "" {
				t.Errorf("Free's HubSpot budget (-want +got):\n%s", d)
			}
		}},
		{"WithLimits: the given budget", []clienttest.Option{clienttest.WithLimits(clienttest.Limits{PerWindow: 50, Window: 2 * time.Second, Daily: 5000})},
			func(t *testing.T, srv *clienttest.Server) {
				want := &integrationsv1.RateLimitStatus{IntervalMax: 50, Interval: durationpb.New(2 * time.Second), DailyMax: 5000}
				if d := cmp.Diff(want, rateLimit(t, srv), protocmp.Transform(), budgetUse); d != "" {
					t.Errorf("the given HubSpot budget (-want +got):\n%s", d)
				}
			}},
		{"WithHubSpotHandler: sees the service's HubSpot calls", []clienttest.Option{clienttest.WithHubSpotHandler(func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hubspotCalls.Add(1); h.ServeHTTP(w, r) })
		})}, func(t *testing.T, srv *clienttest.Server) {
			if hubspotCalls.Load() == 0 {
				t.Error("Connect reached HubSpot without passing the wrapper")
			}
		}},
		{"WithLogOutput and WithFlags: the server's log at the level asked", []clienttest.Option{clienttest.WithLogOutput(logs), clienttest.WithFlags("--log-level", "warn")},
			func(t *testing.T, srv *clienttest.Server) {
				// A new key file is a warning at start, so the log cannot be empty.
				if !strings.Contains(logs.String(), "created a key file") || strings.Contains(logs.String(), `"level":"INFO"`) || strings.Contains(logs.String(), `"level":"DEBUG"`) {
					t.Errorf("--log-level warn: want the key file warning and no info or debug lines:\n%.2000s", logs.String())
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t, clienttest.NewServer(t, tc.opts...))
		})
	}
}

// Everything stops when the test ends: the client is closed and nothing answers at the
// service's address.
func TestNewServerStopsAtTheEndOfTheTest(t *testing.T) {
	t.Parallel()
	var srv *clienttest.Server
	t.Run("inner", func(t *testing.T) {
		srv = clienttest.NewServer(t)
		if _, err := grpc_health_v1.NewHealthClient(srv.Client.Conn()).Check(context.Background(), &grpc_health_v1.HealthCheckRequest{}); err != nil {
			t.Fatalf("health check while the test runs: %v", err)
		}
	})
	c, err := client.New(srv.GRPCAddr, client.WithPlaintext(), client.WithAPIKey(srv.APIKey), client.WithMaxAttempts(1), client.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ListConnections(context.Background(), &integrationsv1.ListConnectionsRequest{Parent: srv.Workspace}); status.Code(err) != codes.Unavailable {
		t.Errorf("a call after the test ended: %v; want UNAVAILABLE (nothing listening)", err)
	}
	if resp, err := http.Get(srv.HubSpot.URL + "/account-info/v3/details"); err == nil {
		resp.Body.Close()
		t.Errorf("HubSpot still answers after the test ended: %s", resp.Status)
	}
	if _, err := srv.Client.ListConnections(context.Background(), &integrationsv1.ListConnectionsRequest{Parent: srv.Workspace}); status.Code(err) != codes.Canceled {
		t.Errorf("the test's client after the test ended: %v; want CANCELED (closed)", err)
	}
}
