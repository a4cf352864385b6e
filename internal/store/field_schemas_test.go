package store

import (
	"context"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/fields"
)

func TestFieldSchemasReplaceAndPartialFailure(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if err := s.InsertConnection(ctx, &Connection{Workspace: "acme", ID: "prod", DisplayName: "Prod", Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
	first := []SchemaUpdate{
		{ObjectType: "contacts", Fields: []fields.Field{{Name: "email", Kind: fields.KindString}}},
		{ObjectType: "deals", Fields: []fields.Field{{Name: "dealstage", Kind: fields.KindSingleChoice, Options: []fields.Option{{Label: "Closed Won", Value: "closedwon"}}}}},
	}
	v1, err := s.ReplaceFieldSchemas(ctx, "acme", "prod", first, now)
	if err != nil || v1 != 1 {
		t.Fatalf("first replace: version %d, %v", v1, err)
	}
	later := now.Add(time.Hour)
	second := []SchemaUpdate{
		{ObjectType: "contacts", Fields: []fields.Field{{Name: "email"}, {Name: "account_tier"}}},
		{ObjectType: "deals", ErrorReason: "HUBSPOT_MISSING_SCOPES", ErrorMessage: "no deal scope", ErrorScopes: []string{"crm.schemas.deals.read"}},
		{ObjectType: "companies", ErrorReason: "HUBSPOT_MISSING_SCOPES", ErrorMessage: "no company scope"},
	}
	v2, err := s.ReplaceFieldSchemas(ctx, "acme", "prod", second, later)
	if err != nil || v2 != 2 {
		t.Fatalf("second replace: version %d, %v", v2, err)
	}
	got, err := s.FieldSchemas(ctx, "acme", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if c := got["contacts"]; len(c.Fields) != 2 || c.Version != 2 || !c.DiscoveredAt.Equal(later) || c.ErrorReason != "" {
		t.Errorf("contacts = %+v", c)
	}
	if d := got["deals"]; len(d.Fields) != 1 || d.Fields[0].Options[0].Label != "Closed Won" || d.Version != 1 || !d.DiscoveredAt.Equal(now) ||
		d.ErrorReason != "HUBSPOT_MISSING_SCOPES" || d.ErrorScopes[0] != "crm.schemas.deals.read" {
		t.Errorf("deals must keep the last good fields with the error: %+v", d)
	}
	if c := got["companies"]; len(c.Fields) != 0 || !c.DiscoveredAt.IsZero() || c.ErrorMessage != "no company scope" {
		t.Errorf("companies = %+v", c)
	}
	conn, _ := s.GetConnection(ctx, "acme", "prod")
	if conn.SchemaVersion != 2 || !conn.FieldsDiscoveredAt.Equal(later) {
		t.Errorf("connection schema version %d, discovered %v", conn.SchemaVersion, conn.FieldsDiscoveredAt)
	}
	if err := s.DeleteConnection(ctx, "acme", "prod", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FieldSchemas(ctx, "acme", "prod"); len(got) != 0 {
		t.Errorf("fields of a deleted connection remain: %v", got)
	}
}
