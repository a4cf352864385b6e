package sandbox_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/connectflo/integrations/internal/sandbox"
)

func filter(prop, op string, extra ...any) map[string]any {
	f := map[string]any{"propertyName": prop, "operator": op}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i].(string)] = extra[i+1]
	}
	return f
}

func searchTotal(t *testing.T, e *env, object string, groups ...[]map[string]any) int {
	t.Helper()
	var fg []any
	for _, g := range groups {
		fg = append(fg, map[string]any{"filters": g})
	}
	res := e.do("POST", "/crm/v3/objects/"+object+"/search", map[string]any{"filterGroups": fg}).want(t, 200)
	return int(res.get("total").(float64))
}

// The seed has 20 contacts: account_tier cycles free/pro/enterprise (7/7/6),
// lifetime_value is 1000*(i+1), every 2nd opts into the newsletter, product_interests
// cycles widgets / widgets;gadgets / services.
func TestSearchOperators(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	one := func(f map[string]any) [][]map[string]any { return [][]map[string]any{{f}} }
	tests := []struct {
		name   string
		object string
		groups [][]map[string]any
		want   int
	}{
		{"EQ enumeration", "contacts", one(filter("account_tier", "EQ", "value", "pro")), 7},
		{"EQ is case-insensitive for text", "contacts", one(filter("firstname", "EQ", "value", "ADA")), 2},
		{"NEQ includes records without the value", "contacts", one(filter("account_tier", "NEQ", "value", "pro")), 13},
		{"LT number", "contacts", one(filter("lifetime_value", "LT", "value", "3000")), 2},
		{"LTE number", "contacts", one(filter("lifetime_value", "LTE", "value", 3000)), 3},
		{"GT number", "contacts", one(filter("lifetime_value", "GT", "value", "19000")), 1},
		{"GTE number", "contacts", one(filter("lifetime_value", "GTE", "value", "19000")), 2},
		{"BETWEEN inclusive", "contacts", one(filter("lifetime_value", "BETWEEN", "value", "5000", "highValue", "7000")), 3},
		{"BETWEEN dates as epoch millis", "contacts", one(filter("renewal_date", "BETWEEN",
			"value", "1767225600000", "highValue", "1772323200000")), 6}, // Jan..Mar, twice
		{"IN", "contacts", one(filter("account_tier", "IN", "values", []string{"free", "enterprise"})), 13},
		{"NOT_IN", "contacts", one(filter("account_tier", "NOT_IN", "values", []string{"free", "enterprise"})), 7},
		{"HAS_PROPERTY", "contacts", one(filter("newsletter_opt_in", "HAS_PROPERTY")), 20},
		{"NOT_HAS_PROPERTY", "contacts", one(filter("mobilephone", "NOT_HAS_PROPERTY")), 20},
		{"CONTAINS_TOKEN word", "deals", one(filter("dealname", "CONTAINS_TOKEN", "value", "renewal")), 8},
		{"CONTAINS_TOKEN wildcard", "contacts", one(filter("email", "CONTAINS_TOKEN", "value", "*@acme.example")), 4},
		{"NOT_CONTAINS_TOKEN", "contacts", one(filter("email", "NOT_CONTAINS_TOKEN", "value", "*@acme.example")), 16},
		{"EQ on one option of a multi-select", "contacts", one(filter("product_interests", "EQ", "value", "gadgets")), 7},
		{"datetime GT ISO", "deals", one(filter("closedate", "GT", "value", "2026-07-01T00:00:00Z")), 4},
		{"filters in a group are ANDed", "contacts", [][]map[string]any{{
			filter("account_tier", "EQ", "value", "pro"), filter("lifetime_value", "GT", "value", "10000")}}, 4},
		{"groups are ORed", "contacts", [][]map[string]any{
			{filter("account_tier", "EQ", "value", "free")}, {filter("lifetime_value", "GT", "value", "19000")}}, 8},
		{"associations.company", "contacts", one(filter("associations.company", "EQ", "value", "")), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := searchTotal(t, e, tt.object, tt.groups...); got != tt.want {
				t.Fatalf("total %d, want %d", got, tt.want)
			}
		})
	}
	t.Run("associations filter finds a company's contacts", func(t *testing.T) {
		got := searchTotal(t, e, "contacts", []map[string]any{filter("associations.company", "EQ", "value", e.seed.Companies[0])})
		if got != 4 {
			t.Fatalf("total %d, want 4", got)
		}
	})
}

