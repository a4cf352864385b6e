package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/auth"
)

// newTestServer builds the whole server on loopback port 0 with a database in a temporary
// folder and no drain delay unless edit sets one; tests change its seams before serve.
func newTestServer(t *testing.T, edit func(*Config)) (*Server, *logBuffer) {
	t.Helper()
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.GRPCAddr, cfg.HTTPAddr, cfg.DBPath, cfg.KeyFile = "127.0.0.1:0", "127.0.0.1:0", filepath.Join(dir, "db"), filepath.Join(dir, "keys")
	cfg.HubSpotBaseURL, cfg.DrainDelay = "http://127.0.0.1:1", 0 // HubSpot is never called here
	if edit != nil {
		edit(&cfg)
	}
	logs := &logBuffer{}
	s, err := New(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

// serve runs s until stop (or the end of the test) and returns once it serves; done gets
// what Serve returned.
func serve(t *testing.T, s *Server) (stop context.CancelFunc, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, served, returned := make(chan struct{}), make(chan error, 1), make(chan struct{})
	s.ready = func(Ready) { close(ready) }
	go func() {
		defer close(returned)
		served <- s.Serve(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-returned
	})
	select {
	case <-ready:
	case err := <-served:
		t.Fatalf("Serve returned before it served: %v", err)
	}
	return cancel, served
}

// dial opens a plaintext gRPC connection to s.
func dial(t *testing.T, s *Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// probe is what an HTTP probe answered.
type probe struct {
	Code int
	Body map[string]string
}

// probes asks /livez, /readyz and /healthz.
func probes(t *testing.T, s *Server) map[string]probe {
	t.Helper()
	got := map[string]probe{}
	for _, path := range []string{"/livez", "/readyz", "/healthz"} {
		resp, err := http.Get("http://" + s.HTTPAddr() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		p := probe{Code: resp.StatusCode}
		err = json.NewDecoder(resp.Body).Decode(&p.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: the body is not a JSON object: %v", path, err)
		}
		got[path] = p
	}
	return got
}

// wantProbes are the answers of /livez, /readyz and /healthz (an alias of /readyz) when
// readiness is ready (reason "") or not.
func wantProbes(reason string) map[string]probe {
	alive := probe{Code: http.StatusOK, Body: map[string]string{"status": "ALIVE"}}
	ready := probe{Code: http.StatusOK, Body: map[string]string{"status": "SERVING"}}
	if reason != "" {
		ready = probe{Code: http.StatusServiceUnavailable, Body: map[string]string{"status": "NOT_SERVING", "reason": reason}}
	}
	return map[string]probe{"/livez": alive, "/readyz": ready, "/healthz": ready}
}

// grpcHealth is what grpc.health.v1 Check answers for the server ("") and the service.
func grpcHealth(t *testing.T, conn *grpc.ClientConn) map[string]healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	got := map[string]healthpb.HealthCheckResponse_ServingStatus{}
	for _, name := range []string{"", serviceName} {
		resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: name})
		if err != nil {
			t.Fatalf("gRPC health %q: %v", name, err)
		}
		got[name] = resp.GetStatus()
	}
	return got
}

func wantGRPCHealth(status healthpb.HealthCheckResponse_ServingStatus) map[string]healthpb.HealthCheckResponse_ServingStatus {
	return map[string]healthpb.HealthCheckResponse_ServingStatus{"": status, serviceName: status}
}

// waitStatus reads the Watch stream until it reports want.
func waitStatus(t *testing.T, watch healthpb.Health_WatchClient, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	for {
		resp, err := watch.Recv()
		if err != nil {
			t.Fatalf("gRPC health watch ended before %v: %v", want, err)
		}
		if resp.GetStatus() == want {
			return
		}
	}
}

// The database stops answering under a serving server: readiness turns NOT_SERVING on both
// transports (gRPC health by the background check alone, before any HTTP probe), liveness
// stays 200, and both come back when the database does; each change is logged once.
func TestReadinessFollowsTheDatabase(t *testing.T) {
	s, logs := newTestServer(t, nil)
	db := &switchablePinger{inner: s.store}
	s.readiness.db = db
	// The test waits for the background check's effect on a Watch stream, never for time:
	// a short interval only makes it come sooner.
	s.readiness.every = time.Millisecond
	serve(t, s)
	conn := dial(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // bounds the watch
	defer cancel()
	watch, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{Service: serviceName})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, watch, healthpb.HealthCheckResponse_SERVING)

	steps := []struct {
		name     string
		down     bool
		watchFor healthpb.HealthCheckResponse_ServingStatus
		reason   string
	}{
		{"the database stops answering", true, healthpb.HealthCheckResponse_NOT_SERVING, notReadyDatabase},
		{"the database is back", false, healthpb.HealthCheckResponse_SERVING, ""},
	}
	for _, step := range steps {
		db.down.Store(step.down)
		waitStatus(t, watch, step.watchFor)
		if diff := cmp.Diff(wantGRPCHealth(step.watchFor), grpcHealth(t, conn)); diff != "" {
			t.Errorf("%s: gRPC health (-want +got):\n%s", step.name, diff)
		}
		if diff := cmp.Diff(wantProbes(step.reason), probes(t, s)); diff != "" {
			t.Errorf("%s: HTTP probes (-want +got):\n%s", step.name, diff)
		}
	}
	var changes []string
	for _, msg := range logs.messages(t) {
		if msg == logNotReady || msg == logReadyAgain {
			changes = append(changes, msg)
		}
	}
	if diff := cmp.Diff([]string{logNotReady, logReadyAgain}, changes); diff != "" {
		t.Errorf("readiness changes logged (-want +got):\n%s", diff)
	}
}

