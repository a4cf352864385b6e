package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A caller starting the program on port 0 learns its bound addresses from OnReady, once, and
// they answer; the log says the same addresses.
func TestRunTellsOnReadyItsAddresses(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, done := make(chan Ready, 2), make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", filepath.Join(dir, "db"),
			"--key-file", filepath.Join(dir, "keys"), "--hubspot-base-url", "http://127.0.0.1:1", "--drain-delay", "0"},
			func(string) string { return "" }, io.Discard, &logs, OnReady(func(r Ready) { ready <- r }))
	}()
	var r Ready
	select {
	case r = <-ready:
	case err := <-done:
		t.Fatalf("Run returned before it was ready: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("OnReady was not called within 15 s")
	}
	resp, err := http.Get("http://" + r.HTTPAddr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz at the ready HTTP address: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: %d, want 200", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	close(ready)
	var more []Ready
	for r := range ready {
		more = append(more, r)
	}
	if d := cmp.Diff([]Ready(nil), more); d != "" {
		t.Errorf("OnReady called again (-want +got):\n%s", d)
	}
	if r.GRPCAddr == "" || r.TLS || r.HubSpotURL != "http://127.0.0.1:1" {
		t.Errorf("ready = %+v; want a gRPC address, no TLS and the configured HubSpot URL", r)
	}
	if !bytes.Contains(logs.Bytes(), []byte(r.GRPCAddr)) {
		t.Errorf("the log does not name the ready gRPC address %s", r.GRPCAddr)
	}
}

// Subcommands serve nothing, so they never call OnReady.
func TestOnReadyIsNotCalledForSubcommands(t *testing.T) {
	called := false
	var out bytes.Buffer
	err := Run(context.Background(), []string{"apikey", "create", "--workspace", "acme", "--db", filepath.Join(t.TempDir(), "db")},
		func(string) string { return "" }, &out, io.Discard, OnReady(func(Ready) { called = true }))
	if err != nil || out.Len() == 0 {
		t.Fatalf("apikey create: %v (printed %q)", err, out.String())
	}
	if called {
		t.Error("OnReady was called for a subcommand")
	}
}
