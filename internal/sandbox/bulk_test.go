package sandbox_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/sandbox"
)

// 25,000 contacts bulk-edited with one timestamp are all found by a search that pages by
// (lastmodifieddate, hs_object_id) past the 10,000-result cap: "modified after t, or at t
// with an id above the last one seen", sorted by modified time (ties in id order). With
// -short, 2,500 contacts past a cap of 1,000.
func TestBulkEditOfManyRecordsIsFoundPastTheSearchCap(t *testing.T) {
	n, cap := 25_000, 10_000
	if testing.Short() {
		n, cap = 2_500, 1_000
	}
	e := newEnv(t, sandbox.Options{Search: sandbox.SearchLimits{MaxResultsPerQuery: cap}})
	for i := range n {
		if _, err := e.sb.CreateRecord(e.acct.HubID, "contacts", map[string]string{"email": "c" + strconv.Itoa(i) + "@bulk.example"}); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(time.Hour)
	res, err := e.sb.BulkEdit(e.acct.HubID, sandbox.BulkEdit{ObjectType: "contacts", Property: "jobtitle", Value: "Bulk", Count: n})
	if err != nil || res.Edited != n || !res.ModifiedAt.Equal(e.clock.Now().Truncate(time.Millisecond)) {
		t.Fatalf("bulk edit: %+v, %v", res, err)
	}
	at := strconv.FormatInt(res.ModifiedAt.UnixMilli(), 10)
	e.clock.Advance(sandbox.DefaultSearchLag) // the edit reaches search after the lag

	// Paging by offset stops at the cap.
	e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{"after": strconv.Itoa(cap), "limit": 200}).want(t, http.StatusBadRequest)

	seen := map[string]bool{}
	lastTime, lastID := strconv.FormatInt(res.ModifiedAt.UnixMilli()-1, 10), "0"
	for page := 0; page < n/200+2; page++ { // bounded: one more page than needed
		body := e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{
			"filterGroups": []any{
				map[string]any{"filters": []any{
					map[string]any{"propertyName": "lastmodifieddate", "operator": "GT", "value": lastTime}}},
				map[string]any{"filters": []any{
					map[string]any{"propertyName": "lastmodifieddate", "operator": "EQ", "value": lastTime},
					map[string]any{"propertyName": "hs_object_id", "operator": "GT", "value": lastID}}},
			},
			"sorts":      []any{map[string]any{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}},
			"properties": []string{"jobtitle"},
			"limit":      200,
		}).want(t, 200)
		results := body.list("results")
		if len(results) == 0 {
			break
		}
		for _, r := range results {
			m := r.(map[string]any)
			p := m["properties"].(map[string]any)
			id := m["id"].(string)
			if seen[id] {
				t.Fatalf("contact %s returned twice", id)
			}
			seen[id] = true
			if p["lastmodifieddate"] != res.ModifiedAt.UTC().Format(isoMillis) || p["jobtitle"] != "Bulk" {
				t.Fatalf("contact %s: %v", id, p)
			}
			lastID = id
		}
		lastTime = at
	}
	if len(seen) != n {
		t.Errorf("found %d contacts, want %d", len(seen), n)
	}
}

// BenchmarkBulkEdit25000 times one bulk edit of 25,000 contacts (the README's "well under a
// second"), change log included.
func BenchmarkBulkEdit25000(b *testing.B) {
	sb := sandbox.New(sandbox.Options{})
	acct, err := sb.CreateAccount(sandbox.Account{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 25_000 {
		if _, err := sb.CreateRecord(acct.HubID, "contacts", map[string]string{"email": "c" + strconv.Itoa(i) + "@bulk.example"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sb.BulkEdit(acct.HubID, sandbox.BulkEdit{ObjectType: "contacts", Property: "jobtitle", Value: "v" + strconv.Itoa(i), Count: 25_000}); err != nil {
			b.Fatal(err)
		}
	}
}
