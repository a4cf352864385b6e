package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

type searchRequest struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Sorts        []searchSort  `json:"sorts"`
	Query        string        `json:"query"`
	Properties   []string      `json:"properties"`
	Limit        int           `json:"limit"`
	After        scalar        `json:"after"`
}

type filterGroup struct {
	Filters []searchFilter `json:"filters"`
}

type searchFilter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        *scalar  `json:"value"`
	HighValue    *scalar  `json:"highValue"`
	Values       []scalar `json:"values"`
}

// scalar accepts a JSON string, number or boolean as its string form.
type scalar string

func (s *scalar) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = scalar(str)
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v.(type) {
	case float64, bool, nil:
		*s = scalar(strings.TrimSpace(string(b)))
		if v == nil {
			*s = ""
		}
		return nil
	}
	return fmt.Errorf("expected a string, number or boolean")
}

// searchSort is an object {propertyName, direction}. Because the spec types sorts as
// string[] and the npm client passes strings through, a string is read too: a JSON sort
// object given as a string ("{\"propertyName\":\"createdate\",\"direction\":\"DESCENDING\"}",
// the form the npm client's README documented until 2023,
// https://github.com/HubSpot/hubspot-api-nodejs), "prop" (ascending) or "-prop" (descending).
type searchSort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

func (s *searchSort) UnmarshalJSON(b []byte) error {
	type plain searchSort
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		if strings.HasPrefix(strings.TrimSpace(str), "{") {
			if err := json.Unmarshal([]byte(str), (*plain)(s)); err != nil {
				return fmt.Errorf("sort %q is not a sort object: %w", str, err)
			}
			return nil
		}
		s.Direction = "ASCENDING"
		if name, desc := strings.CutPrefix(str, "-"); desc {
			str, s.Direction = name, "DESCENDING"
		}
		s.PropertyName = str
		return nil
	}
	return json.Unmarshal(b, (*plain)(s))
}

