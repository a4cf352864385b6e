package fields

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseStoredValues(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	at := time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC)
	type parsed struct {
		Number   float64
		NumberOK bool
		Bool     bool
		BoolOK   bool
		Date     time.Time
		DateOK   bool
		Instant  time.Time
		InstOK   bool
	}
	read := func(raw string) parsed {
		var p parsed
		p.Number, p.NumberOK = ParseNumber(raw)
		p.Bool, p.BoolOK = ParseBool(raw)
		p.Date, p.DateOK = ParseDate(raw)
		p.Instant, p.InstOK = ParseDateTime(raw)
		return p
	}
	cases := []struct {
		name string
		raw  string
		want parsed
	}{
		{"integer", "1000000", parsed{Number: 1e6, NumberOK: true, Date: day(1970, 1, 1), DateOK: true, Instant: time.UnixMilli(1e6).UTC(), InstOK: true}},
		{"decimal", "12500.5", parsed{Number: 12500.5, NumberOK: true}},
		{"negative", "-12.5", parsed{Number: -12.5, NumberOK: true}},
		{"exponent", "1e6", parsed{Number: 1e6, NumberOK: true}},
		{"spaces around a number", " 42 ", parsed{Number: 42, NumberOK: true, Date: day(1970, 1, 1), DateOK: true, Instant: time.UnixMilli(42).UTC(), InstOK: true}},
		{"thousands separators", "1,000", parsed{}},
		{"hex is not a HubSpot number", "0x10", parsed{}},
		{"NaN", "NaN", parsed{}},
		{"overflow", "1e400", parsed{}},
		{"true", "true", parsed{Bool: true, BoolOK: true}},
		{"FALSE in capitals", " FALSE ", parsed{BoolOK: true}},
		{"1 is a number, not a boolean", "1", parsed{Number: 1, NumberOK: true, Date: day(1970, 1, 1), DateOK: true, Instant: time.UnixMilli(1).UTC(), InstOK: true}},
		{"date", "2026-11-27", parsed{Date: day(2026, 11, 27), DateOK: true, Instant: day(2026, 11, 27), InstOK: true}},
		{"datetime ISO", "2026-11-27T14:30:00.000Z", parsed{Date: day(2026, 11, 27), DateOK: true, Instant: at, InstOK: true}},
		{"datetime with an offset", "2026-11-27T15:30:00+01:00", parsed{Date: day(2026, 11, 27), DateOK: true, Instant: at, InstOK: true}},
		{"datetime epoch millis", "1795789800000", parsed{Number: 1795789800000, NumberOK: true, Date: day(2026, 11, 27), DateOK: true, Instant: at, InstOK: true}},
		{"epoch millis past 9999", "253402300800000", parsed{Number: 253402300800000, NumberOK: true}},
		{"epoch millis before 1900", "-2208988800001", parsed{Number: -2208988800001, NumberOK: true}},
		{"not a date", "2026-13-01", parsed{}},
		{"empty", "", parsed{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, read(tc.raw)); diff != "" {
				t.Errorf("reading %q (-want +got):\n%s", tc.raw, diff)
			}
		})
	}
}

func TestSplitChoices(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string][]string{
		"a;b": {"a", "b"}, " a ; ;b;": {"a", "b"}, ";": nil, "": nil, "single": {"single"},
	} {
		if diff := cmp.Diff(want, SplitChoices(raw)); diff != "" {
			t.Errorf("SplitChoices(%q) (-want +got):\n%s", raw, diff)
		}
	}
}

// FuzzParseStored checks the readers' promises on any input: numbers are finite, instants
// are in UTC within year 9999 (epoch milliseconds within years 1900–9999) and dates are
// midnight UTC.
func FuzzParseStored(f *testing.F) {
	for _, s := range []string{"1000000", "-1.5e3", "2026-11-27", "2026-11-27T14:30:00Z", "1795789800000", "true", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if isDecimal(raw) != decimalGrammar.MatchString(raw) {
			t.Errorf("isDecimal(%q) = %v, unlike the grammar", raw, isDecimal(raw))
		}
		if x, ok := ParseNumber(raw); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
			t.Errorf("ParseNumber(%q) = %v", raw, x)
		}
		if ts, ok := ParseDateTime(raw); ok && (ts.Location() != time.UTC || ts.Year() > 9999) {
			t.Errorf("ParseDateTime(%q) = %v, not UTC or after year 9999", raw, ts)
		}
		if ms, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64); err == nil {
			if _, ok := ParseInstant(raw); ok != (ms >= minEpochMillis && ms <= maxEpochMillis) {
				t.Errorf("ParseInstant(%q) ok = %v; epoch milliseconds are read within years 1900–9999 only", raw, ok)
			}
		}
		if d, ok := ParseDate(raw); ok && (d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0) {
			t.Errorf("ParseDate(%q) = %v, not midnight UTC", raw, d)
		}
	})
}

// decimalGrammar is the regular expression isDecimal implements.
var decimalGrammar = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)

// TestIsDecimal pins the scan to the grammar it replaced, ^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$.
func TestIsDecimal(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"0", "42", "-12.5", "+3", ".5", "5.", "-.5", "1e6", "1E+06", "2.5e-3", "", "+", "-", ".", "e5", "1e", "1e+",
		"1.2.3", "1,000", "1_000", "0x10", "NaN", "Inf", " 1", "1 ", "--1", "1e5.5", "１"} {
		if got, want := isDecimal(s), decimalGrammar.MatchString(s); got != want {
			t.Errorf("isDecimal(%q) = %v; the grammar says %v", s, got, want)
		}
	}
}
