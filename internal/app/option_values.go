package app

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
)

// valueParser turns an option's text into its Config field. want says what it takes, once,
// for --help and for the error that refuses other text; its first `word` in backquotes is
// the placeholder --help shows after the flag (the flag package's convention).
type valueParser struct {
	set    func(text string) bool // stores the value; false when the text is not what is wanted
	want   string                 // "" when any text will do
	isBool bool                   // a flag given alone means true
}

// anyText takes the text as it is, for values checked where they are used (the key ring).
func anyText(p *string) valueParser {
	return valueParser{set: func(v string) bool { *p = v; return true }}
}

// file takes a path as it is: the file is read, and its errors reported, where it is used.
func file(p *string) valueParser {
	return valueParser{want: "a `file`", set: func(v string) bool { *p = v; return true }}
}

func nonBlank(p *string, what string) valueParser {
	return valueParser{want: "a non-empty `" + what + "`", set: func(v string) bool {
		if strings.TrimSpace(v) == "" {
			return false
		}
		*p = v
		return true
	}}
}

// address takes a listen address: host:port, where an empty host is every interface and
// port 0 lets the system choose.
func address(p *string) valueParser {
	return valueParser{want: "`host:port`, such as 127.0.0.1:0 or :8080", set: func(v string) bool {
		_, port, err := net.SplitHostPort(v)
		if err != nil || port == "" {
			return false
		}
		*p = v
		return true
	}}
}

func oneOf(p *string, choices ...string) valueParser {
	return valueParser{want: listWords(choices, "or"), set: func(v string) bool {
		for _, c := range choices {
			if v == c {
				*p = v
				return true
			}
		}
		return false
	}}
}

func logLevel(p *slog.Level) valueParser {
	return valueParser{want: "a `level`: debug, info, warn or error", set: func(v string) bool {
		return p.UnmarshalText([]byte(v)) == nil
	}}
}

func httpURL(p *string) valueParser {
	return valueParser{want: "an absolute http(s) `URL` such as " + DefaultHubSpotBaseURL, set: func(v string) bool {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return false
		}
		*p = v
		return true
	}}
}

// apiVersion takes a HubSpot API family as the hubspot package reads it.
func apiVersion(p *hubspot.APIVersion) valueParser {
	var names []string
	for _, v := range hubspot.APIVersions() {
		names = append(names, string(v))
	}
	return valueParser{want: "a `version`: " + listWords(names, "or"), set: func(v string) bool {
		version, err := hubspot.ParseAPIVersion(v)
		if err != nil {
			return false
		}
		*p = version
		return true
	}}
}

func boolean(p *bool) valueParser {
	return valueParser{want: "true or false", isBool: true, set: func(v string) bool {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false
		}
		*p = b
		return true
	}}
}

// delay takes a Go duration of 0 or more, where 0 means no wait.
func delay(p *time.Duration) valueParser {
	return valueParser{want: "a `duration` such as 5s, or 0 for none", set: func(v string) bool {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return false
		}
		*p = d
		return true
	}}
}

// duration takes a Go duration of at least min, or a positive one when min is 0.
func duration(p *time.Duration, minimum time.Duration) valueParser {
	want := "a positive `duration` such as 30s, 5m or 1h30m"
	if minimum > 0 {
		want = fmt.Sprintf("a `duration` of at least %s, written like 30s, 5m or 1h30m", shortDuration(minimum))
	}
	return valueParser{want: want, set: func(v string) bool {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d < minimum {
			return false
		}
		*p = d
		return true
	}}
}

// wholeNumber takes an integer from lo to hi (no upper bound when hi is 0); unit, such as
// "of bytes", says what it counts.
func wholeNumber[T int | int64](p *T, unit string, lo, hi T) valueParser {
	want := strings.TrimSpace("a whole `number` " + unit)
	if hi == 0 {
		want += fmt.Sprintf(", at least %d", lo)
	} else {
		want += fmt.Sprintf(" from %d to %d", lo, hi)
	}
	return valueParser{want: want, set: func(v string) bool {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || T(n) < lo || (hi != 0 && T(n) > hi) || int64(T(n)) != n {
			return false
		}
		*p = T(n)
		return true
	}}
}

// shortDuration writes d as a user would: 720h rather than 720h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// listWords writes words as a sentence does: "a, b or c".
func listWords(words []string, conjunction string) string {
	if n := len(words); n > 1 {
		return strings.Join(words[:n-1], ", ") + " " + conjunction + " " + words[n-1]
	}
	return strings.Join(words, "")
}
