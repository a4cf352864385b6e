package fields

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var ownerSchemaFields = []Field{
	{Name: "hubspot_owner_id", Kind: KindSingleChoice, HubSpotType: "enumeration", ReferencedObjectType: "OWNER"},
	{Name: "csm_owner", Kind: KindSingleChoice, HubSpotType: "enumeration", Custom: true, ReferencedObjectType: "OWNER"},
}

var sampleOwners = []Owner{
	{ID: "41629779", Email: "maya.patel@northwind.example", Teams: []Team{{ID: "5801", Name: "Sales", Primary: true}}},
	{ID: "41629780", Email: "jonas.weber@northwind.example"},
	{ID: "41629783", Email: "grace.kim@northwind.example", Archived: true},
}

// An owner-typed field takes an owner id or an owner's email and stores the id; what is
// not an active owner of the account is refused naming what was not found.
func TestOwnerFieldValues(t *testing.T) {
	known := NewSchema("contacts", 1, ownerSchemaFields).WithOwners(NewOwnerDirectory(sampleOwners))
	noScope := NewSchema("contacts", 1, ownerSchemaFields).WithOwners(OwnersUnavailable("the token lacks the scope to read owners (crm.objects.owners.read)"))
	notRead := NewSchema("contacts", 1, ownerSchemaFields)
	cases := []struct {
		name    string
		schema  *Schema
		field   string
		in      any
		want    string
		wantErr string // the whole message, when an error is expected
	}{
		{"id of an active owner", known, "hubspot_owner_id", "41629779", "41629779", ""},
		{"id as a JSON number", known, "hubspot_owner_id", 41629780.0, "41629780", ""},
		{"email, any case, is sent as the id", known, "hubspot_owner_id", " Maya.Patel@Northwind.example ", "41629779", ""},
		{"other owner-typed property", known, "csm_owner", "jonas.weber@northwind.example", "41629780", ""},
		{"null clears", known, "hubspot_owner_id", nil, "", ""},
		{"empty string clears", known, "hubspot_owner_id", "", "", ""},
		{"unknown id", known, "hubspot_owner_id", "12345", "",
			"no owner of the account has the id 12345; DiscoverFields lists the owners (refresh it if the owner was just added in HubSpot)"},
		{"unknown email gets the closest owner's", known, "hubspot_owner_id", "maya.patell@northwind.example", "",
			`no owner of the account has the email "maya.patell@northwind.example"; did you mean "maya.patel@northwind.example"?`},
		{"unknown email far from every owner", known, "hubspot_owner_id", "someone@else.example", "",
			`no owner of the account has the email "someone@else.example"; DiscoverFields lists the owners (refresh it if the owner was just added in HubSpot)`},
		{"archived owner by id", known, "hubspot_owner_id", "41629783", "",
			"owner 41629783 (grace.kim@northwind.example) is archived: HubSpot no longer assigns records to a deactivated user"},
		{"archived owner by email", known, "csm_owner", "grace.kim@northwind.example", "",
			"owner 41629783 (grace.kim@northwind.example) is archived: HubSpot no longer assigns records to a deactivated user"},
		{"archived owner is not suggested", known, "hubspot_owner_id", "grace.kin@northwind.example", "",
			`no owner of the account has the email "grace.kin@northwind.example"; DiscoverFields lists the owners (refresh it if the owner was just added in HubSpot)`},
		{"neither id nor email", known, "hubspot_owner_id", "Maya Patel", "",
			`takes an owner id (a number) or an owner's email; got "Maya Patel"`},
		{"fractional number", known, "hubspot_owner_id", 4.5, "", "takes an owner id or an owner's email, not the number 4.5"},
		{"a list", known, "hubspot_owner_id", []any{"41629779"}, "", "takes an owner id or an owner's email, not a list"},
		{"without the owners scope an id passes through", noScope, "hubspot_owner_id", "12345", "12345", ""},
		{"without the owners scope an email is refused with the reason", noScope, "hubspot_owner_id", "maya.patel@northwind.example", "",
			`"maya.patel@northwind.example" is an email, and owner emails cannot be resolved: the token lacks the scope to read owners (crm.objects.owners.read); give the owner id instead`},
		{"owners never read: ids pass through", notRead, "hubspot_owner_id", "12345", "12345", ""},
		{"owners never read: emails are refused", notRead, "hubspot_owner_id", "a@b.example", "",
			`"a@b.example" is an email, and owner emails cannot be resolved: the account's owners have not been read; give the owner id instead`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.schema.Normalize(tc.field, tc.in, NewSuggestionBudget())
			var ve *ValueError
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Normalize(%v) = error %v, want %q", tc.in, err, tc.want)
			case tc.wantErr == "":
				if got != tc.want {
					t.Errorf("Normalize(%v) = %q, want %q", tc.in, got, tc.want)
				}
			case !errors.As(err, &ve):
				t.Fatalf("Normalize(%v) = %q, %v; want a ValueError", tc.in, got, err)
			default:
				if diff := cmp.Diff(ValueError{Field: tc.field, Message: tc.wantErr}, *ve); diff != "" {
					t.Errorf("Normalize(%v) error (-want +got):\n%s", tc.in, diff)
				}
			}
		})
	}
}

// An over-long value is refused before it is looked up or compared.
func TestOwnerValueBounded(t *testing.T) {
	s := NewSchema("contacts", 1, ownerSchemaFields).WithOwners(NewOwnerDirectory(sampleOwners))
	long := make([]byte, maxOwnerValueLength+1)
	for i := range long {
		long[i] = 'a'
	}
	long[0] = '@'
	_, err := s.Normalize("hubspot_owner_id", string(long), NewSuggestionBudget())
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Field != "hubspot_owner_id" || !strings.Contains(ve.Message, "of at most 254 characters") {
		t.Fatalf("Normalize(%d characters) = %v, want a ValueError on hubspot_owner_id saying the bound", len(long), err)
	}
}

func TestOwnerDirectoryLookup(t *testing.T) {
	// An email shared by an archived and an active owner (a user re-invited) is the active one.
	d := NewOwnerDirectory(append([]Owner{{ID: "1", Email: "re@invited.example", Archived: true}}, Owner{ID: "2", Email: "RE@invited.example"}))
	o, ok := d.Lookup("re@invited.example")
	if !ok || o.ID != "2" {
		t.Errorf("Lookup = %+v, %v; want owner 2", o, ok)
	}
	if _, ok := (*OwnerDirectory)(nil).Lookup("1"); ok {
		t.Error("a nil directory found an owner")
	}
}

// A search may look for the records of an archived owner (they still name it), by id or
// email; an owner the account does not have is refused as on writes.
func TestOwnerSearchValues(t *testing.T) {
	s := NewSchema("contacts", 1, ownerSchemaFields).WithOwners(NewOwnerDirectory(sampleOwners))
	f, _ := s.Field("hubspot_owner_id")
	cases := []struct {
		in, want string
		wantErr  bool
	}{
		{"grace.kim@northwind.example", "41629783", false},
		{"41629783", "41629783", false},
		{"MAYA.PATEL@northwind.example", "41629779", false},
		{"12345", "", true},
	}
	for _, tc := range cases {
		got, err := s.NormalizeForSearch(f, tc.in, NewSuggestionBudget())
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("NormalizeForSearch(%q) = %q, %v; want %q (error: %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
