package conditions

import (
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"

	"github.com/connectflo/integrations/internal/fields"
)

// fieldSizeEstimator tells CEL's static cost estimate how large field values can be, so that
// a loop over a multiple-choice field or a regular expression over a text field has a finite
// worst case instead of "unknown".
type fieldSizeEstimator struct {
	objects *objectSet
}

var _ cost.Estimator = fieldSizeEstimator{}

func (e fieldSizeEstimator) EstimateSize(node cost.AstNode) *cost.SizeEstimate {
	path := node.Path()
	if len(path) < 2 {
		return nil
	}
	o, ok := e.objects.byVariable(path[0])
	if !ok {
		return nil
	}
	fs, ok := o.byName[path[1]]
	if !ok {
		return nil
	}
	var size cost.SizeEstimate
	if fs.selector != "" { // owner.teams, owner.email, …: bounded by the discovered owners
		teams, longestTeam := fs.ownerTeamsBound()
		switch {
		case len(path) == 3 && path[2] == "teams":
			size = cost.RangedSizeEstimate(0, uint64(teams))
			elem := cost.RangedSizeEstimate(0, uint64(longestTeam))
			size.Elem = &elem
		case len(path) == 4 && path[2] == "teams" && path[3] == "@items":
			size = cost.RangedSizeEstimate(0, uint64(longestTeam))
		case len(path) == 3:
			size = cost.RangedSizeEstimate(0, maxOwnerString)
		default:
			return nil
		}
		return &size
	}
	switch {
	case fs.field.Kind == fields.KindMultipleChoice && len(path) == 2:
		size = cost.RangedSizeEstimate(0, uint64(len(fs.field.Options)))
		elem := e.longestOption(fs)
		size.Elem = &elem
	case fs.field.Kind == fields.KindMultipleChoice && len(path) == 3 && path[2] == "@items":
		size = e.longestOption(fs)
	case fs.celType.Kind() == types.StringKind && len(path) == 2:
		size = cost.RangedSizeEstimate(0, uint64(maxFieldLength(fs)))
	default:
		return nil
	}
	return &size
}

// EstimateCallCost prices hasAny and hasAll: each element of one list looked up in the other.
func (e fieldSizeEstimator) EstimateCallCost(function, _ string, _ *cost.AstNode, args []cost.AstNode) *cost.CallEstimate {
	if (function != fnHasAny && function != fnHasAll) || len(args) != 2 {
		return nil
	}
	have := cost.EstimateSize(e, args[0])
	want := cost.EstimateSize(e, args[1])
	work := have.Multiply(want).AsCost().Add(cost.FixedCostEstimate(1))
	return cost.NewCallEstimate(work, nil)
}

func (e fieldSizeEstimator) longestOption(fs *fieldSpec) cost.SizeEstimate {
	longest := 0
	for _, o := range fs.field.Options {
		longest = max(longest, len(o.Value))
	}
	return cost.RangedSizeEstimate(0, uint64(longest))
}

// maxFieldLength is the longest value HubSpot stores for a string-typed field: a choice field
// holds one of its options, anything else up to HubSpot's string limit.
func maxFieldLength(fs *fieldSpec) int {
	if fs.field.Kind == fields.KindSingleChoice && len(fs.field.Options) > 0 {
		longest := 0
		for _, o := range fs.field.Options {
			longest = max(longest, len(o.Value))
		}
		return longest
	}
	return fields.MaxStringLength
}
