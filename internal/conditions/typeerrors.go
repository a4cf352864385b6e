package conditions

import (
	"fmt"
	"regexp"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"

	"github.com/connectflo/integrations/internal/fields"
)

// CEL's checker speaks of overloads and type names; these patterns find what a workflow author
// needs to hear instead.
var (
	noOverloadPattern = regexp.MustCompile(`^found no matching overload for '([^']+)' applied to '\((.*)\)'`)
	undeclaredPattern = regexp.MustCompile(`^undeclared reference to '([^']+)'`)
)

// operatorNames are CEL's internal operator function names as written in an expression.
var operatorNames = map[string]string{
	operators.Equals: "==", operators.NotEquals: "!=", operators.Less: "<", operators.LessEquals: "<=",
	operators.Greater: ">", operators.GreaterEquals: ">=", operators.Add: "+", operators.Subtract: "-",
	operators.Multiply: "*", operators.Divide: "/", operators.Modulo: "%", operators.In: "in",
	operators.LogicalAnd: "&&", operators.LogicalOr: "||", operators.LogicalNot: "!",
	operators.Negate: "-", operators.Index: "[]", operators.Conditional: "?:",
}

// helperParams describe the helpers' parameters for error messages.
var helperParams = map[string][]helperParam{
	fnDaysUntil:      {{"a date or datetime (a timestamp)", types.TimestampType}},
	fnWithinNextDays: {{"a date or datetime (a timestamp)", types.TimestampType}, {"a whole number of days", types.IntType}},
	fnWithinLastDays: {{"a date or datetime (a timestamp)", types.TimestampType}, {"a whole number of days", types.IntType}},
	fnHasAny:         {{"a multiple-choice field", listOfStrings}, {"a list of options", listOfStrings}},
	fnHasAll:         {{"a multiple-choice field", listOfStrings}, {"a list of options", listOfStrings}},
}

type helperParam struct {
	desc string
	typ  *types.Type
}

var listOfStrings = types.NewListType(types.StringType)

var ordinals = []string{"first", "second"}

// typeIssue rewrites one checker error for a workflow author, using the node it is about.
func (c *compilation) typeIssue(e *cel.Error) Issue {
	if m := undeclaredPattern.FindStringSubmatch(e.Message); m != nil {
		return c.pos.atExpr(CodeUnknownName, e.ExprID,
			"unknown name '%s'; a condition can read contact, company, deal and now, and call CEL's functions and daysUntil, withinNextDays, withinLastDays, hasAny and hasAll", m[1])
	}
	m := noOverloadPattern.FindStringSubmatch(e.Message)
	if m == nil {
		return c.pos.atLineColumn(CodeTypeMismatch, e.Location.Line(), e.Location.Column(), "%s", e.Message)
	}
	fn, argTypes := m[1], prettyTypes(m[2])
	if node := c.nodes[e.ExprID]; node != nil && node.Kind() == ast.CallKind {
		if msg := c.explainCall(node.AsCall()); msg != "" {
			return c.pos.atLineColumn(CodeTypeMismatch, e.Location.Line(), e.Location.Column(), "%s", msg)
		}
	}
	if op, ok := operatorNames[fn]; ok {
		return c.pos.atLineColumn(CodeTypeMismatch, e.Location.Line(), e.Location.Column(),
			"'%s' cannot be applied to (%s)", op, argTypes)
	}
	return c.pos.atLineColumn(CodeTypeMismatch, e.Location.Line(), e.Location.Column(),
		"%s cannot be called with (%s)", fn, argTypes)
}

// explainCall says what is wrong with a call whose operands are fields or literals, or ""
// when it cannot tell better than the generic message.
func (c *compilation) explainCall(call ast.CallExpr) string {
	args := call.Args()
	if params, ok := helperParams[call.FunctionName()]; ok && len(params) == len(args) {
		return c.explainHelperCall(call.FunctionName(), params, args)
	}
	if call.FunctionName() == operators.Index && len(args) == 2 && args[0].Kind() == ast.IdentKind {
		if _, isObject := c.objects.byVariable(args[0].AsIdent()); isObject {
			return fmt.Sprintf("read a field with a dot, as in %s.fieldname; a record cannot be indexed with []", args[0].AsIdent())
		}
	}
	op, isOperator := operatorNames[call.FunctionName()]
	if !isOperator || len(args) != 2 || call.IsMemberFunction() {
		return ""
	}
	lf, rf := c.analysis.selects[args[0].ID()], c.analysis.selects[args[1].ID()]
	lt, rt := c.simpleType(args[0]), c.simpleType(args[1])
	switch {
	case lf != nil && rf != nil:
		return fmt.Sprintf("%s is %s and %s is %s: '%s' cannot combine them",
			lf.field.Name, kindNoun(lf.field.Kind), rf.field.Name, kindNoun(rf.field.Kind), op)
	case lf != nil && rt != nil:
		return fieldMismatch(lf, rt)
	case rf != nil && lt != nil:
		return fieldMismatch(rf, lt)
	case lt != nil && rt != nil:
		return fmt.Sprintf("'%s' cannot be applied to %s and %s", op, typeNoun(lt), typeNoun(rt))
	}
	return ""
}

