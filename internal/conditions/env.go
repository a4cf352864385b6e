package conditions

import (
	"cel.dev/cel-go/cel"
)

// newEnv is the CEL environment of one set of schemas: the standard library, the record
// types and variables, `now`, and the helpers.
func newEnv(objects *objectSet, limits Limits) (*cel.Env, error) {
	opts := []cel.EnvOption{
		// `company.annualrevenue > 100000`: an int compared with a number field (a double).
		cel.CrossTypeNumericComparisons(true),
		// `contact.\`in\``: any HubSpot field name can be selected, even a CEL keyword.
		cel.EnableIdentifierEscapeSyntax(),
		cel.ParserExpressionSizeLimit(limits.MaxLength),
		withRecordTypes(objects),
		cel.Variable(nowVariable, cel.TimestampType),
	}
	for _, o := range objects {
		opts = append(opts, cel.Variable(o.variable, o.celType))
	}
	opts = append(opts, helperDeclarations()...)
	return cel.NewEnv(opts...)
}
