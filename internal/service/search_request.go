package service

import (
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/records"
)

// What SearchRecords needs to put a request in the records package's terms: the request's
// counts for the shape check, and each filter's operator and values.

// searchShape is what records.CheckSearchShape needs of a request: its counts.
func searchShape(req *integrationsv1.SearchRecordsRequest) records.SearchShape {
	shape := records.SearchShape{Sorts: len(req.GetSorts()), Query: req.GetQuery(), Properties: len(req.GetProperties())}
	for _, g := range req.GetFilterGroups() {
		shape.FiltersPerGroup = append(shape.FiltersPerGroup, len(g.GetFilters()))
		values := make([]int, len(g.GetFilters()))
		for i, f := range g.GetFilters() {
			values[i] = len(f.GetValues())
		}
		shape.ValuesPerFilter = append(shape.ValuesPerFilter, values)
	}
	return shape
}

// operatorName is HubSpot's name of a filter operator ("" for unspecified, which CheckFilter
// refuses with the list of operators).
func operatorName(op integrationsv1.FilterOperator) string {
	if op == integrationsv1.FilterOperator_FILTER_OPERATOR_UNSPECIFIED {
		return ""
	}
	return strings.TrimPrefix(op.String(), "FILTER_OPERATOR_")
}

// valueOf is a structpb value as plain Go, nil when absent.
func valueOf(v *structpb.Value) any {
	if v == nil {
		return nil
	}
	return v.AsInterface()
}