// At shutdown, readiness turns NOT_SERVING on both transports at once (a health Watch hears
// it), and for the whole drain delay calls are still served, over gRPC and REST; the
// shutdown's drain starts only after it, ends the health Watch, and is not held by it.
func TestDrainDelayServesWhileNotReady(t *testing.T) {
	const delay = time.Hour // never waited: the test ends the delay itself
	s, logs := newTestServer(t, func(c *Config) { c.DrainDelay = delay })
	key, err := auth.CreateKey(context.Background(), s.store, "acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	waiting, endDelay := make(chan time.Duration, 1), make(chan time.Time)
	var ended sync.Once
	end := func() { ended.Do(func() { close(endDelay) }) }
	s.drainWait = func(d time.Duration) <-chan time.Time {
		waiting <- d
		return endDelay
	}
	stop, done := serve(t, s)
	t.Cleanup(end) // runs before serve's cleanup, which waits for Serve to return
	conn := dial(t, s)
	if diff := cmp.Diff(wantGRPCHealth(healthpb.HealthCheckResponse_SERVING), grpcHealth(t, conn)); diff != "" {
		t.Errorf("serving: gRPC health (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantProbes(""), probes(t, s)); diff != "" {
		t.Errorf("serving: HTTP probes (-want +got):\n%s", diff)
	}
	watchCtx, cancelWatch := context.WithCancel(context.Background())
	defer cancelWatch()
	watch, err := healthpb.NewHealthClient(conn).Watch(watchCtx, &healthpb.HealthCheckRequest{Service: serviceName})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, watch, healthpb.HealthCheckResponse_SERVING)

	stop() // as SIGTERM does
	select {
	case d := <-waiting:
		if d != delay {
			t.Errorf("drain delay %v, want %v", d, delay)
		}
	case err := <-done:
		t.Fatalf("Serve returned without a drain delay: %v", err)
	}
	waitStatus(t, watch, healthpb.HealthCheckResponse_NOT_SERVING)
	if diff := cmp.Diff(wantGRPCHealth(healthpb.HealthCheckResponse_NOT_SERVING), grpcHealth(t, conn)); diff != "" {
		t.Errorf("draining: gRPC health (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantProbes(notReadyDraining), probes(t, s)); diff != "" {
		t.Errorf("draining: HTTP probes (-want +got):\n%s", diff)
	}
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+key)
	if _, err := integrationsv1.NewIntegrationServiceClient(conn).ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"}); err != nil {
		t.Errorf("draining: gRPC ListConnections: %v", err)
	}
	req, err := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/v1/workspaces/acme/connections", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Errorf("draining: REST ListConnections: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("draining: REST ListConnections: HTTP %d, want 200", resp.StatusCode)
		}
	}
	if msgs := logs.messages(t); slices.Contains(msgs, "shutting down") {
		t.Errorf("the shutdown's drain began during the drain delay: %q", msgs)
	}

	end()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := watch.Recv(); status.Code(err) != codes.Unavailable || reasonOf(err) != "SHUTTING_DOWN" {
		t.Errorf("the health watch at shutdown: %v, want UNAVAILABLE with reason SHUTTING_DOWN", err)
	}
	// A stage cut short (the gRPC one, held by the watch) would log it.
	var shutdown []string
	for _, msg := range logs.messages(t) {
		if msg == "shutting down" || msg == "stopped" || strings.Contains(msg, "cut short") {
			shutdown = append(shutdown, msg)
		}
	}
	if diff := cmp.Diff([]string{"shutting down", "stopped"}, shutdown); diff != "" {
		t.Errorf("after the drain delay, the server did not shut down cleanly (-want +got):\n%s", diff)
	}
}

// reasonOf is the ErrorInfo reason of a gRPC error, "" without one.
func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
