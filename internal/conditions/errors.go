package conditions

import (
	"errors"
	"fmt"
	"strings"

	"cel.dev/cel-go/common/ast"
)

// ConditionError is a condition that does not compile. It lists every problem found, each
// placed in the expression so the editor can underline it.
type ConditionError struct {
	Expression string
	Issues     []Issue
}

func (e *ConditionError) Error() string {
	parts := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		parts[i] = is.String()
	}
	return "invalid condition: " + strings.Join(parts, "; ")
}

// Issue is one problem in a condition.
type Issue struct {
	Code    IssueCode
	Message string
	// Line and Column are 1-based and count characters (Unicode code points); Offset is the
	// 0-based character offset of the same place from the start of the expression.
	Line, Column, Offset int
}

func (is Issue) String() string {
	return fmt.Sprintf("%d:%d: %s", is.Line, is.Column, is.Message)
}

// IssueCode classifies an issue for the RPC layer's error reason.
type IssueCode string

// The issue codes.
const (
	CodeSyntax          IssueCode = "SYNTAX"
	CodeTooLong         IssueCode = "TOO_LONG"
	CodeUnknownName     IssueCode = "UNKNOWN_NAME"
	CodeUnknownField    IssueCode = "UNKNOWN_FIELD"
	CodeUnknownOption   IssueCode = "UNKNOWN_OPTION"
	CodeEmptyComparison IssueCode = "EMPTY_COMPARISON"
	CodeTypeMismatch    IssueCode = "TYPE_MISMATCH"
	CodeNotBool         IssueCode = "NOT_BOOL"
	CodeTooCostly       IssueCode = "TOO_COSTLY"
	CodeInvalid         IssueCode = "INVALID" // anything else CEL refuses, e.g. a bad regular expression
)

// IssueCodes is every IssueCode, for the RPC layer to check that each has its reason.
var IssueCodes = []IssueCode{CodeSyntax, CodeTooLong, CodeUnknownName, CodeUnknownField, CodeUnknownOption,
	CodeEmptyComparison, CodeTypeMismatch, CodeNotBool, CodeTooCostly, CodeInvalid}

// Evaluation errors other than BadValueError.
var (
	// ErrTimeout is an evaluation that ran past Limits.Timeout.
	ErrTimeout = errors.New("the condition took too long to evaluate")
	// ErrTooCostly is an evaluation that spent more than Limits.MaxCost.
	ErrTooCostly = errors.New("the condition cost more to evaluate than its limit allows")
)

// positions turns CEL's locations into Issue positions. CEL counts offsets in code points, as
// Issue does.
type positions struct {
	info  *ast.SourceInfo
	runes []rune
}

// at places an issue at a 0-based character offset.
func (p positions) at(code IssueCode, offset int, format string, args ...any) Issue {
	offset = max(0, min(offset, len(p.runes)))
	line, col := 1, 1
	for _, r := range p.runes[:offset] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return Issue{Code: code, Message: fmt.Sprintf(format, args...), Line: line, Column: col, Offset: offset}
}

// atExpr places an issue at the start of an expression node.
func (p positions) atExpr(code IssueCode, id int64, format string, args ...any) Issue {
	offset := 0
	if p.info != nil {
		if r, ok := p.info.GetOffsetRange(id); ok {
			offset = int(r.Start)
		}
	}
	return p.at(code, offset, format, args...)
}

// atLineColumn places an issue at CEL's 1-based line and 0-based column.
func (p positions) atLineColumn(code IssueCode, line, column int, format string, args ...any) Issue {
	offset, l := 0, 1
	for offset < len(p.runes) && l < line {
		if p.runes[offset] == '\n' {
			l++
		}
		offset++
	}
	return p.at(code, offset+max(0, column), format, args...)
}

// atFieldName places an issue on the field name of a selection `object.field`. CEL places a
// selection at its dot; the name follows it, after any spaces or a backquote.
func (p positions) atFieldName(code IssueCode, id int64, format string, args ...any) Issue {
	offset := 0
	if p.info != nil {
		if r, ok := p.info.GetOffsetRange(id); ok {
			offset = int(r.Start)
		}
	}
	if offset < len(p.runes) && p.runes[offset] == '.' {
		offset++
		for offset < len(p.runes) && strings.ContainsRune(" \t\r\n`", p.runes[offset]) {
			offset++
		}
	}
	return p.at(code, offset, format, args...)
}
