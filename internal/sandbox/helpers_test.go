package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/sandbox"
)

// fakeClock is an injectable clock tests advance by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a sandbox with one seeded account and a token holding every scope.
type env struct {
	t     *testing.T
	sb    *sandbox.Sandbox
	clock *fakeClock
	acct  sandbox.Account
	token string
	seed  sandbox.SeedSummary
}

func newEnv(t *testing.T, opts sandbox.Options) *env {
	t.Helper()
	clock := newFakeClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	// The fake clock stands still, so functional tests get budgets they cannot spend;
	// the rate-limit tests set their own.
	if opts.Limits == (sandbox.Limits{}) {
		opts.Limits = sandbox.Limits{PerWindow: 1_000_000, SearchPerSecond: 1_000_000}
	}
	sb := sandbox.New(opts)
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierStarter})
	if err != nil {
		t.Fatal(err)
	}
	seed, err := sb.SeedSampleData(acct.HubID)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, sb: sb, clock: clock, acct: acct, token: newToken(t, sb, acct.HubID, sandbox.AllScopes()), seed: seed}
}

func newToken(t *testing.T, sb *sandbox.Sandbox, hubID int64, scopes []string) string {
	t.Helper()
	tok, err := sb.CreateToken(sandbox.Token{HubID: hubID, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends a request straight to the handler with the env's token.
func (e *env) do(method, path string, body any) response {
	return e.doAs(e.token, method, path, body)
}

func (e *env) doAs(token, method, path string, body any) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.sb.ServeHTTP(rec, req)
	res := response{status: rec.Code, header: rec.Header(), raw: rec.Body.Bytes()}
	if len(res.raw) > 0 && res.raw[0] == '{' {
		if err := json.Unmarshal(res.raw, &res.body); err != nil {
			e.t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, res.raw)
		}
	}
	return res
}

// want fails unless the status matches, printing the body.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.raw)
	}
	return r
}

func (r response) str(keys ...any) string {
	v := r.get(keys...)
	s, _ := v.(string)
	return s
}

// get walks the decoded body: get("errors", 0, "code").
func (r response) get(keys ...any) any {
	var cur any = r.body
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func (r response) list(keys ...any) []any {
	l, _ := r.get(keys...).([]any)
	return l
}

func props(kv ...string) map[string]any {
	out := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}
