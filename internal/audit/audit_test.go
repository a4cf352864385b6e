package audit

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/grpc/codes"

	"github.com/connectflo/integrations/internal/rpcerr"
)

// Caller-influenced text is stored as valid UTF-8 within its bound, cut between characters.
func TestBound(t *testing.T) {
	cases := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short", "Production", 300, "Production"},
		{"cut", strings.Repeat("a", 10), 6, "aaa…"},
		{"cut inside a multibyte character", "éabc", 4, "…"},
		{"invalid UTF-8", "a\xffb", 300, "a?b"},
	}
	for _, tc := range cases {
		got := bound(tc.in, tc.max)
		if got != tc.want || len(got) > tc.max || !utf8.ValidString(got) {
			t.Errorf("%s: bound(%q, %d) = %q, want %q", tc.name, tc.in, tc.max, got, tc.want)
		}
	}
}

// The outcome is the canonical code name and the ErrorInfo reason the caller got.
func TestOutcome(t *testing.T) {
	cases := []struct {
		name                 string
		err                  error
		wantCode, wantReason string
	}{
		{"success", nil, "OK", ""},
		{"our error", rpcerr.New(codes.FailedPrecondition, "HUBSPOT_TOKEN_INVALID", "x", nil), "FAILED_PRECONDITION", "HUBSPOT_TOKEN_INVALID"},
		{"plain error", errors.New("boom"), "UNKNOWN", ""},
	}
	for _, tc := range cases {
		if code, reason := Outcome(tc.err); code != tc.wantCode || reason != tc.wantReason {
			t.Errorf("%s: Outcome = %q %q, want %q %q", tc.name, code, reason, tc.wantCode, tc.wantReason)
		}
	}
}
