package sandbox_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/google/go-cmp/cmp"
)

// 25,000 contacts bulk-edited with one timestamp are all found past the 10,000-result cap
// by walking that time by id: "modified at t with an id above the last one seen", sorted by
// hs_object_id. A sort by modified time would not do: it ties all 25,000, and HubSpot states
// no order among ties (the sandbox shuffles them), so a page's last id would not say which
// ids the page read. With -short, 2,500 contacts past a cap of 1,000.
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
	lastID := int64(0)
	for page := 0; page < n/200+2; page++ { // bounded: one more page than needed
		body := e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{
			"filterGroups": []any{map[string]any{"filters": []any{
				map[string]any{"propertyName": "lastmodifieddate", "operator": "EQ", "value": at},
				map[string]any{"propertyName": "hs_object_id", "operator": "GT", "value": strconv.FormatInt(lastID, 10)}}}},
			"sorts":      []any{map[string]any{"propertyName": "hs_object_id", "direction": "ASCENDING"}},
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
			id, err := strconv.ParseInt(m["id"].(string), 10, 64)
			if err != nil || id <= lastID {
				t.Fatalf("contact %s after %d: not in ascending id order", m["id"], lastID)
			}
			seen[m["id"].(string)] = true
			if p["lastmodifieddate"] != res.ModifiedAt.UTC().Format(isoMillis) || p["jobtitle"] != "Bulk" {
				t.Fatalf("contact %d: %v", id, p)
			}
			lastID = id
		}
	}
	if len(seen) != n {
		t.Errorf("found %d contacts, want %d", len(seen), n)
	}
}

// An import stores its records under one create time, searchable at once, or stores none of
// them when one is invalid: what a search paging past the 10,000-result cap by create time
// must then read by id.
func TestImportRecordsSharesOneCreateTime(t *testing.T) {
	note := func(body string) map[string]string {
		return map[string]string{"hs_timestamp": "2026-03-10T09:00:00.000Z", "hs_note_body": body}
	}
	invalid := func(err error) bool { _, ok := errors.AsType[*sandbox.ValidationError](err); return ok }
	conflict := func(err error) bool { return errors.Is(err, sandbox.ErrConflict) }
	tests := []struct {
		name    string
		object  string
		records []map[string]string
		refused func(error) bool // nil: imported
	}{
		{"notes", "notes", []map[string]string{note("a"), note("b"), note("c")}, nil},
		{"a read-only create time is refused like any write", "notes",
			[]map[string]string{note("a"), {"hs_createdate": "2020-01-01T00:00:00.000Z", "hs_note_body": "b"}}, invalid},
		{"an invalid value", "notes", []map[string]string{note("a"), {"hs_timestamp": "yesterday"}}, invalid},
		{"an email twice in the import", "contacts", []map[string]string{{"email": "twice@import.example"}, {"email": "TWICE@import.example"}},
			conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			before := e.sb.RecordCount(e.acct.HubID, tt.object)
			e.clock.Advance(time.Hour)
			ids, err := e.sb.ImportRecords(e.acct.HubID, tt.object, tt.records)
			if tt.refused != nil {
				if !tt.refused(err) {
					t.Fatalf("ImportRecords: %v, want it refused", err)
				}
				if got := e.sb.RecordCount(e.acct.HubID, tt.object); got != before {
					t.Errorf("%d %s after a refused import, want the %d before it", got, tt.object, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			created := e.clock.Now().UTC().Format(isoMillis)
			// Searchable at once (no search lag), one create time, in the order given.
			body := e.do("POST", "/crm/v3/objects/"+tt.object+"/search", map[string]any{
				"filterGroups": []any{map[string]any{"filters": []any{
					map[string]any{"propertyName": "hs_createdate", "operator": "EQ", "value": created}}}},
				"sorts":      []any{map[string]any{"propertyName": "hs_object_id", "direction": "ASCENDING"}},
				"properties": []string{"hs_note_body", "hs_createdate"},
			}).want(t, http.StatusOK)
			var got, want []string
			for i, r := range body.list("results") {
				m := r.(map[string]any)
				p := m["properties"].(map[string]any)
				got = append(got, m["id"].(string)+" "+p["hs_note_body"].(string)+" "+p["hs_createdate"].(string))
				want = append(want, ids[i]+" "+tt.records[i]["hs_note_body"]+" "+created)
			}
			if d := cmp.Diff(want, got); d != "" || len(ids) != len(tt.records) {
				t.Errorf("imported %v; search by their create time (-want +got):\n%s", ids, d)
			}
		})
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
