package hubspot_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
)

// Scaled budgets: HubSpot's 100 per 10 s shrunk fifty-fold so a test pushes
// many windows through in seconds. The limiter's safety margin shrinks with
// the window (its default is 100 ms on 10 s, i.e. 1%).
const (
	scaledBudget = 20
	scaledWindow = 200 * time.Millisecond
	scaledMargin = 2 * time.Millisecond
)

// sandboxEnv is the real HubSpot emulator served on 127.0.0.1:0, one seeded
// account and one private-app token. Every client it builds logs at debug
// level into one buffer, and every error a test reports through noteErr is
// kept; when the test ends both are checked for the token.
type sandboxEnv struct {
	sb    *sandbox.Sandbox
	srv   *httptest.Server
	acct  sandbox.Account
	tok   sandbox.Token
	seed  sandbox.SeedSummary
	leaks *secretWatch
}

func newSandboxEnv(t *testing.T, limits sandbox.Limits, seed uint64) *sandboxEnv {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Seed: seed, Limits: limits})
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierStarter, TimeZone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := sb.SeedSampleData(acct.HubID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb) // binds 127.0.0.1:0
	t.Cleanup(srv.Close)
	e := &sandboxEnv{sb: sb, srv: srv, acct: acct, tok: tok, seed: sum, leaks: &secretWatch{}}
	e.leaks.watch(tok.Token)
	t.Cleanup(func() { e.leaks.check(t) })
	return e
}

// token registers another token on the account; appID 0 gives it an app
// (and so a ten-second window) of its own.
func (e *sandboxEnv) token(t *testing.T, appID int64) sandbox.Token {
	t.Helper()
	tok, err := e.sb.CreateToken(sandbox.Token{HubID: e.acct.HubID, AppID: appID, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	e.leaks.watch(tok.Token)
	return tok
}

// scaledLimiter believes the scaled budget, as a limiter that has already
// read HubSpot's headers would.
func scaledLimiter() *hubspot.Limiter {
	return hubspot.NewLimiter(hubspot.LimiterConfig{Budget: scaledBudget, Window: scaledWindow,
		SafetyMargin: scaledMargin, DailyResetLocation: mustLocation("Europe/Berlin")})
}

// client builds a client for the env's token (or tok when given) with the
// scaled limiter and the library's default retry policy; mutate adjusts it.
func (e *sandboxEnv) client(t *testing.T, tok *sandbox.Token, mutate func(*hubspot.Options)) *hubspot.Client {
	t.Helper()
	value := e.tok.Token
	if tok != nil {
		value = tok.Token
	}
	parsed, err := hubspot.ParseToken(value)
	if err != nil {
		t.Fatal(err)
	}
	opts := hubspot.Options{
		BaseURL: e.srv.URL,
		Token:   parsed,
		Limiter: scaledLimiter(),
		Logger:  e.leaks.logger(),
		Timeout: 5 * time.Second,
		OnCall:  func(ci hubspot.CallInfo) { e.leaks.noteErr(ci.Err) },
	}
	if mutate != nil {
		mutate(&opts)
	}
	c, err := hubspot.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// requests sums the sandbox's responses for one endpoint label (e.g.
// "POST /crm/objects/2026-03/contacts"), dropped connections included.
func requests(c sandbox.Counters, endpoint string) int {
	n := 0
	for _, v := range c.Requests[endpoint] {
		n += v
	}
	return n
}

// totalRequests sums every endpoint's responses.
func totalRequests(c sandbox.Counters) int {
	n := 0
	for ep := range c.Requests {
		n += requests(c, ep)
	}
	return n
}

func total429s(c sandbox.Counters) int {
	n := 0
	for _, v := range c.RateLimited {
		n += v
	}
	return n
}

// secretWatch collects everything the client said (debug logs, errors in
// every formatting) so a test can assert no token ever appears in it.
type secretWatch struct {
	mu      sync.Mutex
	logs    bytes.Buffer
	errs    []string
	secrets []string
}

func (w *secretWatch) watch(token string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// The whole token, and its random part alone (what survives if only
	// the prefix were scrubbed).
	w.secrets = append(w.secrets, token, token[strings.LastIndex(token, "-")+1:])
	if _, uuid, ok := strings.Cut(token, "pat-na1-"); ok {
		w.secrets = append(w.secrets, uuid)
	}
}

func (w *secretWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logs.Write(p)
}

func (w *secretWatch) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// noteErr records err as callers would print it.
func (w *secretWatch) noteErr(err error) {
	if err == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errs = append(w.errs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
}

func (w *secretWatch) check(t *testing.T) {
	t.Helper()
	for _, problem := range w.leaked() {
		t.Error(problem)
	}
}

// leaked describes every place a watched secret appears, without quoting it.
func (w *secretWatch) leaked() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var problems []string
	if w.logs.Len() == 0 {
		problems = append(problems, "no debug log lines captured: the secret check would be vacuous")
	}
	logs := w.logs.String()
	for _, s := range w.secrets {
		if strings.Contains(logs, s) {
			problems = append(problems, "a token (or its secret part) appears in the client's debug log")
		}
		for i, e := range w.errs {
			if strings.Contains(e, s) {
				problems = append(problems, fmt.Sprintf("a token (or its secret part) appears in error string %d", i))
			}
		}
	}
	return problems
}

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
