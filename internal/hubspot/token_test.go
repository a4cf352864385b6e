package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// secretParts are fragments of the test token that must never appear:
// checking pieces catches partial redaction too.
var secretParts = []string{testTokenValue, "0b1c2d3e-4f50", "a5b6c7d8e9f0"}

func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, part := range secretParts {
		if strings.Contains(text, part) {
			t.Errorf("%s contains the token (%q): %s", where, part, text)
		}
	}
}

func TestParseToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		ok          bool
		hint        string
	}{
		{"private app token", testTokenValue, true, "e9f0"},
		{"surrounding space is trimmed", "  " + testTokenValue + "\n", true, "e9f0"},
		{"empty", "", false, ""},
		{"inner space", "pat-na1 abc", false, ""},
		{"control character", "pat-na1-\x00abc", false, ""},
		{"too long", strings.Repeat("a", maxTokenLength+1), false, ""},
		{"short tokens reveal no hint", "abcdef", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := ParseToken(tt.value)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidTokenFormat) || strings.Contains(err.Error(), tt.value) && tt.value != "" {
					t.Fatalf("error %q must not quote the value", err)
				}
				return
			}
			if tok.Hint() != tt.hint {
				t.Fatalf("Hint() = %q, want %q", tok.Hint(), tt.hint)
			}
		})
	}
}

