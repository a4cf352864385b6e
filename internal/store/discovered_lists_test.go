package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/connectflo/integrations/internal/fields"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// Property groups and pipelines are replaced with their object type's fields, owners with the
// discovery; a failed part keeps its last good values beside the error, and deleting the
// connection erases them all.
func TestGroupsPipelinesAndOwnersFollowTheSchemas(t *testing.T) {
	storetest.OnEachEngine(t, testGroupsPipelinesAndOwnersFollowTheSchemas)
}

func testGroupsPipelinesAndOwnersFollowTheSchemas(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	if err := s.InsertConnection(ctx, &Connection{Workspace: "acme", ID: "prod", DisplayName: "Prod", Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Owners(ctx, "acme", "prod"); err != nil || !cmp.Equal(got, OwnerList{}) {
		t.Fatalf("owners never discovered = %+v, %v; want a zero list", got, err)
	}
	groups := []fields.Group{{Name: "dealinformation", Label: "Deal information"}, {Name: "custom_properties", Label: "Custom", DisplayOrder: 1}}
	pipelines := []fields.Pipeline{{ID: "1467822", Label: "Enterprise", DisplayOrder: 1, Stages: []fields.Stage{
		{ID: "2096394", Label: "Closed Won", DisplayOrder: 3, Probability: 1, Closed: true}}}}
	owners := []fields.Owner{{ID: "41629780", Email: "jonas@x.example", FirstName: "Jonas", LastName: "Weber",
		Teams: []fields.Team{{ID: "5802", Name: "Senior Support", Primary: true}}}, {ID: "41629783", Archived: true}}

	if _, err := s.ReplaceFieldSchemas(ctx, "acme", "prod", []SchemaUpdate{
		{ObjectType: "deals", Fields: []fields.Field{{Name: "dealstage"}}, Groups: groups, Pipelines: pipelines},
		{ObjectType: "contacts", Fields: []fields.Field{{Name: "email"}}},
	}, &OwnersUpdate{Owners: owners}, now); err != nil {
		t.Fatal(err)
	}
	// Deals and owners fail the second time: both keep what the first discovery read.
	if _, err := s.ReplaceFieldSchemas(ctx, "acme", "prod", []SchemaUpdate{
		{ObjectType: "deals", ErrorReason: "HUBSPOT_UNAVAILABLE", ErrorMessage: "down"},
		{ObjectType: "contacts", Fields: []fields.Field{{Name: "email"}}, Groups: groups[:1]},
	}, &OwnersUpdate{ErrorReason: "HUBSPOT_MISSING_SCOPES", ErrorMessage: "no owners scope", ErrorScopes: []string{"crm.objects.owners.read"}}, later); err != nil {
		t.Fatal(err)
	}
	got, err := s.FieldSchemas(ctx, "acme", "prod")
	if err != nil {
		t.Fatal(err)
	}
	type lists struct {
		Groups    []fields.Group
		Pipelines []fields.Pipeline
	}
	gotLists := map[string]lists{}
	for ot, fs := range got {
		gotLists[ot] = lists{fs.Groups, fs.Pipelines}
	}
	wantLists := map[string]lists{"deals": {groups, pipelines}, "contacts": {groups[:1], nil}}
	// The store reads an empty list back as an empty array.
	if d := cmp.Diff(wantLists, gotLists, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("groups and pipelines (-want +got):\n%s", d)
	}
	gotOwners, err := s.Owners(ctx, "acme", "prod")
	if err != nil {
		t.Fatal(err)
	}
	wantOwners := OwnerList{DiscoveredAt: now, Owners: owners, ErrorReason: "HUBSPOT_MISSING_SCOPES",
		ErrorMessage: "no owners scope", ErrorScopes: []string{"crm.objects.owners.read"}}
	if d := cmp.Diff(wantOwners, gotOwners); d != "" {
		t.Errorf("owners after a failed read keep the last good ones (-want +got):\n%s", d)
	}

	if err := s.DeleteConnection(ctx, "acme", "prod", ""); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Owners(ctx, "acme", "prod"); err != nil || !cmp.Equal(got, OwnerList{}) {
		t.Errorf("owners of a deleted connection = %+v, %v; want none", got, err)
	}
}
