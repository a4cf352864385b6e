package conditions

import (
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// The helper functions conditions may call besides CEL's standard library.
const (
	fnDaysUntil      = "daysUntil"
	fnWithinNextDays = "withinNextDays"
	fnWithinLastDays = "withinLastDays"
	fnHasAny         = "hasAny"
	fnHasAll         = "hasAll"
)

// helperDeclarations declares the helpers. The date helpers count calendar days from `now`,
// which differs per evaluation, so their implementations are bound late, per evaluation, by
// evaluation.ResolveFunction; the list helpers are pure and bound here.
func helperDeclarations() []cel.EnvOption {
	ts, i, b := cel.TimestampType, cel.IntType, cel.BoolType
	strings := cel.ListType(cel.StringType)
	return []cel.EnvOption{
		cel.Function(fnDaysUntil,
			cel.Overload("daysUntil_timestamp", []*cel.Type{ts}, i, cel.LateFunctionBinding())),
		cel.Function(fnWithinNextDays,
			cel.Overload("withinNextDays_timestamp_int", []*cel.Type{ts, i}, b, cel.LateFunctionBinding())),
		cel.Function(fnWithinLastDays,
			cel.Overload("withinLastDays_timestamp_int", []*cel.Type{ts, i}, b, cel.LateFunctionBinding())),
		cel.Function(fnHasAny,
			cel.Overload("hasAny_list_list", []*cel.Type{strings, strings}, b,
				cel.BinaryBinding(func(have, want ref.Val) ref.Val { return listOverlap(have, want, false) }))),
		cel.Function(fnHasAll,
			cel.Overload("hasAll_list_list", []*cel.Type{strings, strings}, b,
				cel.BinaryBinding(func(have, want ref.Val) ref.Val { return listOverlap(have, want, true) }))),
	}
}

// calendarDaysUntil counts the calendar days from now's day to t's day, both taken in now's
// time zone: 0 for later today (or earlier today), 1 for tomorrow, -1 for yesterday.
func calendarDaysUntil(now, t time.Time) int64 {
	loc := now.Location()
	a, b := now.In(loc), t.In(loc)
	// Midnights in UTC have no DST gaps, so their distance is a whole number of days.
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC).Unix()
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC).Unix()
	return (db - da) / 86400
}

// lateArgs unpacks a late-bound call's arguments. CEL does not call a function with an
// unknown (empty field) or error argument, but a late binding is checked here anyway: the
// result must then be that argument, so the empty-field rule still holds.
func lateArgs(args []ref.Val, n int) (ref.Val, bool) {
	if len(args) != n {
		return types.NewErr("expected %d arguments, got %d", n, len(args)), false
	}
	for _, a := range args {
		if types.IsUnknownOrError(a) {
			return a, false
		}
	}
	return nil, true
}

func (ev *evaluation) daysUntil(_ string, args ...ref.Val) ref.Val {
	if bad, ok := lateArgs(args, 1); !ok {
		return bad
	}
	t, ok := args[0].(types.Timestamp)
	if !ok {
		return types.MaybeNoSuchOverloadErr(args[0])
	}
	return types.Int(calendarDaysUntil(ev.now, t.Time))
}

// withinNextDays is true when t falls today or on one of the next n calendar days, including
// the whole of the n-th day: 0 <= daysUntil(t) <= n.
func (ev *evaluation) withinNextDays(_ string, args ...ref.Val) ref.Val {
	return ev.withinDays(args, false)
}

// withinLastDays is true when t fell today or on one of the previous n calendar days:
// -n <= daysUntil(t) <= 0.
func (ev *evaluation) withinLastDays(_ string, args ...ref.Val) ref.Val {
	return ev.withinDays(args, true)
}

func (ev *evaluation) withinDays(args []ref.Val, past bool) ref.Val {
	if bad, ok := lateArgs(args, 2); !ok {
		return bad
	}
	t, ok := args[0].(types.Timestamp)
	n, ok2 := args[1].(types.Int)
	if !ok || !ok2 {
		return types.MaybeNoSuchOverloadErr(args[0])
	}
	d := calendarDaysUntil(ev.now, t.Time)
	if past {
		d = -d
	}
	return types.Bool(d >= 0 && d <= int64(n))
}

// listOverlap reports whether have contains any (or, with all, every) element of want.
func listOverlap(have, want ref.Val, all bool) ref.Val {
	h, ok := have.(traits.Lister)
	w, ok2 := want.(traits.Lister)
	if !ok || !ok2 {
		return types.MaybeNoSuchOverloadErr(have)
	}
	for it := w.Iterator(); it.HasNext() == types.True; {
		found := h.Contains(it.Next()) == types.True
		if found && !all {
			return types.True
		}
		if !found && all {
			return types.False
		}
	}
	return types.Bool(all)
}
