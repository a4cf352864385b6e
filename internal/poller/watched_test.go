package poller

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// The watched properties are the type's defaults, then the writable discovered fields,
// without repeats and at most MaxWatched.
func TestWatched(t *testing.T) {
	many := make([]string, 300)
	for i := range many {
		many[i] = fmt.Sprintf("custom_%03d", i)
	}
	tests := []struct {
		name       string
		objectType string
		extra      []string
		wantFirst  []string
		wantLen    int
	}{
		{"defaults only", "deals", nil,
			[]string{"dealname", "dealstage", "pipeline", "amount", "closedate", "hubspot_owner_id"}, 6},
		{"extra after the defaults, repeats dropped", "companies", []string{"domain", "industry"},
			[]string{"name", "domain", "lifecyclestage", "hubspot_owner_id", "industry"}, 5},
		{"bounded", "contacts", many, nil, MaxWatched},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Watched(tt.objectType, tt.extra)
			if len(got) != tt.wantLen {
				t.Fatalf("%d watched, want %d", len(got), tt.wantLen)
			}
			if tt.wantFirst != nil {
				if diff := cmp.Diff(tt.wantFirst, got[:len(tt.wantFirst)]); diff != "" {
					t.Errorf("watched (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// Only fields a user can edit are watched: read-only and calculated ones change on their own.
func TestWritableFields(t *testing.T) {
	e := newEnv(t, sandbox.SearchLimits{})
	_, err := e.st.ReplaceFieldSchemas(t.Context(), e.conn.Workspace, e.conn.ID, []store.SchemaUpdate{
		{ObjectType: "contacts", Fields: []fields.Field{{Name: "email"}, {Name: "account_tier"}, {Name: "hs_object_id", ReadOnly: true},
			{Name: "score", ReadOnly: true, Calculated: true}}},
		{ObjectType: "notes", Fields: []fields.Field{{Name: "hs_note_body"}}},
	}, nil, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := e.st.GetConnection(t.Context(), e.conn.Workspace, e.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := WritableFields(e.st)(t.Context(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{"contacts": {"email", "account_tier"}}, got); diff != "" {
		t.Errorf("writable fields (-want +got):\n%s", diff)
	}
}

// newlyMerged: the ids a merged-ids list gained since a snapshot kept it.
func TestNewlyMerged(t *testing.T) {
	for _, tc := range []struct {
		name, before, now string
		want              []string
	}{
		{"never merged", "", "", nil},
		{"unchanged", "11;12", "11;12", nil},
		{"a first merge", "", "11", []string{"11"}},
		{"a merge brings the ids merged into the merged record", "11", "11;21;22;20", []string{"21", "22", "20"}},
		{"repeats once", "", "11;11", []string{"11"}},
		{"a list kept as its digest: every id", storedMerged(strings.Repeat("1234567890;", 100)), "11;12", []string{"11", "12"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, newlyMerged(tc.before, tc.now)); d != "" {
				t.Errorf("newlyMerged(%.20q, %q) (-want +got):\n%s", tc.before, tc.now, d)
			}
		})
	}
}
