package sandbox_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/connectflo/integrations/internal/sandbox"
)

const isoMillis = "2006-01-02T15:04:05.000Z"

// Every write stamps the type's modified-time property with the clock's time in
// milliseconds, keeps hs_object_id, and both can be filtered and sorted on in search.
func TestWritesStampModifiedTimeAndObjectID(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	contact, company, deal := e.seed.Contacts[0], e.seed.Companies[0], e.seed.Deals[0]
	tests := []struct {
		name, objectType, modified string
		write                      func() string // returns the written record's id
	}{
		{"create, legacy path", "contacts", "lastmodifieddate", func() string {
			return e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "new@stamp.example")}).
				want(t, http.StatusCreated).str("id")
		}},
		{"update, dated path", "companies", "hs_lastmodifieddate", func() string {
			e.do("PATCH", "/crm/objects/2026-03/companies/"+company, map[string]any{"properties": props("name", "Stamped")}).want(t, 200)
			return company
		}},
		{"batch upsert by email", "contacts", "lastmodifieddate", func() string {
			e.do("POST", "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{
				map[string]any{"id": "upsert@stamp.example", "idProperty": "email", "properties": props("firstname", "Up")}}}).want(t, 200)
			rs := e.sb.Records(e.acct.HubID, "contacts")
			return rs[len(rs)-1].ID
		}},
		{"batch update", "deals", "hs_lastmodifieddate", func() string {
			e.do("POST", "/crm/v3/objects/deals/batch/update", map[string]any{"inputs": []any{
				map[string]any{"id": deal, "properties": props("amount", "42")}}}).want(t, 200)
			return deal
		}},
		{"edit made in HubSpot", "contacts", "lastmodifieddate", func() string {
			if err := e.sb.EditRecord(e.acct.HubID, "contacts", contact, map[string]string{"jobtitle": "CTO"}); err != nil {
				t.Fatal(err)
			}
			return contact
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(1234567 * time.Microsecond) // sub-millisecond part dropped
			id := tt.write()
			got, ok := e.sb.Record(e.acct.HubID, tt.objectType, id)
			if !ok {
				t.Fatalf("record %s missing", id)
			}
			want := e.clock.Now().UTC().Format(isoMillis)
			if got[tt.modified] != want || got["hs_object_id"] != id {
				t.Fatalf("%s = %q, hs_object_id = %q; want %q and %q", tt.modified, got[tt.modified], got["hs_object_id"], want, id)
			}
			writtenAt := e.clock.Now().UnixMilli()
			e.clock.Advance(sandbox.DefaultSearchLag) // the write reaches search after the lag
			found := e.do("POST", "/crm/v3/objects/"+tt.objectType+"/search", map[string]any{
				"filterGroups": []any{map[string]any{"filters": []any{
					map[string]any{"propertyName": tt.modified, "operator": "GTE", "value": writtenAt},
					map[string]any{"propertyName": "hs_object_id", "operator": "EQ", "value": id}}}},
				"sorts": []any{map[string]any{"propertyName": tt.modified, "direction": "DESCENDING"}}}).want(t, 200)
			if found.str("results", 0, "id") != id {
				t.Fatalf("search by %s GTE now and hs_object_id: %s", tt.modified, found.raw)
			}
		})
	}
}

// A deleted record leaves the live listing for GET ?archived=true, on both path families,
// with its archivedAt; restoring it brings it back.
func TestArchivedListingAndRestore(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	id := e.seed.Contacts[0]
	e.clock.Advance(time.Minute)
	e.do("DELETE", "/crm/objects/2026-03/contacts/"+id, nil).want(t, http.StatusNoContent)
	deletedAt := e.clock.Now().UTC().Format(isoMillis)
	for _, path := range []string{"/crm/v3/objects/contacts", "/crm/objects/2026-03/contacts"} {
		archived := e.do("GET", path+"?archived=true", nil).want(t, 200)
		got := [][2]any{}
		for _, r := range archived.list("results") {
			m := r.(map[string]any)
			got = append(got, [2]any{m["id"], m["archivedAt"]})
		}
		if diff := cmp.Diff([][2]any{{id, deletedAt}}, got); diff != "" {
			t.Errorf("%s?archived=true (-want +got):\n%s", path, diff)
		}
		for _, r := range e.do("GET", path+"?limit=100", nil).want(t, 200).list("results") {
			if r.(map[string]any)["id"] == id {
				t.Errorf("%s lists the deleted record", path)
			}
		}
	}
	e.clock.Advance(time.Minute)
	if err := e.sb.RestoreRecord(e.acct.HubID, "contacts", id); err != nil {
		t.Fatal(err)
	}
	if n := len(e.do("GET", "/crm/v3/objects/contacts?archived=true", nil).want(t, 200).list("results")); n != 0 {
		t.Errorf("%d archived records after the restore, want 0", n)
	}
	got := e.do("GET", "/crm/v3/objects/contacts/"+id+"?properties=lastmodifieddate", nil).want(t, 200)
	if want := e.clock.Now().UTC().Format(isoMillis); got.str("properties", "lastmodifieddate") != want {
		t.Errorf("restored record's lastmodifieddate %q, want %q", got.str("properties", "lastmodifieddate"), want)
	}
	if err := e.sb.RestoreRecord(e.acct.HubID, "contacts", id); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("restoring a live record: %v, want ErrNotFound", err)
	}
}

