package conditions

import (
	"fmt"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/connectflo/integrations/internal/fields"

	"github.com/connectflo/integrations/internal/truncate"
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
	raw := truncate.Text(e.Raw, 40)
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
	if fs.selector != "" { // the record's owner: the one whose id HubSpot holds
		v, err := fs.ownerOf(raw)
		return v, raw, err == nil, err
	}
	switch fs.field.Kind {
	case fields.KindNumber:
		x, nok := fields.ParseNumber(raw)
		if !nok {
			return bad()
		}
		return types.Double(x), x, true, nil
	case fields.KindDate:
		d, dok := fields.ParseDate(raw)
		if !dok {
			return bad()
		}
		// The day HubSpot stores, as midnight in loc: calendar arithmetic counts local days.
		d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		return types.Timestamp{Time: d}, d, true, nil
	case fields.KindDateTime:
		t, tok := fields.ParseDateTime(raw)
		if !tok {
			return bad()
		}
		return types.Timestamp{Time: t}, t, true, nil
	case fields.KindBool:
		b, bok := fields.ParseBool(raw)
		if !bok {
			return bad()
		}
		return types.Bool(b), b, true, nil
	case fields.KindMultipleChoice:
		items := fields.SplitChoices(raw)
		if len(items) == 0 {
			return nil, nil, false, nil // ";" alone is no option chosen: empty
		}
		return types.NewStringList(types.DefaultTypeAdapter, items), items, true, nil
	default:
		return types.String(raw), raw, true, nil
	}
}
