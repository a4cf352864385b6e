package hubspot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
)

// TestSecretWatchDetectsALeak checks the checker every sandbox test relies
// on: a token in a log line or in any error string is reported.
func TestSecretWatchDetectsALeak(t *testing.T) {
	const tok = "pat-na1-11111111-2222-3333-4444-555555555555"
	tests := []struct {
		name string
		leak func(w *secretWatch)
	}{
		{"whole token in an error", func(w *secretWatch) { w.noteErr(errors.New("bad " + tok)) }},
		{"secret part in an error", func(w *secretWatch) { w.noteErr(errors.New("bad 11111111-2222-3333-4444-555555555555")) }},
		{"token in a log line", func(w *secretWatch) { w.logger().Debug("call", "auth", "Bearer "+tok) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &secretWatch{}
			w.watch(tok)
			w.logger().Debug("a clean line")
			if got := w.leaked(); len(got) != 0 {
				t.Fatalf("clean watch reports %v", got)
			}
			tt.leak(w)
			if len(w.leaked()) == 0 {
				t.Error("leak not detected")
			}
		})
	}
}

// leakCase is one failure path; run returns every error the caller saw.
type leakCase struct {
	name string
	want error // at least one returned error must match it
	run  func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func(scopes []string) sandbox.Token) []error
}

func clientFor(t *testing.T, env *sandboxEnv, tok sandbox.Token, mutate func(*hubspot.Options)) *hubspot.Client {
	t.Helper()
	return env.client(t, &tok, mutate)
}

func fastRetries(attempts int) func(*hubspot.Options) {
	return func(o *hubspot.Options) {
		o.Retry = hubspot.RetryPolicy{MaxAttempts: attempts, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	}
}

var leakCases = []leakCase{
	{"401 revoked token", hubspot.ErrInvalidToken, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		tok := mint(sandbox.AllScopes())
		c := clientFor(t, env, tok, nil)
		if err := env.sb.RevokeToken(tok.Token); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetObject(ctx, "contacts", env.seed.Contacts[0], hubspot.GetObjectOptions{})
		return []error{err}
	}},
	{"403 missing scopes", hubspot.ErrMissingScopes, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		c := clientFor(t, env, mint(sandbox.ScopesWithout("deals")), nil)
		_, err := c.GetObject(ctx, "deals", env.seed.Deals[0], hubspot.GetObjectOptions{})
		return []error{err}
	}},
	{"400 echoing the token as a property value", hubspot.ErrValidation, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		tok := mint(sandbox.AllScopes())
		c := clientFor(t, env, tok, nil)
		_, err1 := c.UpdateObject(ctx, "contacts", env.seed.Contacts[0], map[string]string{"lifetime_value": tok.Token}, hubspot.UpdateObjectOptions{})
		_, err2 := c.CreateObject(ctx, "contacts", hubspot.CreateObjectInput{Properties: map[string]string{"email": tok.Token}})
		return []error{err1, err2}
	}},
	{"207 batch item echoing the token", hubspot.ErrValidation, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		tok := mint(sandbox.AllScopes())
		c := clientFor(t, env, tok, nil)
		res, err := c.BatchCreate(ctx, "contacts", []hubspot.BatchCreateInput{
			{Properties: map[string]string{"email": "fine@example.com"}},
			{Properties: map[string]string{"email": tok.Token}},
		})
		if err != nil {
			return []error{err}
		}
		var errs []error
		for _, o := range res.Outcomes {
			errs = append(errs, o.Err)
		}
		for _, e := range res.Errors {
			errs = append(errs, e)
		}
		return errs
	}},
	{"attempt timeouts", hubspot.ErrUnavailable, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		c := clientFor(t, env, mint(sandbox.AllScopes()), func(o *hubspot.Options) {
			fastRetries(2)(o)
			o.Timeout = 50 * time.Millisecond
		})
		addFault(t, env, sandbox.FaultRule{Method: "GET", Latency: 300 * time.Millisecond})
		_, err := c.GetObject(ctx, "contacts", env.seed.Contacts[0], hubspot.GetObjectOptions{})
		return []error{err}
	}},
	{"caller deadline during a slow response", context.DeadlineExceeded, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		c := clientFor(t, env, mint(sandbox.AllScopes()), nil)
		addFault(t, env, sandbox.FaultRule{Method: "GET", Latency: 300 * time.Millisecond})
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := c.GetObject(short, "contacts", env.seed.Contacts[0], hubspot.GetObjectOptions{})
		return []error{err}
	}},
	{"outage on batch upsert", hubspot.ErrUnavailable, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		c := clientFor(t, env, mint(sandbox.AllScopes()), fastRetries(3))
		addFault(t, env, sandbox.FaultRule{Path: "/crm/objects/2026-03/contacts/batch/upsert", Outage: time.Minute})
		_, err := c.BatchUpsert(ctx, "contacts", []hubspot.BatchUpsertInput{{ID: "a@example.com", IDProperty: "email", Properties: map[string]string{"firstname": "A"}}})
		return []error{err}
	}},
	{"resets on token introspection", hubspot.ErrUnavailable, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		c := clientFor(t, env, mint(sandbox.AllScopes()), fastRetries(3))
		addFault(t, env, sandbox.FaultRule{Path: "/oauth/", ResetRate: 1})
		_, err := c.IntrospectToken(ctx)
		return []error{err}
	}},
	{"503 and lost response on token introspection", hubspot.ErrUnavailable, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		c := clientFor(t, env, mint(sandbox.AllScopes()), fastRetries(2))
		addFault(t, env, sandbox.FaultRule{Path: "/oauth/", Count: 1, ErrorRates: map[int]float64{503: 1}})
		addFault(t, env, sandbox.FaultRule{Path: "/oauth/", LostResponseRate: 1})
		_, err := c.IntrospectToken(ctx)
		return []error{err}
	}},
	{"lost response on create", hubspot.ErrUnavailable, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		c := clientFor(t, env, mint(sandbox.AllScopes()), nil)
		addFault(t, env, sandbox.FaultRule{Method: "POST", Path: "/crm/objects/2026-03/contacts", LostResponseRate: 1})
		_, err := c.CreateObject(ctx, "contacts", hubspot.CreateObjectInput{Properties: map[string]string{"email": "lost@example.com"}})
		return []error{err}
	}},
	{"TEN_SECONDLY 429 without retries", hubspot.ErrRateLimited, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		env.sb.SetLimits(sandbox.Limits{PerWindow: 2, Window: time.Minute})
		c := clientFor(t, env, mint(sandbox.AllScopes()), fastRetries(1))
		errs := make([]error, 6)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { _, errs[i] = c.GetObject(ctx, "contacts", env.seed.Contacts[i], hubspot.GetObjectOptions{}) })
		}
		wg.Wait()
		return errs
	}},
	{"DAILY 429", hubspot.ErrDailyLimitExhausted, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		// The env's first call has spent the whole day's budget.
		env.sb.SetLimits(sandbox.Limits{PerWindow: scaledBudget, Window: scaledWindow, Daily: 1})
		c := clientFor(t, env, mint(sandbox.AllScopes()), nil)
		_, err1 := c.GetObject(ctx, "contacts", env.seed.Contacts[0], hubspot.GetObjectOptions{})
		_, err2 := c.GetObject(ctx, "contacts", env.seed.Contacts[0], hubspot.GetObjectOptions{}) // refused locally
		return []error{err1, err2}
	}},
	{"local limiter refuses a deadline it cannot meet", hubspot.ErrRateLimited, func(ctx context.Context, t *testing.T, env *sandboxEnv, mint func([]string) sandbox.Token) []error {
		env.sb.SetLimits(sandbox.Limits{PerWindow: 1, Window: time.Minute}) // a new app: its window is empty
		c := clientFor(t, env, mint(sandbox.AllScopes()), func(o *hubspot.Options) {
			o.Limiter = hubspot.NewLimiter(hubspot.LimiterConfig{Budget: 1, Window: time.Minute})
		})
		if _, err := c.GetObject(ctx, "contacts", env.seed.Contacts[0], hubspot.GetObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := c.GetObject(short, "contacts", env.seed.Contacts[0], hubspot.GetObjectOptions{})
		return []error{err}
	}},
}

