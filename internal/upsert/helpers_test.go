package upsert_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/upsert"
)

// Scaled budgets: HubSpot's 100 requests per 10 s shrunk fifty-fold, so a
// test pushes many windows through in seconds. The limiter's margin keeps
// HubSpot's proportion (1% of the window).
const (
	scaledBudget = 20
	scaledWindow = 200 * time.Millisecond
	scaledMargin = 2 * time.Millisecond
)

const upsertEndpoint = "POST /crm/objects/2026-03/contacts/batch/upsert"

// env is the HubSpot sandbox on 127.0.0.1:0 with one account and one
// private-app token, and a client for it with a limiter at the scaled budget.
type env struct {
	sb     *sandbox.Sandbox
	acct   sandbox.Account
	client *hubspot.Client
}

type envOptions struct {
	limits sandbox.Limits // default: the scaled budget
	retry  hubspot.RetryPolicy
	seed   uint64
	// front, when set, wraps the sandbox's handler: a rule of a real portal the sandbox
	// does not have.
	front func(http.Handler) http.Handler
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.limits == (sandbox.Limits{}) {
		o.limits = sandbox.Limits{PerWindow: scaledBudget, Window: scaledWindow}
	}
	sb := sandbox.New(sandbox.Options{Seed: o.seed + 1, Limits: o.limits})
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierStarter, TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = sb
	if o.front != nil {
		h = o.front(sb)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	parsed, err := hubspot.ParseToken(tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	limiter := hubspot.NewLimiter(hubspot.LimiterConfig{Budget: o.limits.PerWindow, Window: o.limits.Window, SafetyMargin: scaledMargin})
	c, err := hubspot.NewClient(hubspot.Options{BaseURL: srv.URL, Token: parsed, Limiter: limiter,
		Timeout: 5 * time.Second, Retry: o.retry})
	if err != nil {
		t.Fatal(err)
	}
	return &env{sb: sb, acct: acct, client: c}
}

// batcher starts a batcher on the env's client and closes it when the test ends.
func (e *env) batcher(t testing.TB, cfg upsert.Config) *upsert.Batcher {
	t.Helper()
	b := upsert.New(e.client, cfg)
	t.Cleanup(b.Close)
	return b
}

// contact reads a contact from the sandbox by id.
func (e *env) contact(t testing.TB, id string) map[string]string {
	t.Helper()
	props, ok := e.sb.Record(e.acct.HubID, "contacts", id)
	if !ok {
		t.Fatalf("contact %s is not in the sandbox", id)
	}
	return props
}

// createContact adds a contact behind the batcher's back (an existing CRM record).
func (e *env) createContact(t testing.TB, email string) string {
	t.Helper()
	id, err := e.sb.CreateRecord(e.acct.HubID, "contacts", map[string]string{"email": email, "firstname": "Before"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) upsertRequests() int {
	n := 0
	for _, v := range e.sb.Counters().Requests[upsertEndpoint] {
		n += v
	}
	return n
}

func (e *env) contactCount() int { return e.sb.RecordCount(e.acct.HubID, "contacts") }

func email(prefix string, i int) string {
	return fmt.Sprintf("%s-%04d@example.com", strings.ToLower(prefix), i)
}

// waitGuard turns a wait that never ends into a failure; no test asserts a speed with it.
const waitGuard = time.Minute

// waitForQueue returns once cond holds, looking again each time callers join or leave b's
// queue.
func waitForQueue(t testing.TB, b *upsert.Batcher, what string, cond func() bool) {
	t.Helper()
	changed := make(chan struct{}, 1)
	upsert.ObserveQueue(b, func() {
		select {
		case changed <- struct{}{}:
		default: // a change is already pending: cond is looked at again anyway
		}
	})
	defer upsert.ObserveQueue(b, nil)
	guard := time.NewTimer(waitGuard)
	defer guard.Stop()
	for !cond() {
		select {
		case <-changed:
		case <-guard.C:
			t.Fatalf("still waiting for %s after %v; stats %+v", what, waitGuard, b.Stats())
		}
	}
}
