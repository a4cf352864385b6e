package conditions

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/connectflo/integrations/internal/fields"
)

// BadValueError is a value stored in HubSpot that cannot be read as its field's kind (a number
// field holding "n/a", say). Evaluation fails rather than guess, because a guess would
// silently decide the workflow's branch.
type BadValueError struct {
	Field string // "company.annualrevenue"
	Kind  fields.Kind
	Raw   string
}

func (e *BadValueError) Error() string {
	raw := e.Raw
	if len(raw) > 40 {
		raw = raw[:40] + "…"
	}
	return fmt.Sprintf("%s is a %s field but HubSpot holds %q for it, which is not %s",
		e.Field, e.Kind, raw, kindExample[e.Kind])
}

var kindExample = map[fields.Kind]string{
	fields.KindNumber:   "a number",
	fields.KindDate:     `a date such as "2026-11-27" or epoch milliseconds`,
	fields.KindDateTime: `an instant such as "2026-11-27T14:30:00.000Z" or epoch milliseconds`,
	fields.KindBool:     `"true" or "false"`,
}

// storedValue converts HubSpot's stored string for fs into the CEL value the condition sees
// and the Go value reported in Result.Reads. ok is false when the field is empty. Dates
// become midnight of that day in loc, the time zone of `now`, so that calendar arithmetic
// (daysUntil, comparisons with now) counts the days the workflow author sees.
func storedValue(fs *fieldSpec, raw string, loc *time.Location) (val ref.Val, native any, ok bool, err error) {
	if raw == "" {
		return nil, nil, false, nil
	}
	bad := func() (ref.Val, any, bool, error) {
		return nil, nil, false, &BadValueError{Field: fs.path, Kind: fs.field.Kind, Raw: raw}
	}
	switch fs.field.Kind {
	case fields.KindNumber:
		x, perr := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if perr != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return bad()
		}
		return types.Double(x), x, true, nil
	case fields.KindDate:
		d, dok := parseStoredDate(raw, loc)
		if !dok {
			return bad()
		}
		return types.Timestamp{Time: d}, d, true, nil
	case fields.KindDateTime:
		t, tok := parseStoredInstant(raw)
		if !tok {
			return bad()
		}
		return types.Timestamp{Time: t}, t, true, nil
	case fields.KindBool:
		switch strings.ToLower(strings.TrimSpace(raw)) {
		case "true":
			return types.True, true, true, nil
		case "false":
			return types.False, false, true, nil
		}
		return bad()
	case fields.KindMultipleChoice:
		var items []string
		for it := range strings.SplitSeq(raw, ";") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		if len(items) == 0 {
			return nil, nil, false, nil // ";" alone is no option chosen: empty
		}
		return types.NewStringList(types.DefaultTypeAdapter, items), items, true, nil
	default:
		return types.String(raw), raw, true, nil
	}
}

// parseStoredDate reads a HubSpot date: "2026-11-27", or an instant at midnight UTC (as
// RFC 3339 or epoch milliseconds) whose UTC calendar day is the date.
func parseStoredDate(raw string, loc *time.Location) (time.Time, bool) {
	s := strings.TrimSpace(raw)
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t, ok := parseStoredInstant(s)
		if !ok {
			return time.Time{}, false
		}
		d = t.UTC()
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc), true
}

// parseStoredInstant reads a HubSpot datetime: RFC 3339, epoch milliseconds, or a bare date
// (that day's midnight UTC, as fields.Normalize writes it).
func parseStoredInstant(raw string) (time.Time, bool) {
	s := strings.TrimSpace(raw)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		const lo, hi = -2208988800000, 253402300799999 // years 1900–9999
		if ms < lo || ms > hi {
			return time.Time{}, false
		}
		return time.UnixMilli(ms).UTC(), true
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, true
	}
	return time.Time{}, false
}
