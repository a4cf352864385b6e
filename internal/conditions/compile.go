package conditions

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"

	"github.com/connectflo/integrations/internal/fields"
)

// Schema keys: the object types Compile looks up in its schemas map.
const (
	SchemaContacts  = "contacts"
	SchemaCompanies = "companies"
	SchemaDeals     = "deals"
)

// SchemaVersions are the versions of the schemas a program was compiled against; 0 for a
// schema that was not given.
type SchemaVersions struct {
	Contacts, Companies, Deals int64
}

func versionsOf(schemas map[string]*fields.Schema) SchemaVersions {
	v := func(key string) int64 {
		if s := schemas[key]; s != nil {
			return s.Version
		}
		return 0
	}
	return SchemaVersions{Contacts: v(SchemaContacts), Companies: v(SchemaCompanies), Deals: v(SchemaDeals)}
}

// Program is a compiled condition, safe for concurrent use.
type Program struct {
	expression   string
	fields       []string
	versions     SchemaVersions
	translations []Translation
	limits       Limits
	objects      *objectSet
	prg          cel.Program
}

// Expression is the condition as written.
func (p *Program) Expression() string { return p.expression }

// Fields lists the fields the condition can read, as "object.field", sorted: the properties
// to fetch from HubSpot before Eval.
func (p *Program) Fields() []string { return append([]string(nil), p.fields...) }

// SchemaVersions are the schema versions the program was compiled against.
func (p *Program) SchemaVersions() SchemaVersions { return p.versions }

// Translations lists the option labels that were replaced by their values.
func (p *Program) Translations() []Translation { return append([]Translation(nil), p.translations...) }

// compilation is the state of one Compile.
type compilation struct {
	expression string
	limits     Limits
	objects    *objectSet
	env        *cel.Env
	pos        positions
	analysis   *analyzer
	nodes      map[int64]ast.Expr
}

// Compile type-checks a condition against the schemas, keyed by object type ("contacts",
// "companies", "deals"; a missing one leaves that object without fields). It returns a
// *ConditionError describing every problem an author can fix, or another error only when the
// environment itself cannot be built.
func Compile(schemas map[string]*fields.Schema, expression string, opts Limits) (*Program, error) {
	c := &compilation{expression: expression, limits: opts.withDefaults(), objects: newObjectSet(schemas)}
	c.pos = positions{runes: []rune(expression)}
	if is, ok := c.checkText(); !ok {
		return nil, c.fail(is)
	}
	env, err := newEnv(c.objects, c.limits)
	if err != nil {
		return nil, err
	}
	c.env = env
	parsed, iss := env.Parse(expression)
	if iss.Err() != nil {
		var out []Issue
		for _, e := range iss.Errors() {
			out = append(out, c.pos.atLineColumn(CodeSyntax, e.Location.Line(), e.Location.Column(), "%s", syntaxMessage(e.Message)))
		}
		return nil, c.fail(out...)
	}
	c.pos.info = parsed.NativeRep().SourceInfo()
	c.analysis = newAnalyzer(c.objects, c.pos, ast.MaxID(parsed.NativeRep()))
	c.analysis.walk(parsed.NativeRep().Expr(), nil)
	if len(c.analysis.issues) > 0 {
		return nil, c.fail(c.analysis.issues...)
	}
	c.nodes = map[int64]ast.Expr{}
	indexNodes(parsed.NativeRep().Expr(), c.nodes)
	checked, iss := env.Check(parsed)
	if iss.Err() != nil {
		var out []Issue
		for _, e := range iss.Errors() {
			out = append(out, c.typeIssue(e))
		}
		return nil, c.fail(out...)
	}
	if out := checked.OutputType(); !out.IsExactType(types.BoolType) {
		return nil, c.fail(c.pos.atExpr(CodeNotBool, checked.NativeRep().Expr().ID(),
			"a condition must be true or false, but this one gives %s", typeNoun(out)))
	}
	if is, ok := c.checkCost(checked); !ok {
		return nil, c.fail(is)
	}
	prg, err := env.Program(checked,
		cel.CostLimit(c.limits.MaxCost),
		cel.InterruptCheckFrequency(interruptCheckFrequency),
		cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, c.fail(c.pos.at(CodeInvalid, 0, "%s", err.Error()))
	}
	return &Program{
		expression: expression, fields: c.analysis.referencedFields(), versions: versionsOf(schemas),
		translations: c.analysis.translations, limits: c.limits, objects: c.objects, prg: prg,
	}, nil
}

func (c *compilation) fail(issues ...Issue) error {
	return &ConditionError{Expression: c.expression, Issues: issues}
}

// checkText refuses what is not worth parsing.
func (c *compilation) checkText() (Issue, bool) {
	switch {
	case !utf8.ValidString(c.expression):
		return c.pos.at(CodeSyntax, 0, "the condition is not valid UTF-8 text"), false
	case len(c.pos.runes) > c.limits.MaxLength:
		return c.pos.at(CodeTooLong, c.limits.MaxLength, "the condition is %d characters long; at most %d are allowed",
			len(c.pos.runes), c.limits.MaxLength), false
	case strings.TrimSpace(c.expression) == "":
		return c.pos.at(CodeSyntax, 0, "the condition is empty; write an expression such as contact.lifecyclestage == \"customer\""), false
	}
	return Issue{}, true
}

// checkCost refuses a condition whose worst case, over any record, exceeds the cost limit.
func (c *compilation) checkCost(checked *cel.Ast) (Issue, bool) {
	est, err := c.env.EstimateCost(checked, fieldSizeEstimator{objects: c.objects})
	if err != nil {
		return c.pos.at(CodeTooCostly, 0, "the condition's cost cannot be estimated: %v", err), false
	}
	if est.Max > c.limits.MaxCost {
		return c.pos.at(CodeTooCostly, 0,
			"the condition could cost up to %s units to evaluate, more than the limit of %d: loop over fewer or smaller lists, or use fewer nested loops",
			formatCost(est.Max), c.limits.MaxCost), false
	}
	return Issue{}, true
}

// formatCost prints a worst case, which CEL saturates at the largest uint64 when unbounded.
func formatCost(n uint64) string {
	if n == ^uint64(0) {
		return "an unbounded number of"
	}
	return strconv.FormatUint(n, 10)
}

// indexNodes maps every node id of e to its node.
func indexNodes(e ast.Expr, into map[int64]ast.Expr) {
	into[e.ID()] = e
	switch e.Kind() {
	case ast.SelectKind:
		indexNodes(e.AsSelect().Operand(), into)
	case ast.CallKind:
		if e.AsCall().IsMemberFunction() {
			indexNodes(e.AsCall().Target(), into)
		}
		for _, a := range e.AsCall().Args() {
			indexNodes(a, into)
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			indexNodes(el, into)
		}
	case ast.MapKind:
		for _, entry := range e.AsMap().Entries() {
			indexNodes(entry.AsMapEntry().Key(), into)
			indexNodes(entry.AsMapEntry().Value(), into)
		}
	case ast.StructKind:
		for _, f := range e.AsStruct().Fields() {
			indexNodes(f.AsStructField().Value(), into)
		}
	case ast.ComprehensionKind:
		cx := e.AsComprehension()
		for _, sub := range []ast.Expr{cx.IterRange(), cx.AccuInit(), cx.LoopCondition(), cx.LoopStep(), cx.Result()} {
			indexNodes(sub, into)
		}
	}
}
