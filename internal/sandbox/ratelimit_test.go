package sandbox_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/sandbox"
)

func TestRollingWindowIsNotABucket(t *testing.T) {
	e := newEnv(t, sandbox.Options{Limits: sandbox.Limits{PerWindow: 20, Window: 200 * time.Millisecond}})
	get := func() response { return e.do("GET", "/crm/v3/objects/contacts?limit=1", nil) }

	for i := range 10 { // 10 at t=0
		res := get().want(t, 200)
		if got := res.header.Get("X-HubSpot-RateLimit-Remaining"); got != strconv.Itoa(19-i) {
			t.Fatalf("request %d: Remaining %s, want %d", i, got, 19-i)
		}
	}
	e.clock.Advance(100 * time.Millisecond)
	for range 10 { // 10 at t=100ms: the window is full
		get().want(t, 200)
	}
	limited := get().want(t, http.StatusTooManyRequests)
	if limited.str("policyName") != "TEN_SECONDLY_ROLLING" || limited.str("errorType") != "RATE_LIMIT" ||
		limited.get("category") != nil || limited.str("message") != "You have reached your ten_secondly_rolling limit." {
		t.Fatalf("429 body: %s", limited.raw)
	}
	if limited.header.Get("X-HubSpot-RateLimit-Remaining") != "0" {
		t.Errorf("429 Remaining header %q", limited.header.Get("X-HubSpot-RateLimit-Remaining"))
	}

	// At t=200ms the first ten leave the window (it is (now-200ms, now]); a bucket
	// refilling at 100/s would allow 20 more here, a rolling window only 10.
	e.clock.Advance(100 * time.Millisecond)
	for range 10 {
		get().want(t, 200)
	}
	get().want(t, http.StatusTooManyRequests)

	// Rejected requests are not receipts: the counted times never exceed the budget.
	c := e.sb.Counters()
	if c.RateLimited["TEN_SECONDLY_ROLLING"] != 2 {
		t.Errorf("RateLimited %v", c.RateLimited)
	}
	for app, times := range c.ReceiptTimes {
		if n := sandbox.MaxInWindow(times, 200*time.Millisecond); n > 20 {
			t.Errorf("app %d: %d requests in one window", app, n)
		}
		if len(times) != 30 {
			t.Errorf("app %d: %d receipts, want 30", app, len(times))
		}
	}
}

func TestWindowIsPerApp(t *testing.T) {
	e := newEnv(t, sandbox.Options{Limits: sandbox.Limits{PerWindow: 2, Window: time.Second}})
	other := newToken(t, e.sb, e.acct.HubID, sandbox.AllScopes())
	sameApp, err := e.sb.CreateToken(sandbox.Token{HubID: e.acct.HubID, Scopes: sandbox.AllScopes(),
		AppID: mustInfo(t, e).AppID})
	if err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200)
	e.doAs(sameApp.Token, "GET", "/crm/v3/objects/contacts", nil).want(t, 200)
	e.doAs(sameApp.Token, "GET", "/crm/v3/objects/contacts", nil).want(t, 429)
	e.doAs(other, "GET", "/crm/v3/objects/contacts", nil).want(t, 200)
}

func mustInfo(t *testing.T, e *env) sandbox.Token {
	t.Helper()
	for _, tok := range e.sb.Tokens(e.acct.HubID) {
		if tok.Token == e.token {
			return tok
		}
	}
	t.Fatal("token not listed")
	return sandbox.Token{}
}

func TestTierDefaultsAndHeaders(t *testing.T) {
	tests := []struct {
		tier       sandbox.Tier
		increases  int
		max, daily string
	}{
		{sandbox.TierFree, 0, "100", "250000"},
		{sandbox.TierStarter, 0, "100", "250000"},
		{sandbox.TierProfessional, 0, "190", "625000"},
		{sandbox.TierEnterprise, 0, "190", "1000000"},
		// An API limit increase: 250 per 10 s on any tier, +1,000,000 a day each, two at most.
		{sandbox.TierFree, 1, "250", "1250000"},
		{sandbox.TierProfessional, 2, "250", "2625000"},
		{sandbox.TierEnterprise, 2, "250", "3000000"},
		{sandbox.TierEnterprise, 3, "250", "3000000"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s+%d", tt.tier, tt.increases), func(t *testing.T) {
			sb := sandbox.New(sandbox.Options{Limits: sandbox.Limits{LimitIncreases: tt.increases}})
			acct, err := sb.CreateAccount(sandbox.Account{Tier: tt.tier})
			if err != nil {
				t.Fatal(err)
			}
			e := &env{t: t, sb: sb, acct: acct, token: newToken(t, sb, acct.HubID, sandbox.AllScopes())}
			h := e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200).header
			want := map[string]string{"X-HubSpot-RateLimit-Max": tt.max, "X-HubSpot-RateLimit-Daily": tt.daily,
				"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
			for k, v := range want {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
			daily, _ := strconv.Atoi(tt.daily)
			if h.Get("X-HubSpot-RateLimit-Daily-Remaining") != strconv.Itoa(daily-1) {
				t.Errorf("Daily-Remaining %q", h.Get("X-HubSpot-RateLimit-Daily-Remaining"))
			}
		})
	}
}

func TestDailyBudgetResetsAtMidnightInAccountTimeZone(t *testing.T) {
	clock := newFakeClock() // 2026-03-10 15:00 UTC = 11:00 in New York
	sb := sandbox.New(sandbox.Options{Now: clock.Now, Limits: sandbox.Limits{Daily: 3, PerWindow: 1000}})
	acct, err := sb.CreateAccount(sandbox.Account{TimeZone: "America/New_York"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, sb: sb, clock: clock, acct: acct, token: newToken(t, sb, acct.HubID, sandbox.AllScopes())}
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200)
	e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{}).want(t, 200) // search counts toward daily
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200)
	res := e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 429)
	if res.str("policyName") != "DAILY" || res.str("message") != "You have reached your daily limit." {
		t.Fatalf("got %s", res.raw)
	}
	e.clock.Advance(12*time.Hour + 59*time.Minute) // 23:59 in New York, 03:59 UTC next day
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 429)
	e.clock.Advance(time.Minute) // midnight in New York
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200)
}

func TestSearchLimitIsFivePerSecondAndOutsideTheWindow(t *testing.T) {
	e := newEnv(t, sandbox.Options{Limits: sandbox.Limits{PerWindow: 3, Window: time.Minute}})
	other := newToken(t, e.sb, e.acct.HubID, sandbox.AllScopes()) // same account, another app
	for i := range 5 {
		tok := e.token
		if i%2 == 1 {
			tok = other
		}
		res := e.doAs(tok, "POST", "/crm/v3/objects/contacts/search", map[string]any{"limit": 1}).want(t, 200)
		if res.header.Get("X-HubSpot-RateLimit-Remaining") != "" || res.header.Get("X-HubSpot-RateLimit-Daily") != "" {
			t.Fatal("search responses carry no rate-limit headers")
		}
	}
	res := e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{}).want(t, 429)
	if res.str("policyName") != "SECONDLY" || res.str("message") != "You have reached your secondly limit." {
		t.Fatalf("got %s", res.raw)
	}
	// The searches did not spend the ten-second budget of 3.
	for range 3 {
		e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200)
	}
	e.clock.Advance(time.Second)
	e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{}).want(t, 200)
}
