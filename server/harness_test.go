package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/connectflo/integrations/client"
	"github.com/connectflo/integrations/internal/app"
	"github.com/connectflo/integrations/internal/hubspot/sandbox"
)

// syncBuffer collects the server's log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logLines decodes JSON log lines.
func logLines(t *testing.T, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// testServer is the whole program, started by app.Run (what main calls) on port 0, with a
// HubSpot sandbox of its own as HubSpot.
type testServer struct {
	grpcAddr, httpAddr, db string
	logs                   *syncBuffer
	keys                   map[string]string // workspace ("acme", "globex", "*") → API key
	env                    map[string]string
	stop                   func()

	sb      *sandbox.Sandbox
	hubspot *httptest.Server
	acct    sandbox.Account
	token   string // a sandbox token with every scope
}

func noEnv(string) string { return "" }

// startServer creates API keys with the real "apikey create" command, then runs the server
// until the test ends, and checks that it shuts down cleanly.
func startServer(t *testing.T) *testServer { return startServerWith(t, serverOptions{}) }

// serverOptions changes what startServer starts.
type serverOptions struct {
	env     map[string]string               // the server's environment
	hubspot func(http.Handler) http.Handler // wraps the sandbox serving as HubSpot (to watch its requests)
}

func startServerWith(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	if opts.env == nil {
		opts.env = map[string]string{}
	}
	ts := &testServer{db: filepath.Join(t.TempDir(), "data", "integrations.db"), logs: &syncBuffer{}, keys: map[string]string{}, env: opts.env}
	ts.sb = sandbox.New(sandbox.Options{})
	var hub http.Handler = ts.sb
	if opts.hubspot != nil {
		hub = opts.hubspot(hub)
	}
	ts.hubspot = httptest.NewServer(hub)
	t.Cleanup(ts.hubspot.Close)
	var err error
	if ts.acct, err = ts.sb.CreateAccount(sandbox.Account{Tier: sandbox.TierProfessional}); err != nil {
		t.Fatal(err)
	}
	ts.token = ts.newToken(t, sandbox.AllScopes())
	for _, ws := range []string{"acme", "globex", "*"} {
		var out, errOut bytes.Buffer
		if err := app.Run(context.Background(), []string{"apikey", "create", "--workspace", ws, "--db", ts.db}, noEnv, &out, &errOut); err != nil {
			t.Fatalf("apikey create: %v (%s)", err, errOut.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "cfk_") {
			t.Fatalf("apikey create printed %q; want the key alone on one line", out.String())
		}
		ts.keys[ws] = lines[0]
	}
	ts.start(t)
	t.Cleanup(func() { ts.stop() })
	return ts
}

// newToken registers a sandbox token of the test's account with the given scopes.
func (ts *testServer) newToken(t *testing.T, scopes []string) string {
	t.Helper()
	tok, err := ts.sb.CreateToken(sandbox.Token{HubID: ts.acct.HubID, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// start runs the server on the test's database with ts.env as its environment.
func (ts *testServer) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	getenv := func(k string) string { return ts.env[k] }
	mark := len(ts.logs.String())
	go func() {
		// The key file sits outside the database's folder, as it does by default.
		keyFile := filepath.Join(filepath.Dir(filepath.Dir(ts.db)), "config", "encryption.keys")
		done <- app.Run(ctx, []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", ts.db, "--key-file", keyFile,
			"--log-format", "json", "--log-level", "debug", "--hubspot-base-url", ts.hubspot.URL, "--hubspot-timeout", "2s"},
			getenv, io.Discard, ts.logs)
	}()
	deadline := time.Now().Add(15 * time.Second)
	ts.grpcAddr = ""
	for ts.grpcAddr == "" {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("server exited at start: %v\n%s", err, ts.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not log \"serving\" within 15 s:\n%s", ts.logs.String())
		}
		for _, l := range logLines(t, ts.logs.String()[mark:]) {
			if l["msg"] == "serving" {
				ts.grpcAddr, ts.httpAddr = l["grpc_addr"].(string), l["http_addr"].(string)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server exited with %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("server did not stop within 15 s of cancellation")
		}
		if !strings.Contains(ts.logs.String()[mark:], `"msg":"stopped"`) {
			t.Errorf("server did not log a clean stop")
		}
		ts.stop = func() {}
	}
}

// restart stops the server and starts it again on the same database with env.
func (ts *testServer) restart(t *testing.T, env map[string]string) {
	t.Helper()
	ts.stop()
	ts.env = env
	ts.start(t)
}

// client returns a typed client using the API key of workspace ws ("" for none).
func (ts *testServer) client(t *testing.T, key string, opts ...client.Option) *client.Client {
	t.Helper()
	all := []client.Option{client.WithPlaintext(), client.WithTimeout(10 * time.Second),
		client.WithDialOptions(grpc.WithChainUnaryInterceptor(wireReasons.intercept))}
	if key != "" {
		all = append(all, client.WithAPIKey(key))
	}
	c, err := client.New(ts.grpcAddr, append(all, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
