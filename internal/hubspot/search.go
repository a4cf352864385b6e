package hubspot

import "context"

// Search filter operators.
const (
	OpEQ               = "EQ"
	OpNEQ              = "NEQ"
	OpLT               = "LT"
	OpLTE              = "LTE"
	OpGT               = "GT"
	OpGTE              = "GTE"
	OpBetween          = "BETWEEN" // Value and HighValue
	OpIn               = "IN"      // Values
	OpNotIn            = "NOT_IN"  // Values
	OpHasProperty      = "HAS_PROPERTY"
	OpNotHasProperty   = "NOT_HAS_PROPERTY"
	OpContainsToken    = "CONTAINS_TOKEN"
	OpNotContainsToken = "NOT_CONTAINS_TOKEN"
)

// HubSpot's search limits (https://developers.hubspot.com/docs/api/crm/search). The filter
// counts have changed over time; these are the current documented ones and the defaults of
// SearchLimits.
const (
	MaxSearchLimit     = 200    // the largest page search returns
	MaxSearchResults   = 10_000 // results one query can page through
	MaxFilterGroups    = 5
	MaxFiltersPerGroup = 6
	MaxFilters         = 18 // in all groups together
	MaxQueryLength     = 3000
)

// SearchRequest is the body of a search (POST /crm/objects/2026-03/{objectType}/search). Filters
// in a group are ANDed, groups are ORed. HubSpot honours one sort only.
type SearchRequest struct {
	FilterGroups []FilterGroup `json:"filterGroups,omitempty"`
	Sorts        []Sort        `json:"sorts,omitempty"`
	Query        string        `json:"query,omitempty"`
	Properties   []string      `json:"properties,omitempty"`
	Limit        int           `json:"limit,omitempty"` // HubSpot's default is 10, max MaxSearchLimit
	After        string        `json:"after,omitempty"` // Paging.NextAfter of the previous page
}

// FilterGroup is a set of ANDed filters.
type FilterGroup struct {
	Filters []Filter `json:"filters"`
}

// Filter is one condition. "associations.contact" works as PropertyName.
type Filter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	HighValue    string   `json:"highValue,omitempty"`
	Values       []string `json:"values,omitempty"`
}

// Sort orders results.
type Sort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"` // ASCENDING or DESCENDING
}

// SearchResult is one page. Search is eventually consistent (new records
// take a moment to appear) and capped at 10,000 results per query.
type SearchResult struct {
	Total   int      `json:"total"`
	Results []Object `json:"results"`
	Paging  *Paging  `json:"paging,omitempty"`
}

// SearchLimits are HubSpot's filter limits, which have changed over time;
// the defaults follow the current docs (5 groups, 6 filters per group, 18 in
// all). A group count above 5 is always rejected.
type SearchLimits struct {
	MaxFilterGroups    int
	MaxFiltersPerGroup int
	MaxFilters         int
	MaxQueryLength     int
}

func (l SearchLimits) withDefaults() SearchLimits {
	if l.MaxFilterGroups <= 0 || l.MaxFilterGroups > MaxFilterGroups {
		l.MaxFilterGroups = MaxFilterGroups
	}
	if l.MaxFiltersPerGroup <= 0 {
		l.MaxFiltersPerGroup = MaxFiltersPerGroup
	}
	if l.MaxFilters <= 0 {
		l.MaxFilters = MaxFilters
	}
	if l.MaxQueryLength <= 0 {
		l.MaxQueryLength = MaxQueryLength
	}
	return l
}

func (l SearchLimits) check(req SearchRequest) error {
	if req.Limit < 0 || req.Limit > MaxSearchLimit {
		return invalid("search limit %d is outside 1..%d", req.Limit, MaxSearchLimit)
	}
	if len(req.FilterGroups) > l.MaxFilterGroups {
		return invalid("%d filter groups, at most %d", len(req.FilterGroups), l.MaxFilterGroups)
	}
	total := 0
	for i, g := range req.FilterGroups {
		if len(g.Filters) > l.MaxFiltersPerGroup {
			return invalid("filter group %d has %d filters, at most %d", i, len(g.Filters), l.MaxFiltersPerGroup)
		}
		total += len(g.Filters)
		for j, f := range g.Filters {
			if f.PropertyName == "" || f.Operator == "" {
				return invalid("filter %d of group %d needs a property name and an operator", j, i)
			}
		}
	}
	if total > l.MaxFilters {
		return invalid("%d filters in all, at most %d", total, l.MaxFilters)
	}
	if len(req.Query) > l.MaxQueryLength {
		return invalid("query is %d characters, at most %d", len(req.Query), l.MaxQueryLength)
	}
	return nil
}

// Search runs one page of a search. It draws on the search budget (5/s per
// account), not the rolling window. Idempotent (a read).
func (c *Client) Search(ctx context.Context, objectType string, req SearchRequest) (*SearchResult, error) {
	if err := requireNonEmpty("objectType", objectType); err != nil {
		return nil, err
	}
	if err := c.searchLimits.check(req); err != nil {
		return nil, err
	}
	var out SearchResult
	r := c.request(opSearch, objectType)
	r.body = req
	_, err := c.send(ctx, r, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
