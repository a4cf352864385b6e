package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/app"
)

// TestDemoModeLeavesProductionStateAlone: with a production database and key file in the
// environment, demo mode opens neither (it used to create its demo key in that database and
// resume its outbox against the sandbox), and says that it ignored them.
func TestDemoModeLeavesProductionStateAlone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{
		"INTEGRATIONS_DB":              filepath.Join(dir, "prod", "integrations.db"),
		"INTEGRATIONS_KEY_FILE":        filepath.Join(dir, "prod", "encryption.keys"),
		"INTEGRATIONS_ENCRYPTION_KEYS": "k1:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=",
	}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done, ready := make(chan error, 1), make(chan app.Ready, 1)
	go func() {
		done <- app.Run(ctx, []string{"--sandbox", "--sandbox-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json"},
			func(k string) string { return env[k] }, stdout, stderr, app.OnReady(func(r app.Ready) { ready <- r }))
	}()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("demo exited at start: %v\n%s", err, stderr.String())
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatalf("the demo did not start within 20 s:\n%s", stderr.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo exited with %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "prod")); !os.IsNotExist(err) {
		t.Errorf("demo mode touched the production folder (stat: %v)", err)
	}
	for _, name := range []string{"INTEGRATIONS_DB", "INTEGRATIONS_KEY_FILE", "INTEGRATIONS_ENCRYPTION_KEYS"} {
		if !strings.Contains(stderr.String(), "demo mode ignores "+name) {
			t.Errorf("the demo did not say it ignored %s:\n%s", name, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), env["INTEGRATIONS_ENCRYPTION_KEYS"]) || strings.Contains(stdout.String(), env["INTEGRATIONS_ENCRYPTION_KEYS"]) {
		t.Error("the ignored encryption keys were printed")
	}
	if !strings.Contains(stdout.String(), "Nothing is kept") {
		t.Errorf("the demo did not say that nothing is kept:\n%s", stdout.String())
	}
}

// TestDemoSandboxStaysOnLoopback: the sandbox's admin API lists tokens without
// authentication, so demo mode refuses to put it beyond loopback unless asked explicitly.
func TestDemoSandboxStaysOnLoopback(t *testing.T) {
	t.Parallel()
	var stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := app.Run(ctx, []string{"--sandbox", "--sandbox-addr", "0.0.0.0:0", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, noEnv, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--sandbox-allow-remote-admin") || !strings.Contains(err.Error(), "/_sandbox admin API") {
		t.Fatalf("demo with the sandbox on 0.0.0.0 = %v; want a refusal naming the admin API and --sandbox-allow-remote-admin", err)
	}
}
