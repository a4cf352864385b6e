package sandbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/sandbox"
)

const lagEmail = "lag@acme.example"

// searchFirstnames is what search shows of the contact(s) with lagEmail: their first names.
func searchFirstnames(t *testing.T, e *env) []string {
	t.Helper()
	res := e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{
		"filterGroups": []any{map[string]any{"filters": []any{filter("email", "EQ", "value", lagEmail)}}},
		"properties":   []string{"firstname"},
	}).want(t, http.StatusOK)
	names := []string{}
	for _, r := range res.list("results") {
		names = append(names, r.(map[string]any)["properties"].(map[string]any)["firstname"].(string))
	}
	return names
}

// storedFirstname is what the immediate reads show: by id, by email, in a batch read and in
// the listing. They must agree; "" means the contact is not there.
func storedFirstname(t *testing.T, e *env, id string) string {
	t.Helper()
	byID := e.do("GET", "/crm/v3/objects/contacts/"+id+"?properties=firstname", nil)
	byEmail := e.do("GET", "/crm/v3/objects/contacts/"+lagEmail+"?idProperty=email&properties=firstname", nil)
	batch := e.do("POST", "/crm/v3/objects/contacts/batch/read", map[string]any{
		"inputs": []any{map[string]any{"id": id}}, "properties": []string{"firstname"}})
	listed := ""
	for _, r := range e.do("GET", "/crm/v3/objects/contacts?limit=100&properties=firstname", nil).want(t, http.StatusOK).list("results") {
		if m := r.(map[string]any); m["id"] == id {
			listed = m["properties"].(map[string]any)["firstname"].(string)
		}
	}
	got := map[string]string{"byID": byID.str("properties", "firstname"), "byEmail": byEmail.str("properties", "firstname"),
		"batch": batch.str("results", 0, "properties", "firstname"), "listed": listed}
	want := map[string]string{"byID": got["byID"], "byEmail": got["byID"], "batch": got["byID"], "listed": got["byID"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("immediate reads disagree (-as by id +got):\n%s", diff)
	}
	return got["byID"]
}

// TestSearchLag: a write reaches search only once the search lag has passed, counted on
// the injected clock; until then search sees the record as it was. Reads by id, by email,
// batch reads and listings see every write at once.
func TestSearchLag(t *testing.T) {
	create := func(e *env, id *string) {
		*id = e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", lagEmail, "firstname", "Ada")}).
			want(t, http.StatusCreated).str("id")
	}
	rename := func(name string) func(*env, *string) {
		return func(e *env, id *string) {
			e.do("PATCH", "/crm/v3/objects/contacts/"+*id, map[string]any{"properties": props("firstname", name)}).want(t, http.StatusOK)
		}
	}
	archive := func(e *env, id *string) {
		e.do("DELETE", "/crm/v3/objects/contacts/"+*id, nil).want(t, http.StatusNoContent)
	}
	upsert := func(name string) func(*env, *string) {
		return func(e *env, id *string) {
			*id = e.do("POST", "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{map[string]any{
				"idProperty": "email", "id": lagEmail, "properties": props("firstname", name)}}}).
				want(t, http.StatusOK).str("results", 0, "id")
		}
	}
	const lag = sandbox.DefaultSearchLag
	type step struct {
		name     string
		write    func(*env, *string) // nil: only the clock moves
		advance  time.Duration       // after the write, before looking
		searched []string
		stored   string
	}
	tests := []struct {
		name  string
		opts  sandbox.Options
		steps []step
	}{
		{"a created record is absent until the lag has passed", sandbox.Options{}, []step{
			{"create", create, 0, []string{}, "Ada"},
			{"just before the lag", nil, lag - time.Millisecond, []string{}, "Ada"},
			{"at the lag", nil, time.Millisecond, []string{"Ada"}, "Ada"},
		}},
		{"an update is searched with its old values, then its new ones", sandbox.Options{}, []step{
			{"create", create, lag, []string{"Ada"}, "Ada"},
			{"rename", rename("Grace"), 0, []string{"Ada"}, "Grace"},
			{"after the lag", nil, lag, []string{"Grace"}, "Grace"},
		}},
		{"each write's lag counts from that write", sandbox.Options{}, []step{
			{"create", create, lag, []string{"Ada"}, "Ada"},
			{"rename", rename("Grace"), lag / 2, []string{"Ada"}, "Grace"},
			{"rename again", rename("Lin"), lag / 2, []string{"Grace"}, "Lin"},
			{"after the second lag", nil, lag / 2, []string{"Lin"}, "Lin"},
		}},
		{"an archived record stays searchable until the lag has passed", sandbox.Options{}, []step{
			{"create", create, lag, []string{"Ada"}, "Ada"},
			{"archive", archive, 0, []string{"Ada"}, ""},
			{"after the lag", nil, lag, []string{}, ""},
		}},
		{"batch upsert creates and updates with the lag", sandbox.Options{}, []step{
			{"upsert a new contact", upsert("Ada"), 0, []string{}, "Ada"},
			{"after the lag", nil, lag, []string{"Ada"}, "Ada"},
			{"upsert it again", upsert("Grace"), 0, []string{"Ada"}, "Grace"},
			{"after the second lag", nil, lag, []string{"Grace"}, "Grace"},
		}},
		{"a configured lag", sandbox.Options{SearchLag: time.Hour}, []step{
			{"create", create, lag, []string{}, "Ada"},
			{"after an hour", nil, time.Hour - lag, []string{"Ada"}, "Ada"},
		}},
		{"NoSearchLag shows every write at once", sandbox.Options{SearchLag: sandbox.NoSearchLag}, []step{
			{"create", create, 0, []string{"Ada"}, "Ada"},
			{"rename", rename("Grace"), 0, []string{"Grace"}, "Grace"},
			{"archive", archive, 0, []string{}, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			var id string
			for _, s := range tt.steps {
				if s.write != nil {
					s.write(e, &id)
				}
				e.clock.Advance(s.advance)
				if diff := cmp.Diff(s.searched, searchFirstnames(t, e)); diff != "" {
					t.Errorf("%s: search (-want +got):\n%s", s.name, diff)
				}
				if got := storedFirstname(t, e, id); got != s.stored {
					t.Errorf("%s: read by id shows %q, want %q", s.name, got, s.stored)
				}
			}
		})
	}
}

// TestSearchLagFiltersOnTheOldValues: while an update is pending, filters and sorts
// evaluate the values search saw, not the new ones.
func TestSearchLagFiltersOnTheOldValues(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	id := e.seed.Contacts[0]
	e.do("PATCH", "/crm/v3/objects/contacts/"+id, map[string]any{"properties": props("firstname", "Zelda")}).want(t, http.StatusOK)
	byName := []map[string]any{filter("firstname", "EQ", "value", "Zelda")}
	if got := searchTotal(t, e, "contacts", byName); got != 0 {
		t.Fatalf("the new value matched before the lag: total %d", got)
	}
	e.clock.Advance(sandbox.DefaultSearchLag)
	if got := searchTotal(t, e, "contacts", byName); got != 1 {
		t.Fatalf("the new value matched %d records after the lag, want 1", got)
	}
}
