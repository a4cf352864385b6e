package sandbox_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/google/go-cmp/cmp"
)

// tiesEnv imports 24 contacts under one create time (an import stamps them so): contact i
// has lifetime_value 100*(i+1) (no two alike) and jobtitle Analyst (i%3 == 0), Buyer (1) or
// none (2). It returns their ids in import order, which is id order.
func tiesEnv(t *testing.T, seed uint64) (*env, []string) {
	t.Helper()
	e := newEnv(t, sandbox.Options{Seed: seed})
	var recs []map[string]string
	for i := range 24 {
		r := map[string]string{"email": "c" + strconv.Itoa(i) + "@ties.example", "lifetime_value": strconv.Itoa(100 * (i + 1))}
		if title := []string{"Analyst", "Buyer", ""}[i%3]; title != "" {
			r["jobtitle"] = title
		}
		recs = append(recs, r)
	}
	ids, err := e.sb.ImportRecords(e.acct.HubID, "contacts", recs)
	if err != nil {
		t.Fatal(err)
	}
	return e, ids
}

// searchTiesIDs searches the imported contacts, all on one page, and returns their ids in the
// order given.
func searchTiesIDs(t *testing.T, e *env, sorts []any) []string {
	t.Helper()
	body := map[string]any{
		"filterGroups": []any{map[string]any{"filters": []any{filter("email", "CONTAINS_TOKEN", "value", "*@ties.example")}}},
		"limit":        100,
	}
	if sorts != nil {
		body["sorts"] = sorts
	}
	res := e.do("POST", "/crm/v3/objects/contacts/search", body).want(t, 200)
	var ids []string
	for _, r := range res.list("results") {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	return ids
}

// HubSpot honours one sort and states no order among the records it ties, and that order may
// differ between calls. So the sandbox sorts by the value and shuffles ties on every call: a
// caller that pages past ties must sort by a property no two records share (hs_object_id).
func TestSearchTiesComeInNoStatedOrder(t *testing.T) {
	e, ids := tiesEnv(t, 7)
	pick := func(rem int) []string { // the imported ids of i%3 == rem, in id order
		var out []string
		for i, id := range ids {
			if i%3 == rem {
				out = append(out, id)
			}
		}
		return out
	}
	analysts, buyers, untitled := pick(0), pick(1), pick(2)
	reversed := slices.Clone(ids)
	slices.Reverse(reversed)
	sortBy := func(prop, dir string) []any {
		return []any{map[string]any{"propertyName": prop, "direction": dir}}
	}
	tests := []struct {
		name  string
		sorts []any
		// want is the answer as runs of records: the runs in this order, each run's records
		// in any order; a run of one is a record the sort places.
		want [][]string
		// shuffled: a run of several must not come in id order, nor in the same order on
		// the next call. Without a sort the sandbox keeps id order (HubSpot documents no
		// default order).
		shuffled bool
	}{
		{"every record ties (one create time)", sortBy("createdate", "ASCENDING"), [][]string{ids}, true},
		{"every record ties, descending", sortBy("createdate", "DESCENDING"), [][]string{ids}, true},
		{"no ties: sorted ascending", sortBy("lifetime_value", "ASCENDING"), runsOfOne(ids), false},
		{"no ties: sorted descending", sortBy("lifetime_value", "DESCENDING"), runsOfOne(reversed), false},
		{"runs of ties in sort order, records without the value last",
			sortBy("jobtitle", "ASCENDING"), [][]string{analysts, buyers, untitled}, true},
		{"runs of ties descending, records without the value still last",
			sortBy("jobtitle", "DESCENDING"), [][]string{buyers, analysts, untitled}, true},
		{"no sort: id order", nil, runsOfOne(ids), false},
		{"a sort on an unknown property: id order", sortBy("no_such_property", "ASCENDING"), runsOfOne(ids), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := searchTiesIDs(t, e, tt.sorts)
			again := searchTiesIDs(t, e, tt.sorts)
			for call, got := range [][]string{first, again} {
				if d := cmp.Diff(tt.want, runsLike(got, tt.want), cmp.Transformer("set", sortedCopy)); d != "" {
					t.Fatalf("call %d: runs (-want +got):\n%s\nresults %v", call+1, d, got)
				}
			}
			if !tt.shuffled {
				if d := cmp.Diff(first, again); d != "" {
					t.Errorf("no ties, yet the order changed between calls (-first +again):\n%s", d)
				}
				return
			}
			for i, run := range runsLike(first, tt.want) {
				if len(run) < 2 {
					continue
				}
				if slices.Equal(run, tt.want[i]) {
					t.Errorf("run %d came in id order %v: ties must not look ordered", i, run)
				}
				if next := runsLike(again, tt.want)[i]; slices.Equal(run, next) {
					t.Errorf("run %d came in the same order on two calls %v: HubSpot's tie order may differ between calls", i, run)
				}
			}
		})
	}
}

// The shuffle comes from the seeded random source: the same seed and the same calls give the
// same answers, so a failing run can be replayed.
func TestSearchTiesReplayForOneSeed(t *testing.T) {
	sorts := []any{map[string]any{"propertyName": "createdate", "direction": "ASCENDING"}}
	answers := func(seed uint64) [][]string {
		e, _ := tiesEnv(t, seed)
		return [][]string{searchTiesIDs(t, e, sorts), searchTiesIDs(t, e, sorts)}
	}
	a, b := answers(7), answers(7)
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("two runs with seed 7 differ (-first +second):\n%s", d)
	}
	if d := cmp.Diff(a, answers(8)); d == "" {
		t.Errorf("seeds 7 and 8 gave the same tie orders %v: the seed must drive them", a)
	}
}

// runsOfOne is ids as runs of one record each: an order fully stated.
func runsOfOne(ids []string) [][]string {
	var out [][]string
	for _, id := range ids {
		out = append(out, []string{id})
	}
	return out
}

// runsLike cuts got into consecutive runs of want's lengths; what is left over, if anything,
// is one more run.
func runsLike(got []string, want [][]string) [][]string {
	var out [][]string
	for _, w := range want {
		n := min(len(w), len(got))
		out = append(out, got[:n])
		got = got[n:]
	}
	if len(got) > 0 {
		out = append(out, got)
	}
	return out
}

func sortedCopy(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
