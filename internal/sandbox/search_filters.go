package sandbox

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// unknownFilterProperties refuses a search whose filters name a property the type does
// not have (or has archived), or an association filter on an unknown object type: HubSpot
// answers 400 rather than matching nothing. The body takes the shape of HubSpot's property
// errors (errors[] with code PROPERTY_DOESNT_EXIST and context.propertyName), one entry per
// unknown name; the wording is unverified.
func (c *call) unknownFilterProperties(ot *objectType, groups []filterGroup) *apiError {
	var unknown []string
	for _, g := range groups {
		for _, f := range g.Filters {
			name := f.PropertyName
			known := false
			if toType, ok := strings.CutPrefix(name, "associations."); ok {
				_, known = lookupObjectType(toType)
			} else {
				_, known = c.acct.schema[ot.name].live(name)
			}
			if !known && !slices.Contains(unknown, name) {
				unknown = append(unknown, name)
			}
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	body := &apiError{Status: "error", Message: fmt.Sprintf("Invalid filter: %s %s not exist on %s",
		strings.Join(quoteAll(unknown), ", "), pluralDoes(len(unknown)), ot.typeID),
		CorrelationID: c.correlationID, Category: categoryValidation}
	for _, name := range unknown {
		body.Errors = append(body.Errors, errorDetail{Message: fmt.Sprintf("Property \"%s\" does not exist", name),
			Code: "PROPERTY_DOESNT_EXIST", In: "filterGroups", Context: map[string][]string{"propertyName": {name}}})
	}
	return body
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strconv.Quote(n)
	}
	return out
}

func pluralDoes(n int) string {
	if n == 1 {
		return "does"
	}
	return "do"
}

// matchesFilter evaluates one filter. A record without a value matches only the
// negative operators (NEQ, NOT_IN, NOT_HAS_PROPERTY, NOT_CONTAINS_TOKEN). Filters name
// existing properties only: unknownFilterProperties refused the others.
func (c *call) matchesFilter(ot *objectType, r *record, f searchFilter) bool {
	if toType, ok := strings.CutPrefix(f.PropertyName, "associations."); ok {
		return c.matchesAssociation(ot, r, toType, f)
	}
	p, _ := c.acct.schema[ot.name].live(f.PropertyName)
	v, present := r.props[f.PropertyName]
	if p == nil {
		present = false
	}
	eq := func(want scalar) bool { return present && valuesEqual(p, v, string(want)) }
	switch f.Operator {
	case "HAS_PROPERTY":
		return present
	case "NOT_HAS_PROPERTY":
		return !present
	case "EQ":
		return eq(*f.Value)
	case "NEQ":
		return !eq(*f.Value)
	case "IN":
		return slices.ContainsFunc(f.Values, eq)
	case "NOT_IN":
		return !slices.ContainsFunc(f.Values, eq)
	case "CONTAINS_TOKEN":
		return present && containsToken(v, string(*f.Value))
	case "NOT_CONTAINS_TOKEN":
		return !present || !containsToken(v, string(*f.Value))
	}
	if !present {
		return false
	}
	cmpTo := func(s *scalar) int { return compareValues(p, v, string(*s)) }
	switch f.Operator {
	case "LT":
		return cmpTo(f.Value) < 0
	case "LTE":
		return cmpTo(f.Value) <= 0
	case "GT":
		return cmpTo(f.Value) > 0
	case "GTE":
		return cmpTo(f.Value) >= 0
	case "BETWEEN":
		return cmpTo(f.Value) >= 0 && cmpTo(f.HighValue) <= 0
	}
	return false
}

// matchesAssociation handles "associations.contact" EQ/IN <id> filters.
func (c *call) matchesAssociation(ot *objectType, r *record, toType string, f searchFilter) bool {
	toOT, ok := lookupObjectType(toType)
	if !ok {
		return false
	}
	linked := c.acct.links.targets(objRef{ot.name, r.id}, toOT.name)
	has := func(id scalar) bool {
		return slices.ContainsFunc(linked, func(o objRef) bool { return o.id == string(id) })
	}
	switch f.Operator {
	case "EQ":
		return has(*f.Value)
	case "NEQ":
		return !has(*f.Value)
	case "IN":
		return slices.ContainsFunc(f.Values, has)
	case "NOT_IN":
		return !slices.ContainsFunc(f.Values, has)
	case "HAS_PROPERTY":
		return len(linked) > 0
	case "NOT_HAS_PROPERTY":
		return len(linked) == 0
	}
	return false
}

// valuesEqual compares by the property's type: numerically, by instant, or as
// case-insensitive text; a multi-select matches when any selected option does.
func valuesEqual(p *Property, stored, want string) bool {
	if p.Type == "enumeration" && p.FieldType == "checkbox" {
		return slices.ContainsFunc(strings.Split(stored, ";"), func(part string) bool {
			return strings.EqualFold(part, want)
		})
	}
	return compareValues(p, stored, want) == 0
}

func compareValues(p *Property, a, b string) int {
	return parseValue(p, a).compare(p, parseValue(p, b))
}

// containsToken matches a word of the value, case-insensitively; '*' in the token is a
// wildcard ("*@example.com" finds every address at that domain).
func containsToken(value, token string) bool {
	value, token = strings.ToLower(value), strings.ToLower(token)
	words := strings.FieldsFunc(value, func(r rune) bool { return unicode.IsSpace(r) || r == ';' || r == ',' })
	words = append(words, value)
	for _, w := range words {
		if strings.Contains(token, "*") {
			if ok, _ := path.Match(token, w); ok {
				return true
			}
		} else if w == token {
			return true
		}
	}
	return false
}
