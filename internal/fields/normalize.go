package fields

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/connectflo/integrations/internal/truncate"
)

// MaxStringLength is HubSpot's limit for string values, in characters.
const MaxStringLength = 65536

// ValueError is a value that a field does not accept. Its message names the field, says what
// was wrong and what is allowed.
type ValueError struct {
	Field   string
	Message string
}

func (e *ValueError) Error() string { return e.Field + ": " + e.Message }

func valueErr(f *Field, format string, args ...any) error {
	return &ValueError{Field: f.Name, Message: fmt.Sprintf(format, args...)}
}

// Normalize validates v as a value for f and returns HubSpot's form of it. v is what JSON
// decoding (or structpb's AsInterface) gives: nil, string, float64, bool, or []any. nil clears
// the property (HubSpot's empty string).
func Normalize(f *Field, v any) (string, error) {
	return normalize(f, v, nil, nil, false)
}

// normalize is Normalize with the account's owners, which an owner-typed field's value is
// resolved against (nil: ids pass through, emails are refused), the request's budget for
// suggestions, and whether an archived owner is accepted (in searches: records still name
// deactivated users).
func normalize(f *Field, v any, owners *OwnerDirectory, budget *SuggestionBudget, archivedOK bool) (string, error) {
	if f.ReadOnly {
		why := "it is read-only in HubSpot"
		if f.Calculated {
			why = "HubSpot calculates it"
		}
		return "", valueErr(f, "cannot be written: %s", why)
	}
	if v == nil {
		return "", nil
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" && f.Kind != KindString && f.Kind != KindText && f.Kind != KindHTML {
		return "", nil // an empty string clears any field, as in HubSpot
	}
	if IsOwnerField(f) {
		return normalizeOwner(f, owners, v, budget, archivedOK)
	}
	switch f.Kind {
	case KindNumber:
		return normalizeNumber(f, v)
	case KindDate:
		return normalizeDate(f, v)
	case KindDateTime:
		return normalizeDateTime(f, v)
	case KindBool:
		return normalizeBool(f, v)
	case KindSingleChoice:
		return normalizeSingleChoice(f, v)
	case KindMultipleChoice:
		return normalizeMultipleChoice(f, v)
	case KindPhone:
		return normalizePhone(f, v)
	default:
		return normalizeString(f, v)
	}
}

func describe(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(truncate.Text(v, 40))
	case float64:
		return "the number " + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return "the boolean " + strconv.FormatBool(v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

func normalizeString(f *Field, v any) (string, error) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(v)
	default:
		return "", valueErr(f, "takes text, not %s", describe(v))
	}
	if !utf8.ValidString(s) {
		return "", valueErr(f, "is not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(s); n > MaxStringLength {
		return "", valueErr(f, "is %d characters long; HubSpot allows at most %d", n, MaxStringLength)
	}
	return s, nil
}

func normalizeNumber(f *Field, v any) (string, error) {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "", valueErr(f, "takes a finite number, not %s", describe(v))
		}
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case string:
		s := strings.TrimSpace(v)
		if strings.ContainsAny(s, ",_ ") && isDecimal(strings.NewReplacer(",", "", "_", "", " ", "").Replace(s)) {
			return "", valueErr(f, "takes a number without thousands separators, e.g. 150000 or 1234.5; got %s", describe(v))
		}
		if !isDecimal(s) {
			return "", valueErr(f, "takes a number such as 150000 or -12.5 (a dot for decimals, no currency signs, no NaN or Infinity); got %s", describe(v))
		}
		s = strings.TrimPrefix(s, "+")
		if strings.ContainsAny(s, "eE") {
			x, ok := ParseNumber(s)
			if !ok {
				return "", valueErr(f, "is out of range: %s", describe(v))
			}
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		}
		// Kept as written (not parsed into a float64) so long ids and precise decimals survive.
		if strings.HasPrefix(s, ".") {
			s = "0" + s
		} else if strings.HasPrefix(s, "-.") {
			s = "-0" + s[1:]
		}
		return strings.TrimSuffix(s, "."), nil
	}
	return "", valueErr(f, "takes a number, not %s", describe(v))
}

// dateFormat is how HubSpot stores date values.
const dateFormat = "2006-01-02"

func normalizeDate(f *Field, v any) (string, error) {
	const allowed = `takes a calendar date: "2026-11-27", midnight UTC as RFC 3339 ("2026-11-27T00:00:00Z") or as epoch milliseconds`
	var t time.Time
	switch v := v.(type) {
	case string:
		s := strings.TrimSpace(v)
		if d, err := time.Parse(dateFormat, s); err == nil {
			return d.Format(dateFormat), nil
		}
		parsed, ok := ParseInstant(s)
		if !ok {
			return "", valueErr(f, "%s; got %s", allowed, describe(v))
		}
		t = parsed
	case float64:
		parsed, ok := epochMillis(v)
		if !ok {
			return "", valueErr(f, "%s; got %s", allowed, describe(v))
		}
		t = parsed
	default:
		return "", valueErr(f, "%s; got %s", allowed, describe(v))
	}
	if u := t.UTC(); u.Hour() != 0 || u.Minute() != 0 || u.Second() != 0 || u.Nanosecond() != 0 {
		return "", valueErr(f, "is a date field and HubSpot stores dates at midnight UTC; %s is %s, not midnight UTC: send the date alone, e.g. %q",
			describe(v), u.Format(time.RFC3339), u.Format(dateFormat))
	}
	return t.UTC().Format(dateFormat), nil
}

func normalizeDateTime(f *Field, v any) (string, error) {
	const allowed = `takes an instant: RFC 3339 with a time zone ("2026-11-27T14:30:00Z", "2026-11-27T15:30:00+01:00") or epoch milliseconds`
	var t time.Time
	var ok bool
	switch v := v.(type) {
	case string:
		s := strings.TrimSpace(v)
		if t, ok = ParseInstant(s); !ok {
			if d, err := time.Parse(dateFormat, s); err == nil {
				t, ok = d, true // a bare date is that day's midnight UTC
			}
		}
	case float64:
		t, ok = epochMillis(v)
	}
	if !ok {
		return "", valueErr(f, "%s; got %s", allowed, describe(v))
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z"), nil
}

// epochMillis reads a JSON number as epoch milliseconds (EpochMillis): a whole number.
func epochMillis(ms float64) (time.Time, bool) {
	if math.IsNaN(ms) || ms != math.Trunc(ms) || ms < minEpochMillis || ms > maxEpochMillis {
		return time.Time{}, false
	}
	return EpochMillis(int64(ms))
}

func normalizeBool(f *Field, v any) (string, error) {
	switch v := v.(type) {
	case bool:
		return strconv.FormatBool(v), nil
	case string:
		if b, ok := ParseBool(v); ok {
			return strconv.FormatBool(b), nil
		}
	}
	return "", valueErr(f, "takes true or false, not %s", describe(v))
}

func normalizePhone(f *Field, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", valueErr(f, "takes a phone number as text, e.g. \"+1 617 555 0100\", not %s", describe(v))
	}
	s = strings.TrimSpace(s)
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-(). /#*xX", r) || r == ' ':
		default:
			return "", valueErr(f, "takes a phone number of digits, spaces and + - ( ) . / x #, e.g. \"+1 617 555 0100\"; got %s", describe(v))
		}
	}
	if digits < 3 || len(s) > 64 {
		return "", valueErr(f, "takes a phone number of 3 to 64 characters with at least 3 digits, e.g. \"+1 617 555 0100\"; got %s", describe(v))
	}
	return s, nil
}