func TestSearchPagingSortingAndArchived(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	seen := map[string]bool{}
	after, prev := "", 1e18
	for page := 0; ; page++ {
		body := map[string]any{"limit": 6, "sorts": []any{map[string]any{"propertyName": "lifetime_value", "direction": "DESCENDING"}},
			"properties": []string{"lifetime_value"}}
		if after != "" {
			body["after"] = after
		}
		res := e.do("POST", "/crm/v3/objects/contacts/search", body).want(t, 200)
		for _, r := range res.list("results") {
			m := r.(map[string]any)
			seen[m["id"].(string)] = true
			var v float64
			fmt.Sscan(m["properties"].(map[string]any)["lifetime_value"].(string), &v)
			if v > prev {
				t.Fatalf("not sorted descending: %v after %v", v, prev)
			}
			prev = v
		}
		next, _ := res.get("paging", "next", "after").(string)
		if next == "" {
			break
		}
		if want := fmt.Sprint((page + 1) * 6); next != want {
			t.Fatalf("after %q, want stringified offset %q", next, want)
		}
		after = next
	}
	if len(seen) != 20 {
		t.Fatalf("paged through %d contacts, want 20", len(seen))
	}

	e.do("DELETE", "/crm/v3/objects/contacts/"+e.seed.Contacts[0], nil).want(t, http.StatusNoContent)
	e.clock.Advance(sandbox.DefaultSearchLag)
	if got := searchTotal(t, e, "contacts"); got != 19 {
		t.Fatalf("archived records must not appear once search caught up: total %d", got)
	}
}

func TestSearchLimits(t *testing.T) {
	e := newEnv(t, sandbox.Options{Search: sandbox.SearchLimits{MaxResultsPerQuery: 15}})
	group := map[string]any{"filters": []any{filter("email", "HAS_PROPERTY")}}
	tests := []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"empty body is valid", map[string]any{}, 200},
		{"limit above 200", map[string]any{"limit": 201}, 400},
		{"six filter groups", map[string]any{"filterGroups": []any{group, group, group, group, group, group}}, 400},
		{"seven filters in a group", map[string]any{"filterGroups": []any{map[string]any{"filters": []any{
			filter("email", "HAS_PROPERTY"), filter("email", "HAS_PROPERTY"), filter("email", "HAS_PROPERTY"),
			filter("email", "HAS_PROPERTY"), filter("email", "HAS_PROPERTY"), filter("email", "HAS_PROPERTY"),
			filter("email", "HAS_PROPERTY")}}}}, 400},
		{"unknown operator", map[string]any{"filterGroups": []any{map[string]any{"filters": []any{
			filter("email", "LIKE", "value", "x")}}}}, 400},
		{"after at the result cap", map[string]any{"after": "15"}, 400},
		{"after just below the cap", map[string]any{"after": "14"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do("POST", "/crm/v3/objects/contacts/search", tt.body).want(t, tt.status)
		})
	}
	t.Run("paging stops at the cap but total is the true count", func(t *testing.T) {
		res := e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{"limit": 10, "after": "10"}).want(t, 200)
		if len(res.list("results")) != 5 || res.get("paging") != nil || res.get("total") != float64(20) {
			t.Fatalf("got %d results, paging %v, total %v", len(res.list("results")), res.get("paging"), res.get("total"))
		}
	})
	t.Run("default cap is 10,000", func(t *testing.T) {
		d := newEnv(t, sandbox.Options{})
		d.do("POST", "/crm/v3/objects/contacts/search", map[string]any{"after": "10000"}).want(t, 400)
		d.do("POST", "/crm/v3/objects/contacts/search", map[string]any{"after": "9999"}).want(t, 200)
	})
}