var searchOperators = []string{"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
	"HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}

// validate enforces HubSpot's limits on one search request (SearchLimits).
func (req *searchRequest) validate(lim SearchLimits) string {
	if len(req.FilterGroups) > lim.MaxFilterGroups {
		return fmt.Sprintf("Too many filter groups: %d. The maximum is %d.", len(req.FilterGroups), lim.MaxFilterGroups)
	}
	total := 0
	for _, g := range req.FilterGroups {
		if len(g.Filters) > lim.MaxFiltersPerGroup {
			return fmt.Sprintf("Too many filters in a filter group: %d. The maximum is %d.", len(g.Filters), lim.MaxFiltersPerGroup)
		}
		total += len(g.Filters)
		for _, f := range g.Filters {
			if !slices.Contains(searchOperators, f.Operator) {
				return fmt.Sprintf("Invalid operator %q for property %s", f.Operator, f.PropertyName)
			}
			switch f.Operator {
			case "BETWEEN":
				if f.Value == nil || f.HighValue == nil {
					return fmt.Sprintf("BETWEEN on %s needs value and highValue", f.PropertyName)
				}
			case "IN", "NOT_IN":
				if len(f.Values) == 0 {
					return fmt.Sprintf("%s on %s needs values", f.Operator, f.PropertyName)
				}
			case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
				// HubSpot refuses a value with these operators (integrators' reports, e.g.
				// https://github.com/appsmithorg/appsmith/issues/39865).
				if f.Value != nil || f.HighValue != nil || len(f.Values) > 0 {
					return fmt.Sprintf("%s on %s takes no value, highValue or values", f.Operator, f.PropertyName)
				}
			default:
				if f.Value == nil {
					return fmt.Sprintf("%s on %s needs a value", f.Operator, f.PropertyName)
				}
			}
		}
	}
	if total > lim.MaxFiltersTotal {
		return fmt.Sprintf("Too many filters: %d. The maximum is %d.", total, lim.MaxFiltersTotal)
	}
	if len(req.Query) > lim.MaxQueryStringChars {
		return fmt.Sprintf("query is longer than %d characters", lim.MaxQueryStringChars)
	}
	if req.Limit > lim.MaxLimit {
		return fmt.Sprintf("limit must be at most %d", lim.MaxLimit)
	}
	return ""
}

// searchObjects answers POST /crm/v3/objects/{type}/search: groups ORed, filters
// ANDed, one sort honoured (its ties shuffled on every call: sortRecords), "after" a
// stringified offset, results capped at 10,000, and writes seen only once the search lag
// has passed.
func searchObjects(c *call) reply {
	ot, rep, ok := c.objectType("objectType", accessRead)
	if !ok {
		return rep
	}
	var req searchRequest
	if err := decodeJSON(c.r, &req); err != nil {
		return c.badRequest("Invalid input JSON on line 1: %v", err)
	}
	if msg := req.validate(c.s.search); msg != "" {
		return c.badRequest("%s", msg)
	}
	if body := c.unknownFilterProperties(ot, req.FilterGroups); body != nil {
		return jsonReply(http.StatusBadRequest, body)
	}
	if req.Limit <= 0 {
		req.Limit = listDefaultLimit
	}
	offset := 0
	if req.After != "" {
		n, err := strconv.Atoi(string(req.After))
		if err != nil || n < 0 {
			return c.badRequest("after must be a stringified non-negative offset, got %q", req.After)
		}
		offset = n
	}
	maxResults := c.s.search.MaxResultsPerQuery
	if offset >= maxResults {
		return c.badRequest("Search results are limited to %d per query; after=%d is past that. Narrow the filters instead of paging further.", maxResults, offset)
	}

	// Search sees each record as it was before its writes of the last search lag
	// (record.searchView): filters, query, sort and the rendered values all use that view.
	var hits []*record
	for _, id := range c.acct.sortedIDs(ot, func(*record) bool { return true }) {
		r := c.acct.records[ot.name][strconv.FormatInt(id, 10)].searchView(c.now, c.acct.searchLag)
		if r == nil {
			continue
		}
		if c.matchesQuery(ot, r, req.Query) && c.matchesGroups(ot, r, req.FilterGroups) {
			hits = append(hits, r)
		}
	}
	if len(req.Sorts) > 0 { // HubSpot honours only the first sort; without one, id order
		c.sortRecords(ot, hits, req.Sorts[0])
	}

	end := min(offset+req.Limit, len(hits), maxResults)
	props := req.Properties
	if len(props) > 0 {
		for _, sys := range []string{"hs_object_id", ot.createdProp, ot.modifiedProp} {
			if !slices.Contains(props, sys) {
				props = append(props, sys)
			}
		}
	}
	results := []recordJSON{}
	for i := offset; i < end; i++ {
		results = append(results, c.acct.render(ot, hits[i], props, nil))
	}
	body := map[string]any{"total": len(hits), "results": results}
	if end < min(len(hits), maxResults) {
		next := strconv.Itoa(end)
		body["paging"] = map[string]any{"next": map[string]any{"after": next}}
	}
	return jsonReply(http.StatusOK, body)
}

// matchesQuery matches a search "query" by tokens, not substrings: every word of the
// query (split on white space) must be found among the words of one of the type's default
// searchable properties. Words are runs of letters and digits, compared case-insensitively;
// a query word holding punctuation ("acme.example", "ada@acme.example") must match as that
// run of consecutive words. So "lovelace" finds "Ada Lovelace" but "love" does not.
func (c *call) matchesQuery(ot *objectType, r *record, q string) bool {
	for _, qw := range strings.Fields(q) {
		want := words(qw)
		if len(want) == 0 {
			continue // punctuation alone constrains nothing
		}
		if !slices.ContainsFunc(ot.searchableProps, func(p string) bool { return containsRun(words(r.props[p]), want) }) {
			return false
		}
	}
	return true
}

// words splits s into lower-cased runs of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// containsRun says whether want appears in have as consecutive words.
func containsRun(have, want []string) bool {
	for i := 0; i+len(want) <= len(have); i++ {
		if slices.Equal(have[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

func (c *call) matchesGroups(ot *objectType, r *record, groups []filterGroup) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		all := true
		for _, f := range g.Filters {
			if !c.matchesFilter(ot, r, f) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