// explainHelperCall names the first argument of a helper call that has the wrong type.
func (c *compilation) explainHelperCall(fn string, params []helperParam, args []ast.Expr) string {
	for i, arg := range args {
		t := c.simpleType(arg)
		if t == nil || params[i].typ.IsAssignableType(t) {
			continue
		}
		which := "argument"
		if len(params) > 1 {
			which = ordinals[i] + " argument"
		}
		if fs := c.analysis.selects[arg.ID()]; fs != nil {
			return fmt.Sprintf("%s's %s must be %s, but %s is %s", fn, which, params[i].desc, fs.field.Name, kindNoun(fs.field.Kind))
		}
		return fmt.Sprintf("%s's %s must be %s, not %s", fn, which, params[i].desc, typeNoun(t))
	}
	return ""
}

// fieldMismatch is "annualrevenue is a number, not a string: compare it with …".
func fieldMismatch(fs *fieldSpec, other *types.Type) string {
	return fmt.Sprintf("%s is %s, not %s: %s", fs.field.Name, kindNoun(fs.field.Kind), typeNoun(other), kindHint(fs))
}

// simpleType is the type of an operand whose type is plain from its shape, or nil.
func (c *compilation) simpleType(e ast.Expr) *types.Type {
	switch e.Kind() {
	case ast.LiteralKind:
		t, _ := e.AsLiteral().Type().(*types.Type)
		return t
	case ast.SelectKind:
		if fs := c.analysis.selects[e.ID()]; fs != nil {
			return fs.celType
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			if el.Kind() != ast.LiteralKind || el.AsLiteral().Type() != types.StringType {
				return nil
			}
		}
		return listOfStrings
	case ast.IdentKind:
		if e.AsIdent() == nowVariable {
			return types.TimestampType
		}
	case ast.CallKind:
		switch e.AsCall().FunctionName() {
		case fnDaysUntil, "size":
			return types.IntType
		case fnWithinNextDays, fnWithinLastDays, fnHasAny, fnHasAll:
			return types.BoolType
		case "timestamp":
			return types.TimestampType
		case "duration":
			return types.DurationType
		}
	}
	return nil
}

// kindNoun names a field kind for an author: "a number", "a date".
func kindNoun(k fields.Kind) string {
	switch k {
	case fields.KindNumber:
		return "a number"
	case fields.KindDate:
		return "a date"
	case fields.KindDateTime:
		return "a date and time"
	case fields.KindBool:
		return "a bool"
	case fields.KindSingleChoice:
		return "a choice field"
	case fields.KindMultipleChoice:
		return "a multiple-choice field (a list of options)"
	default:
		return "a string"
	}
}

// kindHint says what a field of that kind can be compared with.
func kindHint(fs *fieldSpec) string {
	switch fs.field.Kind {
	case fields.KindNumber:
		return "compare it with a number such as 100000"
	case fields.KindDate, fields.KindDateTime:
		return `compare it with now or timestamp("2026-11-27T00:00:00Z"), or use daysUntil, withinNextDays or withinLastDays`
	case fields.KindBool:
		return "compare it with true or false, without quotes"
	case fields.KindSingleChoice:
		return "compare it with one of its options in quotes, e.g. " + exampleOption(fs)
	case fields.KindMultipleChoice:
		return fmt.Sprintf("test an option with %s in %s, or use hasAny(%s, [...])", exampleOption(fs), fs.path, fs.path)
	default:
		return "compare it with text in quotes"
	}
}

func exampleOption(fs *fieldSpec) string {
	if len(fs.field.Options) == 0 {
		return `"value"`
	}
	return fmt.Sprintf("%q", fs.field.Options[0].Value)
}

// typeNoun names a CEL type for an author.
func typeNoun(t *types.Type) string {
	switch t.Kind() {
	case types.StringKind:
		return "a string"
	case types.DoubleKind:
		return "a number"
	case types.IntKind:
		return "an integer"
	case types.UintKind:
		return "an unsigned integer"
	case types.BoolKind:
		return "a bool"
	case types.TimestampKind:
		return "a timestamp"
	case types.DurationKind:
		return "a duration"
	case types.NullTypeKind:
		return "null"
	case types.BytesKind:
		return "bytes"
	case types.ListKind:
		return "a list"
	case types.MapKind:
		return "a map"
	case types.StructKind:
		for _, n := range objectNames {
			if n.typeName == t.TypeName() {
				return "a " + n.variable + " record"
			}
		}
	}
	return prettyTypes(t.String())
}

// prettyTypes renames CEL's type names in a type list for an author.
func prettyTypes(s string) string {
	r := strings.NewReplacer("google.protobuf.Timestamp", "timestamp", "google.protobuf.Duration", "duration",
		"double", "number", "hubspot.Contact", "contact", "hubspot.Company", "company", "hubspot.Deal", "deal")
	return r.Replace(s)
}
