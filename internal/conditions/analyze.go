package conditions

import (
	"slices"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"

	"github.com/connectflo/integrations/internal/fields"
)

// analyzer walks a parsed condition before type-checking. It does what CEL's checker cannot
// do with HubSpot's meaning in mind:
//   - names unknown fields with a "did you mean" from the schema;
//   - checks string literals compared with choice fields against the options, and rewrites
//     an option's label into its value (`== "Customer"` becomes `== "customer"`);
//   - rewrites a comparison of a pipeline stage field with a label several pipelines' stages
//     have into a test of membership in those stages (`deal.dealstage == "Closed Won"` becomes
//     `deal.dealstage in ["closedwon", "2096394"]`): a stage belongs to one pipeline, so this
//     compares the label within the record's own pipeline (fields.Schema.StagesNamed);
//   - rewrites int literals used with number fields into doubles (`== 100000`), since CEL
//     does not compare a double with an int for equality;
//   - refuses comparisons with "" or null, which an empty field never equals;
//   - collects the fields the condition reads.
type analyzer struct {
	objects      *objectSet
	pos          positions
	fac          ast.ExprFactory
	issues       []Issue
	refs         map[*fieldSpec]bool
	selects      map[int64]*fieldSpec // selection node id → field, for type error messages
	translations []Translation
	suggestions  *fields.SuggestionBudget // one per compilation: only the first misses get a "did you mean"
	nextID       int64                    // the id of the next node a rewrite adds: above every parsed node's
}

// Translation is an option label in a condition that was replaced by the option's value.
type Translation struct {
	Field string // "contact.lifecyclestage"
	Label string // "Customer"
	Value string // "customer"
}

func newAnalyzer(objects *objectSet, pos positions, maxID int64) *analyzer {
	return &analyzer{objects: objects, pos: pos, fac: ast.NewExprFactory(), nextID: maxID + 1,
		refs: map[*fieldSpec]bool{}, selects: map[int64]*fieldSpec{}, suggestions: fields.NewSuggestionBudget()}
}

// walk visits e. shadowed holds comprehension variables in scope, which hide a variable of
// the same name (`[1].exists(contact, contact > 0)` does not read the contact).
func (a *analyzer) walk(e ast.Expr, shadowed []string) {
	switch e.Kind() {
	case ast.SelectKind:
		sel := e.AsSelect()
		if o := a.objectIdent(sel.Operand(), shadowed); o != nil {
			a.resolveField(e, o, sel.FieldName())
			return
		}
		a.walk(sel.Operand(), shadowed)
	case ast.CallKind:
		call := e.AsCall()
		a.checkCall(e, call, shadowed)
		if call.IsMemberFunction() {
			a.walk(call.Target(), shadowed)
		}
		for _, arg := range call.Args() {
			a.walk(arg, shadowed)
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			a.walk(el, shadowed)
		}
	case ast.MapKind:
		for _, entry := range e.AsMap().Entries() {
			me := entry.AsMapEntry()
			a.walk(me.Key(), shadowed)
			a.walk(me.Value(), shadowed)
		}
	case ast.StructKind:
		if _, isRecord := a.objects.byTypeName(e.AsStruct().TypeName()); isRecord {
			a.issues = append(a.issues, a.pos.atExpr(CodeInvalid, e.ID(),
				"a condition reads the contact, company and deal it is given; it cannot create a %s", e.AsStruct().TypeName()))
		}
		for _, field := range e.AsStruct().Fields() {
			a.walk(field.AsStructField().Value(), shadowed)
		}
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		a.walk(c.IterRange(), shadowed)
		a.walk(c.AccuInit(), shadowed)
		inner := append(slices.Clip(shadowed), c.IterVar(), c.AccuVar())
		if c.HasIterVar2() {
			inner = append(inner, c.IterVar2())
		}
		a.walk(c.LoopCondition(), inner)
		a.walk(c.LoopStep(), inner)
		a.walk(c.Result(), inner)
	}
}

// objectIdent returns the object e names, if e is the bare variable `contact`, `company` or
// `deal` and no comprehension variable hides it.
func (a *analyzer) objectIdent(e ast.Expr, shadowed []string) *objectSpec {
	if e.Kind() != ast.IdentKind || slices.Contains(shadowed, e.AsIdent()) {
		return nil
	}
	o, _ := a.objects.byVariable(e.AsIdent())
	return o
}

