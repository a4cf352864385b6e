package conditions

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/fields"
)

var testOwners = []fields.Owner{
	{ID: "41629779", Email: "maya.patel@northwind.example", FirstName: "Maya", LastName: "Patel",
		Teams: []fields.Team{{ID: "5801", Name: "Sales", Primary: true}}},
	{ID: "41629781", Email: "aiko.tanaka@northwind.example", FirstName: "Aiko", LastName: "Tanaka",
		Teams: []fields.Team{{ID: "5802", Name: "Senior Support", Primary: true}, {ID: "5801", Name: "Sales"}}},
	{ID: "41629782", Email: "luis.ortega@northwind.example", FirstName: "Luis", LastName: "Ortega"},
	{ID: "41629783", Email: "grace.kim@northwind.example", Archived: true,
		Teams: []fields.Team{{ID: "5802", Name: "Senior Support", Primary: true}}},
}

// ownerSchemas are testSchemas with hubspot_owner_id on contacts and deals, resolved
// against owners.
func ownerSchemas(owners *fields.OwnerDirectory) map[string]*fields.Schema {
	out := map[string]*fields.Schema{}
	for key, s := range testSchemas() {
		var fs []fields.Field
		for _, f := range s.Fields() {
			fs = append(fs, *f)
		}
		if key != SchemaCompanies {
			fs = append(fs, fields.Field{Name: "hubspot_owner_id", Label: "Contact owner", Kind: fields.KindSingleChoice,
				HubSpotType: "enumeration", ReferencedObjectType: "OWNER"})
		}
		out[key] = fields.NewSchema(s.ObjectType, s.Version, fs).WithOwners(owners)
	}
	return out
}