// The change log records what each write changed, who made it and when.
func TestChangeLogRecordsEveryChange(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	hub := e.acct.HubID
	appID := e.sb.Tokens(hub)[0].AppID
	app := func(ev sandbox.ChangeEvent) sandbox.ChangeEvent {
		ev.ChangeSource, ev.SourceID, ev.AppID = sandbox.SourceIntegration, itoa(appID), appID
		return ev
	}
	ui := func(ev sandbox.ChangeEvent) sandbox.ChangeEvent {
		ev.ChangeSource, ev.SourceID = sandbox.SourceCRMUI, "userId:50000000"
		return ev
	}
	start := lastEventID(t, e)

	e.clock.Advance(time.Second)
	created := e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "log@example.com", "firstname", "Lo")}).
		want(t, http.StatusCreated).str("id")
	company := e.seed.Companies[0]
	e.do("PUT", "/crm/v4/objects/contacts/"+created+"/associations/default/companies/"+company, nil).want(t, 200)
	e.do("PATCH", "/crm/v3/objects/contacts/"+created, map[string]any{"properties": props("firstname", "Lou", "email", "log@example.com")}).want(t, 200)
	if err := e.sb.EditRecord(hub, "contacts", created, map[string]string{"firstname": ""}); err != nil {
		t.Fatal(err)
	}
	other := e.seed.Contacts[1]
	e.do("POST", "/crm/v3/objects/contacts/merge", map[string]any{"primaryObjectId": created, "objectIdToMerge": other}).want(t, 200)
	if err := e.sb.DeleteRecord(hub, "contacts", created); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.RestoreRecord(hub, "contacts", created); err != nil {
		t.Fatal(err)
	}

	got, err := e.sb.Changes(hub, start, 0)
	if err != nil {
		t.Fatal(err)
	}
	at := e.clock.Now().UTC()
	c := func(kind string) sandbox.ChangeEvent {
		return sandbox.ChangeEvent{OccurredAt: at, ObjectType: "contacts", ObjectID: created, Kind: kind}
	}
	prop := func(name, value string) sandbox.ChangeEvent {
		ev := c(sandbox.ChangePropertyChange)
		ev.PropertyName, ev.PropertyValue = name, value
		return ev
	}
	assoc := func(objectType, from, to, typ string) sandbox.ChangeEvent {
		return sandbox.ChangeEvent{OccurredAt: at, ObjectType: objectType, ObjectID: from, Kind: sandbox.ChangeAssociationChange,
			FromObjectID: from, ToObjectID: to, AssociationType: typ}
	}
	merge := c(sandbox.ChangeMerge)
	merge.PrimaryObjectID, merge.MergedObjectIDs, merge.NewObjectID = created, []string{other}, created
	want := []sandbox.ChangeEvent{
		app(c(sandbox.ChangeCreation)), app(prop("email", "log@example.com")), app(prop("firstname", "Lo")),
		app(assoc("contacts", created, company, "CONTACT_TO_COMPANY")), app(assoc("companies", company, created, "COMPANY_TO_CONTACT")),
		app(prop("firstname", "Lou")), // the unchanged email is not a change
		ui(prop("firstname", "")),
		app(merge),
	}
	// The merged contact's values fill the primary's gaps; its associations move over.
	mergedTail := got[len(want):]
	var fills []sandbox.ChangeEvent
	for _, ev := range mergedTail {
		if ev.Kind == sandbox.ChangeDeletion {
			break
		}
		fills = append(fills, ev)
	}
	if len(fills) == 0 || fills[0].ChangeSource != sandbox.SourceIntegration {
		t.Errorf("no changes logged for the merge's filled values and moved associations: %+v", mergedTail)
	}
	want = append(want, fills...)
	want = append(want, ui(c(sandbox.ChangeDeletion)), ui(c(sandbox.ChangeRestore)))
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(sandbox.ChangeEvent{}, "EventID")); diff != "" {
		t.Errorf("change log (-want +got):\n%s", diff)
	}
	for i := 1; i < len(got); i++ {
		if got[i].EventID <= got[i-1].EventID {
			t.Fatalf("event ids not increasing: %d then %d", got[i-1].EventID, got[i].EventID)
		}
	}
	if _, ok := e.sb.Record(hub, "contacts", other); ok {
		t.Errorf("the merged contact %s is still readable", other)
	}
}

func lastEventID(t *testing.T, e *env) int64 {
	t.Helper()
	evs, err := e.sb.Changes(e.acct.HubID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].EventID
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
