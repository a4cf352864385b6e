package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/fields"

	"github.com/connectflo/integrations/internal/store/storetest"
)

func TestFieldSchemasReplaceAndPartialFailure(t *testing.T) {
	storetest.OnEachEngine(t, testFieldSchemasReplaceAndPartialFailure)
}

func testFieldSchemasReplaceAndPartialFailure(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if err := s.InsertConnection(ctx, &Connection{Workspace: "acme", ID: "prod", DisplayName: "Prod", Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
	first := []SchemaUpdate{
		{ObjectType: "contacts", Fields: []fields.Field{{Name: "email", Kind: fields.KindString}}},
		{ObjectType: "deals", Fields: []fields.Field{{Name: "dealstage", Kind: fields.KindSingleChoice, Options: []fields.Option{{Label: "Closed Won", Value: "closedwon"}}}}},
	}
	v1, err := s.ReplaceFieldSchemas(ctx, "acme", "prod", first, nil, now)
	if err != nil || v1 != 1 {
		t.Fatalf("first replace: version %d, %v", v1, err)
	}
	later := now.Add(time.Hour)
	second := []SchemaUpdate{
		{ObjectType: "contacts", Fields: []fields.Field{{Name: "email"}, {Name: "account_tier"}}},
		{ObjectType: "deals", ErrorReason: "HUBSPOT_MISSING_SCOPES", ErrorMessage: "no deal scope", ErrorScopes: []string{"crm.schemas.deals.read"}},
		{ObjectType: "companies", ErrorReason: "HUBSPOT_MISSING_SCOPES", ErrorMessage: "no company scope"},
	}
	v2, err := s.ReplaceFieldSchemas(ctx, "acme", "prod", second, nil, later)
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

// Schemas cached before zero values were left out of the stored JSON (every key written)
// must read back the same, and the compact form must round-trip every attribute.
func TestFieldSchemasReadBothEncodings(t *testing.T) {
	storetest.OnEachEngine(t, testFieldSchemasReadBothEncodings)
}

func testFieldSchemasReadBothEncodings(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if err := s.InsertConnection(ctx, &Connection{Workspace: "acme", ID: "prod", DisplayName: "Prod", Status: "CONNECTED", CreateTime: now, UpdateTime: now}); err != nil {
		t.Fatal(err)
	}
	want := fields.Field{Name: "dealstage", Label: "Deal stage", Description: "Where the deal is", GroupName: "dealinformation",
		HubSpotType: "enumeration", HubSpotFieldType: "radio", Kind: fields.KindSingleChoice,
		Options: []fields.Option{{Label: "Won", Value: "closedwon", DisplayOrder: 1, Hidden: true, Description: "won it"}},
		Custom:  true, ReadOnly: true, Calculated: true, Hidden: true, Unique: true, DisplayOrder: 7, ReferencedObjectType: "OWNER"}
	sparse := fields.Field{Name: "email", Kind: fields.KindString}
	compact, err := EncodeFields([]fields.Field{want, sparse})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(compact), `"Description":""`) || strings.Contains(string(compact), `"Custom":false`) {
		t.Errorf("zero values are stored: %s", compact)
	}
	old := `[{"Name":"dealstage","Label":"Deal stage","Description":"Where the deal is","GroupName":"dealinformation","HubSpotType":"enumeration",` +
		`"HubSpotFieldType":"radio","Kind":7,"Options":[{"Label":"Won","Value":"closedwon","DisplayOrder":1,"Hidden":true,"Description":"won it"}],` +
		`"Custom":true,"ReadOnly":true,"Calculated":true,"Hidden":true,"Unique":true,"DisplayOrder":7,"ReferencedObjectType":"OWNER"},` +
		`{"Name":"email","Label":"","Description":"","GroupName":"","HubSpotType":"","HubSpotFieldType":"","Kind":1,"Options":null,` +
		`"Custom":false,"ReadOnly":false,"Calculated":false,"Hidden":false,"Unique":false,"DisplayOrder":0,"ReferencedObjectType":""}]`
	if fields.KindSingleChoice != 7 || fields.KindString != 1 {
		t.Fatalf("the kinds were renumbered (single choice %d, string %d): stored schemas hold the numbers", fields.KindSingleChoice, fields.KindString)
	}
	for name, blob := range map[string][]byte{"compact": compact, "every key": []byte(old)} {
		if _, err := s.ReplaceFieldSchemas(ctx, "acme", "prod", []SchemaUpdate{{ObjectType: "deals", Fields: []fields.Field{{}}, Encoded: blob}}, nil, now); err != nil {
			t.Fatal(err)
		}
		got, err := s.FieldSchemas(ctx, "acme", "prod")
		if err != nil {
			t.Fatal(err)
		}
		if fs := got["deals"].Fields; !reflect.DeepEqual(fs, []fields.Field{want, sparse}) {
			t.Errorf("%s: read back\n%+v\nwant\n%+v", name, fs, []fields.Field{want, sparse})
		}
	}
}