// TestSearchRefusesFiltersHubSpotRefuses: a filter on a property the type does not have
// (or has archived) is a 400 naming the property, not a filter that matches nothing; and
// HAS_PROPERTY / NOT_HAS_PROPERTY take no value.
func TestSearchRefusesFiltersHubSpotRefuses(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	search := func(filters ...map[string]any) map[string]any {
		return map[string]any{"filterGroups": []any{map[string]any{"filters": filters}}}
	}
	tests := []struct {
		name    string
		object  string
		body    map[string]any
		status  int
		unknown []string // the properties errors[] must name, in order
	}{
		{"unknown property", "contacts", search(filter("shoe_size", "EQ", "value", "9")), 400, []string{"shoe_size"}},
		{"archived property", "contacts", search(filter("old_segment", "HAS_PROPERTY")), 400, []string{"old_segment"}},
		{"another type's property", "contacts", search(filter("dealname", "EQ", "value", "x")), 400, []string{"dealname"}},
		{"unknown properties in several groups, each named once", "contacts", map[string]any{"filterGroups": []any{
			map[string]any{"filters": []any{filter("email", "HAS_PROPERTY"), filter("shoe_size", "EQ", "value", "9")}},
			map[string]any{"filters": []any{filter("hat_size", "EQ", "value", "7"), filter("shoe_size", "EQ", "value", "8")}},
		}}, 400, []string{"shoe_size", "hat_size"}},
		{"association filter on an unknown type", "contacts", search(filter("associations.spaceship", "EQ", "value", "1")), 400,
			[]string{"associations.spaceship"}},
		{"HAS_PROPERTY with a value", "contacts", search(filter("email", "HAS_PROPERTY", "value", "x")), 400, nil},
		{"NOT_HAS_PROPERTY with a value", "contacts", search(filter("email", "NOT_HAS_PROPERTY", "value", "")), 400, nil},
		{"NOT_HAS_PROPERTY with values", "contacts", search(filter("email", "NOT_HAS_PROPERTY", "values", []string{"x"})), 400, nil},
		{"HAS_PROPERTY without a value", "contacts", search(filter("email", "HAS_PROPERTY")), 200, nil},
		{"a system property", "notes", search(filter("hs_createdate", "GTE", "value", "0")), 200, nil},
		{"association filter on a known type", "contacts", search(filter("associations.company", "EQ", "value", "1")), 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do("POST", "/crm/v3/objects/"+tt.object+"/search", tt.body).want(t, tt.status)
			if tt.status != 400 {
				return
			}
			if res.str("category") != "VALIDATION_ERROR" {
				t.Fatalf("category %q, want VALIDATION_ERROR: %s", res.str("category"), res.raw)
			}
			var named []string
			for i := range res.list("errors") {
				if res.str("errors", i, "code") != "PROPERTY_DOESNT_EXIST" {
					t.Errorf("errors[%d].code = %q, want PROPERTY_DOESNT_EXIST", i, res.str("errors", i, "code"))
				}
				named = append(named, res.str("errors", i, "context", "propertyName", 0))
			}
			if !slices.Equal(named, tt.unknown) {
				t.Fatalf("errors name %v, want %v: %s", named, tt.unknown, res.raw)
			}
		})
	}
}

// TestSearchQueryMatchesTokens: "query" matches words of the type's default searchable
// properties, not substrings of a hand-picked list. The seed's contacts i are
// names[i%10] + lastnames[3i%10], at company i%5, with emails first.lasti@domain and
// phones "+1 617 555 01xx".
func TestSearchQueryMatchesTokens(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	tests := []struct {
		name   string
		object string
		query  string
		want   int
	}{
		{"a word of lastname", "contacts", "lovelace", 2},
		{"case-insensitive", "contacts", "LOVELACE", 2},
		{"part of a word matches nothing", "contacts", "love", 0},
		{"every word must match, in any searchable property", "contacts", "ada lovelace", 2},
		{"a word that matches nowhere fails the query", "contacts", "ada hopper", 0},
		{"a dotted word matches consecutive words of the email", "contacts", "acme.example", 4},
		{"a whole email", "contacts", "ada.lovelace10@acme.example", 1},
		{"company is searchable", "contacts", "corporation", 4},
		{"phone words", "contacts", "617", 20},
		{"city is not a default searchable property", "contacts", "boston", 0},
		{"a custom property is not searched", "contacts", "ext-001", 0},
		{"deal names", "deals", "renewal", 8},
		{"deal type", "deals", "newbusiness", 8},
		{"company domain", "companies", "globex.example", 1},
		{"company city is not searched", "companies", "springfield", 0},
		{"empty query matches everything", "contacts", "  ", 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do("POST", "/crm/v3/objects/"+tt.object+"/search", map[string]any{"query": tt.query}).want(t, 200)
			if got := res.get("total"); got != float64(tt.want) {
				t.Fatalf("query %q: total %v, want %d", tt.query, got, tt.want)
			}
		})
	}
}

// TestSearchSortForms: sorts is typed string[] in HubSpot's spec, so clients send strings:
// a JSON sort object as a string (the npm README's form) is read as that sort, not as a
// property name; "prop" and "-prop" sort ascending and descending; objects work as well.
func TestSearchSortForms(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	tests := []struct {
		name string
		sort any
		want []string // lifetime_value of the first three results
	}{
		{"a JSON object as a string", `{"propertyName":"lifetime_value","direction":"DESCENDING"}`, []string{"20000", "19000", "18000"}},
		{"a JSON object as a string, ascending", ` {"propertyName":"lifetime_value","direction":"ASCENDING"}`, []string{"1000", "2000", "3000"}},
		{"-prop", "-lifetime_value", []string{"20000", "19000", "18000"}},
		{"prop", "lifetime_value", []string{"1000", "2000", "3000"}},
		{"an object", map[string]any{"propertyName": "lifetime_value", "direction": "DESCENDING"}, []string{"20000", "19000", "18000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{
				"sorts": []any{tt.sort}, "properties": []string{"lifetime_value"}, "limit": 3}).want(t, 200)
			var got []string
			for i := range res.list("results") {
				got = append(got, res.str("results", i, "properties", "lifetime_value"))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("lifetime_value %v, want %v: %s", got, tt.want, res.raw)
			}
		})
	}
	t.Run("a string that is not a sort object is refused", func(t *testing.T) {
		e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{"sorts": []string{`{"propertyName":`}}).want(t, 400)
	})
}
