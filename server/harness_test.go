package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/connectflo/integrations/client"
	"github.com/connectflo/integrations/internal/apptest"
	"github.com/connectflo/integrations/internal/sandbox"
)

// syncBuffer collects the server's log output from several goroutines, and wakes whoever
// waits for a line (waitLog) at each write.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{} // closed and replaced at each write
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written != nil {
		close(b.written)
		b.written = nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// next returns the text so far and a channel closed at the next write.
func (b *syncBuffer) next() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written == nil {
		b.written = make(chan struct{})
	}
	return b.buf.String(), b.written
}

// waitLog waits up to timeout for a JSON log line written after byte offset mark whose msg is
// msg, and returns it.
func waitLog(t *testing.T, b *syncBuffer, mark int, msg string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		text, written := b.next()
		for _, l := range logLines(t, text[mark:]) {
			if l["msg"] == msg {
				return l
			}
		}
		select {
		case <-written:
		case <-deadline.C:
			t.Fatalf("no %q logged within %v:\n%s", msg, timeout, b.String()[mark:])
		}
	}
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

// testServer is the whole program, started by app.Run (what main calls) on port 0 through
// apptest, as client/clienttest starts it, with a HubSpot sandbox of its own as HubSpot.
type testServer struct {
	grpcAddr, httpAddr, db string
	logs                   *syncBuffer
	keys                   map[string]string // workspace ("acme", "globex", "*") → API key
	env                    map[string]string
	pollEvery              time.Duration
	args                   []string // more flags for the server
	stop                   func()

	sb      *sandbox.Sandbox
	hubspot *httptest.Server // serves sb
	acct    sandbox.Account
	token   string // a sandbox token with every scope
	hub     *apptest.HubSpot
}

func noEnv(string) string { return "" }

// startServer creates API keys with the real "apikey create" command, then runs the server
// until the test ends, and checks that it shuts down cleanly.
func startServer(t *testing.T) *testServer { return startServerWith(t, serverOptions{}) }

// serverOptions changes what startServer starts.
type serverOptions struct {
	env     map[string]string               // the server's environment
	hubspot func(http.Handler) http.Handler // wraps the sandbox serving as HubSpot (to watch its requests)
	// searchLag is how long a write takes to reach the sandbox's search: zero keeps its
	// default (a few seconds, as on HubSpot); sandbox.NoSearchLag is for tests of what a
	// search finds rather than when.
	searchLag time.Duration
	// pollEvery polls every connection this often (app.PollEvery), below the 10 s floor, so
	// a change made in HubSpot is polled within a second; zero keeps the settings' interval.
	pollEvery time.Duration
	// webhookRetryScale shrinks the sandbox's waits between webhook attempts; zero keeps
	// HubSpot's.
	webhookRetryScale float64
	// sandboxNow is the sandbox's clock; nil is real time.
	sandboxNow func() time.Time
}

func startServerWith(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	if opts.env == nil {
		opts.env = map[string]string{}
	}
	ts := &testServer{db: filepath.Join(t.TempDir(), "data", "integrations.db"), logs: &syncBuffer{}, keys: map[string]string{}, env: opts.env,
		pollEvery: opts.pollEvery}
	ts.hub = apptest.StartHubSpot(t, apptest.HubSpotOptions{Wrap: opts.hubspot,
		Sandbox: sandbox.Options{SearchLag: opts.searchLag, WebhookRetryScale: opts.webhookRetryScale, Now: opts.sandboxNow}})
	ts.sb, ts.acct, ts.hubspot = ts.hub.Sandbox, ts.hub.Account, ts.hub.Server
	ts.token = ts.newToken(t, sandbox.AllScopes())
	for _, ws := range []string{"acme", "globex", "*"} {
		ts.keys[ws] = apptest.CreateAPIKey(t, ts.db, ws)
	}
	ts.start(t)
	t.Cleanup(func() { ts.stop() })
	return ts
}

// newToken registers a sandbox token of the test's account with the given scopes.
func (ts *testServer) newToken(t *testing.T, scopes []string) string {
	t.Helper()
	return ts.hub.NewToken(t, scopes)
}

// start runs the server on the test's database with ts.env as its environment; it returns
// once the server serves (app.OnReady), and ts.stop stops it and checks it stopped cleanly.
func (ts *testServer) start(t *testing.T) {
	t.Helper()
	mark := len(ts.logs.String())
	// The key file sits outside the database's folder, as it does by default.
	keyFile := filepath.Join(filepath.Dir(filepath.Dir(ts.db)), "config", "encryption.keys")
	p := apptest.Start(t, apptest.Options{DB: ts.db, KeyFile: keyFile, HubSpotURL: ts.hubspot.URL, Env: withAPIVersion(ts.env), Logs: ts.logs,
		PollEvery: ts.pollEvery, Args: ts.args})
	ts.grpcAddr, ts.httpAddr = p.GRPCAddr, p.HTTPAddr
	ts.stop = func() {
		if err := p.Stop(); err != nil {
			t.Errorf("server exited with %v", err)
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
