package hubspot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"
)

// testTokenValue is shaped like a real private-app token so the scrubbing
// patterns are exercised too.
const testTokenValue = "pat-na1-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

// seen is one request as the fake server received it.
type seen struct {
	Method string
	Path   string // escaped path as sent
	Query  string
	Body   string
	Auth   string
	At     time.Time // receipt time, taken before anything else
	// Gone is closed once the client has given up on the request (its attempt
	// timed out, its context ended, or it closed the connection): a handler
	// that plays a slow HubSpot answers only then.
	Gone <-chan struct{} `json:"-"`
}

// fakeHubSpot is an httptest server on 127.0.0.1:0 that records every
// request and answers with the test's handler.
type fakeHubSpot struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []seen
	respond  func(w http.ResponseWriter, r seen)
}

func newFakeHubSpot(t *testing.T, respond func(w http.ResponseWriter, r seen)) *fakeHubSpot {
	t.Helper()
	f := &fakeHubSpot{respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		at := time.Now()
		body, _ := io.ReadAll(req.Body)
		s := seen{Method: req.Method, Path: req.URL.EscapedPath(), Query: req.URL.RawQuery,
			Body: string(body), Auth: req.Header.Get("Authorization"), At: at,
			Gone: req.Context().Done()}
		f.mu.Lock()
		f.requests = append(f.requests, s)
		respond := f.respond
		f.mu.Unlock()
		respond(w, s)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeHubSpot) seen() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.requests...)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// resetConnection drops the TCP connection with an RST, as a crashing
// proxy would, after the request has been read.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// skipClock is a Clock whose waits take no real time: After(d) moves the
// clock forward by d and fires at once. Time moves only by the waits, so a
// test reads exactly how long the client and its limiter chose to wait.
// It starts at the real time, so a caller's context deadline lies ahead of it.
type skipClock struct {
	mu     sync.Mutex
	start  time.Time
	waited time.Duration
}

func newSkipClock() *skipClock { return &skipClock{start: time.Now()} }

func (c *skipClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(c.waited)
}

func (c *skipClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waited += max(d, 0)
	ch := make(chan time.Time, 1)
	ch <- c.start.Add(c.waited)
	return ch
}

// Waited is the total of the waits asked for so far.
func (c *skipClock) Waited() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waited
}

// testClient builds a client against the fake with a generous limiter and
// fast retries; mutate adjusts the options per test.
func testClient(t *testing.T, baseURL string, mutate func(*Options)) *Client {
	t.Helper()
	token, err := ParseToken(testTokenValue)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		BaseURL: baseURL,
		Token:   token,
		Limiter: NewLimiter(LimiterConfig{Budget: 1000, Window: time.Second, SearchPerSecond: 1000, SafetyMargin: -1}),
		Retry:   RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, LockedDelay: 10 * time.Millisecond},
		Timeout: 5 * time.Second,
	}
	if mutate != nil {
		mutate(&opts)
	}
	c, err := NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// logBuffer captures slog output at debug level, in both handlers' formats.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// canonicalJSON re-encodes JSON so bodies compare independent of key order.
func canonicalJSON(t *testing.T, s string) string {
	t.Helper()
	if s == "" {
		return ""
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, s)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// diff returns "" when want and got are deeply equal, and otherwise both
// values as indented JSON (go.mod carries no diff library for this package).
func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	w, _ := json.MarshalIndent(want, "", "  ")
	g, _ := json.MarshalIndent(got, "", "  ")
	if string(w) == string(g) {
		return fmt.Sprintf("values differ in unexported or nil-vs-empty detail:\nwant %#v\ngot  %#v", want, got)
	}
	return "want:\n" + string(w) + "\ngot:\n" + string(g)
}