func addFault(t *testing.T, env *sandboxEnv, rule sandbox.FaultRule) {
	t.Helper()
	if _, err := env.sb.AddFault(rule); err != nil {
		t.Fatal(err)
	}
}

// TestSandboxSecretsNeverLeak drives every failure path against the real
// sandbox, with a private-app-shaped token and with one of no known shape
// (so only exact-value scrubbing can catch it), capturing the client's
// debug log and every error in %v, %+v and %#v. The token must appear in
// none of them. (Every other sandbox test runs the same check on its own
// logs and errors when it ends.)
func TestSandboxSecretsNeverLeak(t *testing.T) {
	styles := []struct {
		name  string
		value func(i int) string
	}{
		{"private-app token", func(i int) string { return fmt.Sprintf("pat-eu1-%08d-aaaa-bbbb-cccc-0123456789ab", i) }},
		{"token of no known shape", func(i int) string { return fmt.Sprintf("Zq%04dSecretValueNoDashes7x9KpL", i) }},
	}
	for _, style := range styles {
		for ci, lc := range leakCases {
			t.Run(style.name+"/"+lc.name, func(t *testing.T) {
				t.Parallel()
				env := newSandboxEnv(t, sandbox.Limits{PerWindow: scaledBudget, Window: scaledWindow}, uint64(ci))
				// The env's own token makes one clean call, so the log
				// is never empty and the token is known to work.
				if _, err := env.client(t, nil, nil).GetObject(t.Context(), "contacts", env.seed.Contacts[0], hubspot.GetObjectOptions{}); err != nil {
					t.Fatal(err)
				}
				minted := 0
				mint := func(scopes []string) sandbox.Token {
					minted++
					tok, err := env.sb.CreateToken(sandbox.Token{Token: style.value(100*ci + minted), HubID: env.acct.HubID, Scopes: scopes})
					if err != nil {
						t.Fatal(err)
					}
					env.leaks.watch(tok.Token)
					return tok
				}
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				errs := lc.run(ctx, t, env, mint)
				matched := false
				for _, err := range errs {
					env.leaks.noteErr(err)
					if errors.Is(err, lc.want) {
						matched = true
					}
				}
				if !matched {
					t.Errorf("no error matched %v; got %v", lc.want, errs)
				}
				for _, problem := range env.leaks.leaked() {
					t.Error(problem)
				}
				// The failure is still explained: the operation is named.
				for _, err := range errs {
					if err != nil && !strings.Contains(err.Error(), "hubspot") {
						t.Errorf("error %q does not say where it came from", err)
					}
				}
			})
		}
	}
}
