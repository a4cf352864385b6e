package records

import (
	"fmt"
	"unicode/utf8"

	"github.com/connectflo/integrations/internal/hubspot"
)

// MaxProperties is how many properties one request may name: to read (GetRecord,
// SearchRecords) or to write (UpdateRecord, UpsertContact, each contact of
// BatchUpsertContacts). It is our bound, not HubSpot's: more than a workflow step reads or
// writes at once, and it keeps the work of checking names against the schema small.
const MaxProperties = 250

// Search limits, checked before any name is looked up or HubSpot is called. The filter
// counts, query length, page size and result cap are HubSpot's (package hubspot); the values
// of one IN / NOT_IN filter are bounded by us.
const (
	MaxFilterGroups    = hubspot.MaxFilterGroups
	MaxFiltersPerGroup = hubspot.MaxFiltersPerGroup
	MaxFilters         = hubspot.MaxFilters
	MaxSorts           = 1 // HubSpot honours one sort
	MaxQueryLength     = hubspot.MaxQueryLength
	MaxSearchPageSize  = hubspot.MaxSearchLimit
	MaxSearchResults   = hubspot.MaxSearchResults
	MaxFilterValues    = 100
)

// LimitError is a part of a request over one of these limits. Path is the request field
// ("filter_groups[0].filters"), Message says the limit and what to do instead.
type LimitError struct {
	Path    string
	Message string
}

func (e *LimitError) Error() string { return e.Path + ": " + e.Message }

// CheckPropertyCount refuses more than MaxProperties names under path.
func CheckPropertyCount(path string, n int) error {
	if n > MaxProperties {
		return &LimitError{Path: path, Message: fmt.Sprintf("names %d properties; at most %d per request: ask for fewer, or split the request", n, MaxProperties)}
	}
	return nil
}

// SearchShape is what the search limits look at: the counts of a request, not its content.
type SearchShape struct {
	FiltersPerGroup []int // filters of each group
	ValuesPerFilter [][]int
	Sorts           int
	Query           string
	Properties      int
}

// CheckSearchShape returns every limit the search breaks (nil when none).
func CheckSearchShape(s SearchShape) []error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, &LimitError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if n := len(s.FiltersPerGroup); n > MaxFilterGroups {
		add("filter_groups", "has %d groups; HubSpot allows at most %d (groups are ORed: run several searches to OR more)", n, MaxFilterGroups)
	}
	total := 0
	for g, n := range s.FiltersPerGroup {
		total += n
		if n > MaxFiltersPerGroup {
			add(fmt.Sprintf("filter_groups[%d].filters", g), "has %d filters; HubSpot allows at most %d in a group and %d in all", n, MaxFiltersPerGroup, MaxFilters)
		}
		if g < len(s.ValuesPerFilter) {
			for f, v := range s.ValuesPerFilter[g] {
				if v > MaxFilterValues {
					add(fmt.Sprintf("filter_groups[%d].filters[%d].values", g, f), "has %d values; at most %d: split the list over several filter groups or searches", v, MaxFilterValues)
				}
			}
		}
	}
	if total > MaxFilters {
		add("filter_groups", "has %d filters in all; HubSpot allows at most %d (and %d in a group)", total, MaxFilters, MaxFiltersPerGroup)
	}
	if s.Sorts > MaxSorts {
		add("sorts", "has %d sorts; HubSpot honours one: give at most %d", s.Sorts, MaxSorts)
	}
	if n := utf8.RuneCountInString(s.Query); n > MaxQueryLength {
		add("query", "is %d characters; HubSpot allows at most %d", n, MaxQueryLength)
	}
	if err := CheckPropertyCount("properties", s.Properties); err != nil {
		errs = append(errs, err)
	}
	return errs
}