func (a *analyzer) resolveField(sel ast.Expr, o *objectSpec, name string) {
	if fs, ok := o.byName[name]; ok {
		if fs.selector != "" {
			if why := fs.owners.Unavailable(); why != "" {
				a.issues = append(a.issues, a.pos.atFieldName(CodeUnknownField, sel.ID(),
					"%s needs the account's owners, and %s", fs.selector, why))
				return
			}
		}
		a.refs[fs] = true
		a.selects[sel.ID()] = fs
		return
	}
	if o.schema == nil {
		a.issues = append(a.issues, a.pos.atFieldName(CodeUnknownField, sel.ID(),
			"%s has no field '%s': no %s fields have been discovered for this connection", o.variable, name, o.variable))
		return
	}
	if sugg := o.schema.Suggest(name, a.suggestions); sugg != "" {
		a.issues = append(a.issues, a.pos.atFieldName(CodeUnknownField, sel.ID(),
			"%s has no field '%s'; did you mean '%s'?", o.variable, name, sugg))
		return
	}
	a.issues = append(a.issues, a.pos.atFieldName(CodeUnknownField, sel.ID(),
		"%s has no field '%s'; DiscoverFields lists the fields (refresh it if the field was just created in HubSpot)", o.variable, name))
}

// field returns the field e selects, or nil when e is not a selection of a known field.
func (a *analyzer) field(e ast.Expr, shadowed []string) *fieldSpec {
	if e.Kind() != ast.SelectKind || e.AsSelect().IsTestOnly() {
		return nil
	}
	o := a.objectIdent(e.AsSelect().Operand(), shadowed)
	if o == nil {
		return nil
	}
	fs := o.byName[e.AsSelect().FieldName()]
	if fs == nil || fs.selector != "" {
		return nil // the owner is a record, not a value literals are compared with
	}
	return fs
}

// checkCall applies the literal rules to the operands of comparisons, `in`, arithmetic and
// the list helpers.
func (a *analyzer) checkCall(e ast.Expr, call ast.CallExpr, shadowed []string) {
	args := call.Args()
	if call.IsMemberFunction() || len(args) != 2 {
		return
	}
	l, r := args[0], args[1]
	lf, rf := a.field(l, shadowed), a.field(r, shadowed)
	switch call.FunctionName() {
	case operators.Equals, operators.NotEquals:
		if a.stageComparison(e, call.FunctionName(), lf, l, r) || a.stageComparison(e, call.FunctionName(), rf, r, l) {
			return
		}
		a.compareWithLiteral(lf, r, call.FunctionName())
		a.compareWithLiteral(rf, l, call.FunctionName())
	case operators.In:
		if lf != nil {
			a.literalElements(lf, r) // contact.lifecyclestage in ["customer", "Lead"]
		}
		if rf != nil && rf.field.Kind == fields.KindMultipleChoice {
			a.optionLiteral(rf, l) // "vip" in contact.tags
		}
	case operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals,
		operators.Add, operators.Subtract, operators.Multiply, operators.Divide:
		a.numberLiteral(lf, r)
		a.numberLiteral(rf, l)
	case fnHasAny, fnHasAll:
		if lf != nil && lf.field.Kind == fields.KindMultipleChoice {
			a.literalElements(lf, r)
		}
		if rf != nil && rf.field.Kind == fields.KindMultipleChoice {
			a.literalElements(rf, l)
		}
	}
}

// compareWithLiteral handles `field == literal` and `field != literal`.
func (a *analyzer) compareWithLiteral(fs *fieldSpec, lit ast.Expr, op string) {
	if fs == nil {
		return
	}
	if lit.Kind() == ast.LiteralKind {
		v := lit.AsLiteral()
		isEmptyString := v.Type() == types.StringType && v.Value() == ""
		if isEmptyString || v.Type() == types.NullType {
			want := "!has(" + fs.path + ")"
			if op == operators.NotEquals {
				want = "has(" + fs.path + ")"
			}
			a.issues = append(a.issues, a.pos.atExpr(CodeEmptyComparison, lit.ID(),
				"an empty field has no value, so %s never equals %s; to test whether it is empty, write %s",
				fs.path, map[bool]string{true: `""`, false: "null"}[isEmptyString], want))
			return
		}
	}
	switch fs.field.Kind {
	case fields.KindSingleChoice:
		a.optionLiteral(fs, lit)
	case fields.KindMultipleChoice:
		a.literalElements(fs, lit)
	case fields.KindNumber:
		a.numberLiteral(fs, lit)
	}
}

// stageIDs returns the stages a string literal compared with fs names when fs is a pipeline
// stage field and the literal is a label of stages in several pipelines.
func (a *analyzer) stageIDs(fs *fieldSpec, lit ast.Expr) ([]string, bool) {
	if fs == nil || fs.object.schema == nil || !fs.object.schema.IsStageField(fs.field) ||
		lit.Kind() != ast.LiteralKind || lit.AsLiteral().Type() != types.StringType {
		return nil, false
	}
	label := string(lit.AsLiteral().(types.String))
	ids := fs.object.schema.StagesNamed(label)
	if len(ids) < 2 {
		return nil, false
	}
	for _, id := range ids {
		a.translations = append(a.translations, Translation{Field: fs.path, Label: label, Value: id})
	}
	return ids, true
}

