package fields

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The readers of HubSpot's stored values. HubSpot sends every property value as a string;
// these are the one place in the service that reads such a string as a number, a boolean, a
// date, an instant or a list of options: the record views (GetRecord, SearchRecords), the
// condition evaluator, the HubSpot client's timestamps and Normalize's own parsing of caller
// input all call them, so a value reads the same wherever it is read. Surrounding spaces are
// ignored everywhere; each returns ok false for a string that is not of its kind, never a
// guess.

// isDecimal reports whether s is a decimal number as HubSpot stores and accepts it: digits
// with an optional sign, fraction and exponent ("-12.5", ".5", "1e6"); no thousands
// separators, hex, NaN or Infinity. A scan, not a regular expression: every number a
// condition reads passes through it.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	mantissa := digits()
	if i < len(s) && s[i] == '.' {
		i++
		mantissa += digits()
	}
	if mantissa == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// Epoch milliseconds accepted as instants: years 1900 to 9999, the range HubSpot's date
// pickers and RFC 3339 share. A number outside it is far more likely an id or an amount in
// a time field than a time.
const (
	minEpochMillis = -2208988800000  // 1900-01-01T00:00:00Z
	maxEpochMillis = 253402300799999 // 9999-12-31T23:59:59.999Z
)

// ParseNumber reads a stored number ("1000000", "-12.5", "1e6") as a finite float64.
func ParseNumber(raw string) (float64, bool) {
	s := strings.TrimSpace(raw)
	if !isDecimal(s) {
		return 0, false
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, false
	}
	return x, true
}

// ParseBool reads a stored boolean: "true" or "false", in any case.
func ParseBool(raw string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// ParseInstant reads an instant: RFC 3339 with a time zone ("2026-11-27T14:30:00.000Z") or
// epoch milliseconds ("1795876200000") within years 1900–9999. The result is in UTC.
func ParseInstant(raw string) (time.Time, bool) {
	s := strings.TrimSpace(raw)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return EpochMillis(ms)
	}
	return time.Time{}, false
}

// EpochMillis is the instant ms milliseconds after the Unix epoch, in UTC, when it falls
// within years 1900–9999.
func EpochMillis(ms int64) (time.Time, bool) {
	if ms < minEpochMillis || ms > maxEpochMillis {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// ParseDate reads a stored date: "2026-11-27", or an instant (RFC 3339 or epoch
// milliseconds, which is how HubSpot sends a date as midnight UTC) whose UTC calendar day is
// the date. The result is that day's midnight UTC.
func ParseDate(raw string) (time.Time, bool) {
	s := strings.TrimSpace(raw)
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, true
	}
	t, ok := ParseInstant(s)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
}

// ParseDateTime reads a stored datetime: an instant (ParseInstant), or a bare date, which is
// that day's midnight UTC (Normalize accepts it for a datetime field).
func ParseDateTime(raw string) (time.Time, bool) {
	if t, ok := ParseInstant(raw); ok {
		return t, true
	}
	if d, err := time.Parse(time.DateOnly, strings.TrimSpace(raw)); err == nil {
		return d, true
	}
	return time.Time{}, false
}

// SplitChoices reads a stored multiple-choice value: option values joined with ";". Empty
// items are dropped, so ";" alone is no option chosen (nil).
func SplitChoices(raw string) []string {
	var items []string
	for it := range strings.SplitSeq(raw, ";") {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	return items
}
