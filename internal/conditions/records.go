package conditions

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"time"

	"cel.dev/cel-go/common/functions"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/connectflo/integrations/internal/fields"
)

// Records are the CRM records a condition is evaluated against: HubSpot's properties as it
// returns them (every value a string, "" or a missing key for an empty field). A nil map is a
// record that does not exist, such as the deal of a contact without deals: all its fields
// read as empty.
type Records struct {
	Contact map[string]string
	Company map[string]string
	Deal    map[string]string
}

func (r Records) of(k objectKind) map[string]string {
	switch k {
	case objectContact:
		return r.Contact
	case objectCompany:
		return r.Company
	default:
		return r.Deal
	}
}

// FieldRead is one field an evaluation read, for the workflow UI's "why" explanation.
type FieldRead struct {
	Field string // "deal.closedate"
	Kind  fields.Kind
	Empty bool // empty in HubSpot; Value is nil
	// Raw is the value exactly as HubSpot stores it ("1000000", "2026-11-27"), "" when empty.
	Raw string
	// Value is the typed value the condition saw: string (text and single choice), float64,
	// time.Time (a date is midnight of its day in now's time zone), bool, []string; the raw
	// string when HubSpot's value could not be read as the field's kind (Eval then fails).
	Value any
}

// evaluation is the state of one Eval: the activation CEL reads variables and the late-bound
// helper functions from, and the log of fields read. It is never shared between goroutines.
type evaluation struct {
	now     time.Time
	records [numObjects]recordValue
	reads   []readEntry
}

type readEntry struct {
	spec  *fieldSpec
	val   ref.Val // the CEL value: the field's absent unknown when empty, *types.Err when unreadable
	read  FieldRead
	isBad bool
}

var _ interpreter.FunctionActivation = (*evaluation)(nil)

func (ev *evaluation) ResolveName(name string) (any, bool) {
	switch name {
	case nowVariable:
		return types.Timestamp{Time: ev.now}, true
	case objectNames[objectContact].variable:
		return &ev.records[objectContact], true
	case objectNames[objectCompany].variable:
		return &ev.records[objectCompany], true
	case objectNames[objectDeal].variable:
		return &ev.records[objectDeal], true
	}
	return nil, false
}

func (ev *evaluation) Parent() interpreter.Activation { return nil }

// ResolveFunction binds the helpers that need `now`; see functions.go.
func (ev *evaluation) ResolveFunction(name string) (functions.LateBoundOp, bool) {
	switch name {
	case fnDaysUntil:
		return ev.daysUntil, true
	case fnWithinNextDays:
		return ev.withinNextDays, true
	case fnWithinLastDays:
		return ev.withinLastDays, true
	}
	return nil, false
}

// read returns the CEL value of a field, converting the stored string once per evaluation.
func (ev *evaluation) read(r *recordValue, fs *fieldSpec) ref.Val {
	for i := range ev.reads {
		if ev.reads[i].spec == fs {
			return ev.reads[i].val
		}
	}
	raw := r.raw[fs.field.Name]
	if fs.compute != nil {
		raw = fs.compute(r.raw)
	}
	e := readEntry{spec: fs, read: FieldRead{Field: fs.path, Kind: fs.field.Kind}}
	val, native, ok, err := storedValue(fs, raw, ev.now.Location())
	switch {
	case err != nil:
		e.val, e.isBad = types.WrapErr(err), true
		e.read.Value, e.read.Raw = raw, raw
	case !ok:
		e.val, e.read.Empty = fs.absent, true
	default:
		e.val, e.read.Value, e.read.Raw = val, native, raw
	}
	ev.reads = append(ev.reads, e)
	return e.val
}

// fieldReads lists the fields read, sorted by name.
func (ev *evaluation) fieldReads() []FieldRead {
	out := make([]FieldRead, 0, len(ev.reads))
	for _, e := range ev.reads {
		if e.spec.selector != "" && slices.ContainsFunc(ev.reads, func(o readEntry) bool { return o.spec.selector == "" && o.spec.path == e.spec.path }) {
			continue // the owner read hubspot_owner_id, which the condition read as such too
		}
		out = append(out, e.read)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// emptyFieldsOf lists the empty fields whose absence made up the unknown u, sorted: each
// field's absent value carries an id of its own (newObjectSet), and CEL merges the ids of the
// unknowns an expression combines.
func (ev *evaluation) emptyFieldsOf(u *types.Unknown) []string {
	var out []string
	for _, e := range ev.reads {
		if e.read.Empty && u.Contains(e.spec.absent) {
			out = append(out, e.spec.path)
		}
	}
	sort.Strings(out)
	return slices.Compact(out) // the owner and hubspot_owner_id are one property
}

// recordValue is a CRM record as a CEL value of the object's struct type. Fields are read
// through fieldSpec.getFrom and isSet, which the provider hands to CEL.
type recordValue struct {
	spec *objectSpec
	raw  map[string]string
	ev   *evaluation
}

var _ ref.Val = (*recordValue)(nil)

func (r *recordValue) read(fs *fieldSpec) ref.Val { return r.ev.read(r, fs) }

func (r *recordValue) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("a %s record cannot be converted to %v", r.spec.variable, typeDesc)
}

func (r *recordValue) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return r.spec.celType
	}
	return types.NewErr("a %s record cannot be converted to %s", r.spec.variable, t.TypeName())
}

// Equal is identity: a record equals only itself.
func (r *recordValue) Equal(other ref.Val) ref.Val {
	o, ok := other.(*recordValue)
	return types.Bool(ok && o == r)
}

func (r *recordValue) Type() ref.Type { return r.spec.celType }

func (r *recordValue) Value() any { return r }