func (a *analyzer) newID() int64 {
	id := a.nextID
	a.nextID++
	return id
}

// stageLiterals are the string literals of ids, each a new node.
func (a *analyzer) stageLiterals(ids []string) []ast.Expr {
	out := make([]ast.Expr, 0, len(ids))
	for _, id := range ids {
		out = append(out, a.fac.NewLiteral(a.newID(), types.String(id)))
	}
	return out
}

// stageComparison rewrites call (`field == "Label"` or `!=`) into membership of the stages
// the label names, when it is a label of several pipelines' stages; see analyzer.
func (a *analyzer) stageComparison(call ast.Expr, op string, fs *fieldSpec, field, lit ast.Expr) bool {
	ids, ok := a.stageIDs(fs, lit)
	if !ok {
		return false
	}
	list := a.fac.NewList(lit.ID(), a.stageLiterals(ids), nil)
	if op == operators.Equals {
		call.SetKindCase(a.fac.NewCall(call.ID(), operators.In, field, list))
	} else {
		call.SetKindCase(a.fac.NewCall(call.ID(), operators.LogicalNot, a.fac.NewCall(a.newID(), operators.In, field, list)))
	}
	return true
}

// literalElements applies the field's literal rules to each element of a list literal; a
// label of several pipelines' stages in a list compared with a stage field becomes those
// stages' ids.
func (a *analyzer) literalElements(fs *fieldSpec, list ast.Expr) {
	if list.Kind() != ast.ListKind {
		return
	}
	if fs != nil && fs.object.schema != nil && fs.object.schema.IsStageField(fs.field) {
		var elems []ast.Expr
		expanded := false
		for _, el := range list.AsList().Elements() {
			if ids, ok := a.stageIDs(fs, el); ok {
				elems, expanded = append(elems, a.stageLiterals(ids)...), true
				continue
			}
			elems = append(elems, el)
		}
		if expanded {
			list.SetKindCase(a.fac.NewList(list.ID(), elems, nil))
		}
	}
	for _, el := range list.AsList().Elements() {
		switch fs.field.Kind {
		case fields.KindSingleChoice, fields.KindMultipleChoice:
			a.optionLiteral(fs, el)
		case fields.KindNumber:
			a.numberLiteral(fs, el)
		}
	}
}

// optionLiteral checks a string literal against a choice field's options and rewrites a
// label into its value. Other literal types are left for the checker to report.
func (a *analyzer) optionLiteral(fs *fieldSpec, lit ast.Expr) {
	if lit.Kind() != ast.LiteralKind || lit.AsLiteral().Type() != types.StringType {
		return
	}
	if fields.IsOwnerField(fs.field) {
		return // its values are owner ids, not options of its own; owner.email reads emails
	}
	s := string(lit.AsLiteral().(types.String))
	value, ok := fields.ResolveOption(fs.field, s)
	if !ok {
		a.issues = append(a.issues, a.pos.atExpr(CodeUnknownOption, lit.ID(),
			"%q is not an option of %s; its options (value and label) are: %s", s, fs.path, fields.AllowedOptions(fs.field)))
		return
	}
	if value != s {
		lit.SetKindCase(a.fac.NewLiteral(lit.ID(), types.String(value)))
		a.translations = append(a.translations, Translation{Field: fs.path, Label: s, Value: value})
	}
}

// numberLiteral turns an int literal used with a number field into a double, so that
// `company.annualrevenue == 100000` type-checks. A negated literal (`-5`) is handled too.
func (a *analyzer) numberLiteral(fs *fieldSpec, lit ast.Expr) {
	if fs == nil || fs.field.Kind != fields.KindNumber {
		return
	}
	if lit.Kind() == ast.CallKind && lit.AsCall().FunctionName() == operators.Negate && len(lit.AsCall().Args()) == 1 {
		lit = lit.AsCall().Args()[0]
	}
	if lit.Kind() != ast.LiteralKind {
		return
	}
	if i, ok := lit.AsLiteral().(types.Int); ok {
		lit.SetKindCase(a.fac.NewLiteral(lit.ID(), types.Double(float64(i))))
	}
}

// referencedFields lists the fields read, as "object.field", sorted.
func (a *analyzer) referencedFields() []string {
	out := make([]string, 0, len(a.refs))
	for fs := range a.refs {
		if fs.reads != "" {
			out = append(out, fs.reads) // a computed field reads the property it comes from
			continue
		}
		out = append(out, fs.path)
	}
	slices.Sort(out)
	return slices.Compact(out) // the owner and hubspot_owner_id read the same property
}
