package hubspot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// redacted is what a Token prints as, whatever verb or encoder is used.
const redacted = "[REDACTED]"

// maxTokenLength is generous: HubSpot asks integrators to allow about 300
// characters for access tokens.
const maxTokenLength = 1024

// ErrInvalidTokenFormat is returned by ParseToken for values that cannot be an
// access token (empty, too long, or containing characters that cannot travel
// in an Authorization header). The message never includes the value.
var ErrInvalidTokenFormat = errors.New("hubspot: access token has an invalid format")

// Token is a HubSpot access token: a private app's, a Service Key or a static app token.
//
// Its only way out of this package is the Authorization header of a request
// and the body of token introspection: String, GoString, Format, LogValue,
// MarshalJSON and MarshalText all redact it. The value sits behind a
// *string: where fmt cannot call our methods (a Token in an unexported
// field, or a bad verb) it prints a pointer to a string as an address, never
// the string — unlike a pointer to a struct, which it dereferences.
type Token struct {
	secret *string
}

// ParseToken checks that value can be sent as a bearer token and wraps it.
// It does not check the token with HubSpot; see Client.IntrospectToken.
func ParseToken(value string) (Token, error) {
	value = strings.TrimSpace(value)
	if value == "" || len(value) > maxTokenLength {
		return Token{}, ErrInvalidTokenFormat
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c <= ' ' || c >= 0x7f {
			return Token{}, ErrInvalidTokenFormat
		}
	}
	return Token{secret: &value}, nil
}

// IsZero reports whether the token is unset.
func (t Token) IsZero() bool { return t.secret == nil || *t.secret == "" }

// Hint returns the last four characters, which is all the service may show a
// user to help them tell tokens apart.
func (t Token) Hint() string {
	if t.IsZero() {
		return ""
	}
	v := *t.secret
	if len(v) <= 8 {
		return "" // too short to reveal anything safely
	}
	return v[len(v)-4:]
}

// reveal is deliberately unexported: only the transport may see the value.
func (t Token) reveal() string {
	if t.secret == nil {
		return ""
	}
	return *t.secret
}

// String implements fmt.Stringer.
func (t Token) String() string { return redacted }

// GoString implements fmt.GoStringer, so %#v redacts too.
func (t Token) GoString() string { return "hubspot.Token(" + redacted + ")" }

// Format implements fmt.Formatter so that every verb (%s, %q, %x, %v, %d…)
// prints the redacted form rather than the raw bytes.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, t.GoString())
		return
	}
	_, _ = io.WriteString(f, redacted)
}

// LogValue implements slog.LogValuer.
func (t Token) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (t Token) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// MarshalText implements encoding.TextMarshaler (used by slog's text handler
// and by encoders that prefer text).
func (t Token) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// tokenPattern matches HubSpot private-app and OAuth-style tokens that might
// appear in text we did not write (HubSpot messages, transport errors), so
// they can be scrubbed even when they are not this client's token.
var tokenPattern = regexp.MustCompile(`pat-[a-z]{2,3}[0-9]*-[A-Za-z0-9-]{8,}`)

// scrub removes the token (and anything shaped like one) from text that came
// from outside this package before it is put into an error or a log line.
func (t Token) scrub(s string) string {
	if v := t.reveal(); v != "" && strings.Contains(s, v) {
		s = strings.ReplaceAll(s, v, redacted)
	}
	return tokenPattern.ReplaceAllString(s, redacted)
}