func TestTokenNeverPrints(t *testing.T) {
	t.Parallel()
	tok, _ := ParseToken(testTokenValue)
	type holder struct {
		Public  Token
		private Token
		Ptr     *Token
	}
	c, err := NewClient(Options{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{
		"token":         tok,
		"pointer":       &tok,
		"holder":        holder{Public: tok, private: tok, Ptr: &tok},
		"holder ptr":    &holder{Public: tok, private: tok},
		"options":       Options{Token: tok, BaseURL: "https://example.test"},
		"client":        c,
		"client value":  *c,
		"slice":         []Token{tok},
		"map":           map[string]Token{"t": tok},
		"introspection": introspectionBody{token: tok},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			assertNoSecret(t, name+" "+verb, fmt.Sprintf(verb, v))
		}
		if name != "introspection" { // the one value meant to carry it, on the wire only
			if b, err := json.Marshal(v); err == nil {
				assertNoSecret(t, name+" JSON", string(b))
			}
		}
	}
	var logs logBuffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("text", "token", tok, "holder", holder{Public: tok})
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("json", "token", tok, "holder", holder{Public: tok}, "opts", Options{Token: tok})
	assertNoSecret(t, "slog output", logs.String())
	if !strings.Contains(logs.String(), redacted) {
		t.Fatalf("log output should show the redaction marker: %s", logs.String())
	}
}

// TestTokenNeverLeaksFromFailures drives every failure path with a server
// that echoes the token back in its error messages, and checks errors (in
// every format) and debug logs.
func TestTokenNeverLeaksFromFailures(t *testing.T) {
	t.Parallel()
	echo := testTokenValue
	responses := []struct {
		name    string
		respond func(w http.ResponseWriter, r seen)
	}{
		{"401 echoing the token", func(w http.ResponseWriter, _ seen) {
			writeJSON(w, 401, `{"status":"error","message":"Token `+echo+` is not valid","correlationId":"`+echo+`","category":"INVALID_AUTHENTICATION"}`)
		}},
		{"403", func(w http.ResponseWriter, _ seen) { writeJSON(w, 403, body403) }},
		{"400 with token in embedded array", func(w http.ResponseWriter, _ seen) {
			writeJSON(w, 400, `{"status":"error","message":"Property values were not valid: [{\"name\":\"`+echo+`\",\"error\":\"X\",\"message\":\"bad `+echo+`\"}]","category":"VALIDATION_ERROR","errors":[{"message":"`+echo+`","code":"`+echo+`","context":{"propertyName":["`+echo+`"]}}]}`)
		}},
		{"409", func(w http.ResponseWriter, _ seen) {
			writeJSON(w, 409, `{"status":"error","message":"Contact already exists. Existing ID: 501 `+echo+`","category":"CONFLICT"}`)
		}},
		{"429", func(w http.ResponseWriter, _ seen) {
			writeJSON(w, 429, `{"status":"error","message":"limit for `+echo+`","policyName":"TEN_SECONDLY_ROLLING","errorType":"RATE_LIMIT"}`)
		}},
		{"500 plain text", func(w http.ResponseWriter, _ seen) {
			w.Header().Set("X-HubSpot-Correlation-Id", echo)
			w.WriteHeader(500)
			_, _ = w.Write([]byte("internal error for Bearer " + echo))
		}},
		{"reset", func(w http.ResponseWriter, _ seen) { resetConnection(w) }},
		{"slow", func(w http.ResponseWriter, r seen) { <-r.Gone; writeJSON(w, 200, okBody) }}, // answers once the attempt timed out
		{"bad JSON on success", func(w http.ResponseWriter, _ seen) { writeJSON(w, 200, `{"id":"`+echo+`","properties":[1,2]}`) }},
	}
	for _, resp := range responses {
		t.Run(resp.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeHubSpot(t, resp.respond)
			var logs logBuffer
			var hooked []string
			c := testClient(t, fake.srv.URL, func(o *Options) {
				o.Logger = logs.logger()
				o.Timeout = 50 * time.Millisecond
				o.Retry.MaxAttempts = 2
				o.Limiter = NewLimiter(LimiterConfig{Budget: 100, Window: 50 * time.Millisecond, SafetyMargin: -1})
				o.OnCall = func(ci CallInfo) { hooked = append(hooked, fmt.Sprintf("%+v %v", ci, ci.Err)) }
			})
			var errs []error
			for _, call := range []func(context.Context) error{
				func(ctx context.Context) error { _, err := c.IntrospectToken(ctx); return err },
				func(ctx context.Context) error {
					_, err := c.GetObject(ctx, "contacts", "1", GetObjectOptions{})
					return err
				},
				func(ctx context.Context) error {
					_, err := c.CreateObject(ctx, "contacts", CreateObjectInput{Properties: map[string]string{"note": echo}})
					return err
				},
			} {
				if err := call(t.Context()); err != nil {
					errs = append(errs, err)
				}
			}
			if len(errs) == 0 {
				t.Fatal("expected failures")
			}
			for _, err := range errs {
				for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
					assertNoSecret(t, "error "+verb, fmt.Sprintf(verb, err))
				}
				if b, jerr := json.Marshal(err); jerr == nil {
					assertNoSecret(t, "error JSON", string(b))
				}
				for e := err; e != nil; e = errors.Unwrap(e) {
					assertNoSecret(t, "wrapped error", e.Error())
				}
			}
			assertNoSecret(t, "debug log", logs.String())
			assertNoSecret(t, "OnCall hook", strings.Join(hooked, "\n"))
			if !strings.Contains(logs.String(), `"msg":"hubspot call"`) {
				t.Fatalf("expected debug call logs, got %s", logs.String())
			}
		})
	}
}

func TestDebugLogHasOneLinePerAttempt(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
		if calls.Add(1) == 1 {
			writeJSON(w, 503, `{}`)
			return
		}
		writeJSON(w, 200, okBody)
	})
	var logs logBuffer
	c := testClient(t, fake.srv.URL, func(o *Options) { o.Logger = logs.logger() })
	if _, err := c.GetObject(t.Context(), "contacts", "jon@x.com", GetObjectOptions{IDProperty: "email"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines (one per attempt), got %d:\n%s", len(lines), logs.String())
	}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"level": "DEBUG", "msg": "hubspot call", "method": "GET",
			"path": "/crm/objects/2026-03/{objectType}/{objectId}", "status": float64([]int{503, 200}[i]), "attempt": float64(i + 1)}
		for k, v := range want {
			if rec[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, rec[k], v)
			}
		}
		if _, ok := rec["duration"]; !ok {
			t.Errorf("line %d has no duration", i)
		}
		if strings.Contains(line, "jon@x.com") {
			t.Errorf("line %d logs the record's email (path values must not be logged): %s", i, line)
		}
	}
}