// A condition routes on the owner of a record: its email, names and teams, read from the
// owners discovered with the schema through the id hubspot_owner_id holds.
func TestOwnerConditions(t *testing.T) {
	t.Parallel()
	schemas := ownerSchemas(fields.NewOwnerDirectory(testOwners))
	owned := func(id string) Records {
		return Records{Contact: map[string]string{"hubspot_owner_id": id}, Deal: map[string]string{"hubspot_owner_id": "41629779"}}
	}
	tests := []struct {
		name, expr string
		records    Records
		want       Result
	}{
		{"the owner's email", `contact.owner.email == "aiko.tanaka@northwind.example"`, owned("41629781"),
			Result{Matched: true, Reads: []FieldRead{{Field: "contact.hubspot_owner_id", Kind: fields.KindSingleChoice, Raw: "41629781", Value: "41629781"}}}},
		{"another owner's email", `contact.owner.email == "aiko.tanaka@northwind.example"`, owned("41629782"),
			Result{Reads: []FieldRead{{Field: "contact.hubspot_owner_id", Kind: fields.KindSingleChoice, Raw: "41629782", Value: "41629782"}}}},
		{"in a team, the guide's senior support routing", `"Senior Support" in contact.owner.teams`, owned("41629781"),
			Result{Matched: true, Reads: []FieldRead{{Field: "contact.hubspot_owner_id", Kind: fields.KindSingleChoice, Raw: "41629781", Value: "41629781"}}}},
		{"in no team", `"Senior Support" in contact.owner.teams`, owned("41629782"),
			Result{Reads: []FieldRead{{Field: "contact.hubspot_owner_id", Kind: fields.KindSingleChoice, Raw: "41629782", Value: "41629782"}}}},
		{"an archived owner is still the owner", `contact.owner.archived && contact.owner.id == "41629783"`, owned("41629783"),
			Result{Matched: true, Reads: []FieldRead{{Field: "contact.hubspot_owner_id", Kind: fields.KindSingleChoice, Raw: "41629783", Value: "41629783"}}}},
		{"names", `deal.owner.firstname + " " + deal.owner.lastname == "Maya Patel"`, owned("41629781"),
			Result{Matched: true, Reads: []FieldRead{{Field: "deal.hubspot_owner_id", Kind: fields.KindSingleChoice, Raw: "41629779", Value: "41629779"}}}},
		{"no owner: empty, as any empty field", `contact.owner.email == "maya.patel@northwind.example"`, Records{},
			Result{DependsOnEmpty: true, EmptyFields: []string{"contact.hubspot_owner_id"},
				Reads: []FieldRead{{Field: "contact.hubspot_owner_id", Kind: fields.KindSingleChoice, Empty: true}}}},
		{"has() on an empty owner", `!has(contact.owner.email)`, Records{},
			Result{Matched: true, Reads: []FieldRead{{Field: "contact.hubspot_owner_id", Kind: fields.KindSingleChoice, Empty: true}}}},
		{"the owner and its id read one property", `contact.hubspot_owner_id == "41629781" && contact.owner.email.endsWith("@northwind.example")`, owned("41629781"),
			Result{Matched: true, Reads: []FieldRead{{Field: "contact.hubspot_owner_id", Kind: fields.KindSingleChoice, Raw: "41629781", Value: "41629781"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Compile(schemas, tt.expr, Limits{})
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.expr, err)
			}
			got, err := p.Eval(context.Background(), tt.records, testNow())
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Eval(%q) (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

// The owner is fetched as hubspot_owner_id: that is the property a condition on it reads.
func TestOwnerConditionFields(t *testing.T) {
	t.Parallel()
	p, err := Compile(ownerSchemas(fields.NewOwnerDirectory(testOwners)), `"Sales" in deal.owner.teams || contact.hubspot_owner_id == "41629779" || contact.owner.id == "1"`, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"contact.hubspot_owner_id", "deal.hubspot_owner_id"}, p.Fields()); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
}

func TestOwnerConditionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr string
		owners     *fields.OwnerDirectory
		want       string // in the compile error
	}{
		{"owners not read", `contact.owner.email == "a@b.example"`, fields.OwnersUnavailable("the token lacks the scope to read owners (crm.objects.owners.read)"),
			"contact.owner needs the account's owners, and the token lacks the scope to read owners (crm.objects.owners.read)"},
		{"no such owner field", `contact.owner.phone == "1"`, fields.NewOwnerDirectory(testOwners), "phone"},
		{"teams is a list", `contact.owner.teams == "Sales"`, fields.NewOwnerDirectory(testOwners), "list"},
		{"companies have no owner here", `company.owner.email == "a@b.example"`, fields.NewOwnerDirectory(testOwners), "company has no field 'owner'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(ownerSchemas(tt.owners), tt.expr, Limits{})
			var ce *ConditionError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compile(%q) = %v, want a ConditionError saying %q", tt.expr, err, tt.want)
			}
		})
	}
}

// An owner id HubSpot holds that discovery did not read fails the evaluation rather than guess.
func TestOwnerUnknownAtEvaluation(t *testing.T) {
	t.Parallel()
	p, err := Compile(ownerSchemas(fields.NewOwnerDirectory(testOwners)), `"Sales" in contact.owner.teams`, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Eval(context.Background(), Records{Contact: map[string]string{"hubspot_owner_id": "999"}}, testNow())
	var ee *EvalError
	if !errors.As(err, &ee) || !strings.Contains(ee.Message, "contact.hubspot_owner_id holds owner 999, which is not among the account's discovered owners") {
		t.Errorf("Eval = %v, want an EvalError naming the owner", err)
	}
}

// A property named owner keeps its name: the owner is then not offered.
func TestOwnerPropertyWins(t *testing.T) {
	t.Parallel()
	schemas := map[string]*fields.Schema{SchemaContacts: fields.NewSchema("contacts", 1, []fields.Field{
		{Name: "owner", Kind: fields.KindString},
		{Name: "hubspot_owner_id", Kind: fields.KindSingleChoice, ReferencedObjectType: "OWNER"},
	}).WithOwners(fields.NewOwnerDirectory(testOwners))}
	p, err := Compile(schemas, `contact.owner == "the night shift"`, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Eval(context.Background(), Records{Contact: map[string]string{"owner": "the night shift"}}, testNow())
	if err != nil || !got.Matched {
		t.Errorf("Eval = %+v, %v; want the property compared", got, err)
	}
}
