package conditions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"
)

// Result is the outcome of one evaluation.
type Result struct {
	// Matched is whether the condition holds.
	Matched bool
	// DependsOnEmpty is true when the condition's value depended on a field that is empty in
	// HubSpot; Matched is then false (see the package doc): "unknown", not "false".
	DependsOnEmpty bool
	// EmptyFields are the empty fields the value depended on, sorted ("contact.lifecyclestage"),
	// when DependsOnEmpty; empty fields the value did not depend on (skipped by && or ||) are
	// not listed.
	EmptyFields []string
	// Reads are the fields the evaluation read, sorted by field, for explaining the outcome.
	// Fields skipped by && and || short-circuits are not read.
	Reads []FieldRead
}

// EvalError is a condition that compiled but failed on these records for a reason of its own
// making, such as an integer division by zero.
type EvalError struct {
	Message string
}

func (e *EvalError) Error() string { return "the condition failed: " + e.Message }

// Eval evaluates the condition against records at time now. now's time zone is the one
// calendar days are counted in (daysUntil, withinNextDays, dates): pass the workspace's.
// Errors are *BadValueError, *EvalError, ErrTimeout, ErrTooCostly, or ctx's error.
func (p *Program) Eval(ctx context.Context, records Records, now time.Time) (Result, error) {
	if now.IsZero() {
		return Result{}, errors.New("conditions: Eval needs the current time")
	}
	ev := &evaluation{now: now}
	for k := range numObjects {
		ev.records[k] = recordValue{spec: p.objects[k], raw: records.of(k), ev: ev}
	}
	evalCtx, cancel := context.WithTimeout(ctx, p.limits.Timeout)
	defer cancel()
	val, _, err := p.prg.ContextEval(evalCtx, ev)
	if err != nil {
		return Result{Reads: ev.fieldReads()}, p.evalError(ctx, err)
	}
	res := Result{Reads: ev.fieldReads()}
	switch v := val.(type) {
	case types.Bool:
		res.Matched = bool(v)
	case *types.Unknown:
		res.DependsOnEmpty, res.EmptyFields = true, ev.emptyFieldsOf(v)
	default:
		return res, &EvalError{Message: fmt.Sprintf("it gave %v instead of true or false", val)}
	}
	return res, nil
}

func (p *Program) evalError(ctx context.Context, err error) error {
	var bad *BadValueError
	if errors.As(err, &bad) {
		return bad
	}
	var cancelled interpreter.EvalCancelledError
	if errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded {
		return fmt.Errorf("%w (%d units)", ErrTooCostly, p.limits.MaxCost)
	}
	if errors.Is(err, interpreter.InterruptError{}) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if ctx.Err() != nil {
			return ctx.Err() // the caller gave up, not the condition
		}
		return fmt.Errorf("%w (%v)", ErrTimeout, p.limits.Timeout)
	}
	return &EvalError{Message: err.Error()}
}
