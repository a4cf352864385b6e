package conditions

import (
	"fmt"
	"reflect"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/connectflo/integrations/internal/fields"
)

// The owner of a record, for routing on who owns it (`contact.owner.email == "…"`,
// `"Senior Support" in contact.owner.teams`): a record whose schema has hubspot_owner_id
// gets an `owner` field, unless HubSpot has a property of that name (the property wins). It
// is the owner whose id hubspot_owner_id holds, looked up in the owners discovered with the
// schema; it is empty when hubspot_owner_id is.
const (
	ownerSelector  = "owner"
	ownerIDField   = "hubspot_owner_id"
	ownerTypeName  = "hubspot.Owner"
	maxOwnerString = 254 // an email's longest; names and team names are shorter in HubSpot
)

var ownerCELType = types.NewObjectType(ownerTypeName)

// ownerFieldSpec is one field of hubspot.Owner: its CEL type and how it is read.
type ownerFieldSpec struct {
	celType *types.Type
	get     func(o *fields.Owner) ref.Val
	set     func(o *fields.Owner) bool
}

var ownerFields = map[string]ownerFieldSpec{
	"id":        {types.StringType, func(o *fields.Owner) ref.Val { return types.String(o.ID) }, func(o *fields.Owner) bool { return o.ID != "" }},
	"email":     {types.StringType, func(o *fields.Owner) ref.Val { return types.String(o.Email) }, func(o *fields.Owner) bool { return o.Email != "" }},
	"firstname": {types.StringType, func(o *fields.Owner) ref.Val { return types.String(o.FirstName) }, func(o *fields.Owner) bool { return o.FirstName != "" }},
	"lastname":  {types.StringType, func(o *fields.Owner) ref.Val { return types.String(o.LastName) }, func(o *fields.Owner) bool { return o.LastName != "" }},
	"teams": {types.NewListType(types.StringType), func(o *fields.Owner) ref.Val {
		names := make([]string, len(o.Teams))
		for i, t := range o.Teams {
			names[i] = t.Name
		}
		return types.NewStringList(types.DefaultTypeAdapter, names)
	}, func(o *fields.Owner) bool { return true }},
	"archived": {types.BoolType, func(o *fields.Owner) ref.Val { return types.Bool(o.Archived) }, func(o *fields.Owner) bool { return true }},
}

// ownerFieldNames are ownerFields' names, sorted.
var ownerFieldNames = []string{"archived", "email", "firstname", "id", "lastname", "teams"}

// ownerFieldTypes are the CEL field types of hubspot.Owner, built once.
var ownerFieldTypes = func() map[string]*types.FieldType {
	out := make(map[string]*types.FieldType, len(ownerFields))
	for name, f := range ownerFields {
		out[name] = &types.FieldType{
			Type: f.celType,
			IsSet: func(obj any) bool {
				o, ok := obj.(*ownerValue)
				return ok && f.set(o.owner)
			},
			GetFrom: func(obj any) (any, error) {
				switch o := obj.(type) {
				case *ownerValue:
					return f.get(o.owner), nil
				case *types.Unknown: // the record has no owner: absent, as any empty field
					return o, nil
				}
				return nil, fmt.Errorf("owner.%s: internal error: owner of type %T", name, obj)
			},
		}
	}
	return out
}()

// addOwner gives o the owner field when its schema has hubspot_owner_id and no property
// named owner. The field reads hubspot_owner_id: that is what is fetched, reported as read,
// and named when empty.
func (o *objectSpec) addOwner(nextID int64) bool {
	idSpec, ok := o.byName[ownerIDField]
	if !ok || !fields.IsOwnerField(idSpec.field) {
		return false
	}
	if _, taken := o.byName[ownerSelector]; taken {
		return false
	}
	fs := &fieldSpec{object: o, field: idSpec.field, path: idSpec.path, celType: ownerCELType,
		absent: types.NewUnknown(nextID, nil), owners: o.schema.Owners(), selector: o.variable + "." + ownerSelector}
	fs.fieldType = &types.FieldType{Type: fs.celType, IsSet: fs.isSet, GetFrom: fs.getFrom}
	o.byName[ownerSelector] = fs
	o.names = append(o.names, ownerSelector)
	return true
}

// ownerValue is the owner of a record as a hubspot.Owner CEL value.
type ownerValue struct{ owner *fields.Owner }

var _ ref.Val = (*ownerValue)(nil)

func (v *ownerValue) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("an owner cannot be converted to %v", typeDesc)
}

func (v *ownerValue) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return ownerCELType
	}
	return types.NewErr("an owner cannot be converted to %s", t.TypeName())
}

// Equal compares owners by id.
func (v *ownerValue) Equal(other ref.Val) ref.Val {
	o, ok := other.(*ownerValue)
	return types.Bool(ok && o.owner.ID == v.owner.ID)
}

func (v *ownerValue) Type() ref.Type { return ownerCELType }

func (v *ownerValue) Value() any { return v }

// unknownOwnerError is an owner id HubSpot holds that is not among the owners discovered with
// the schema (an owner added since): evaluation fails rather than guess who owns the record.
type unknownOwnerError struct {
	Field string // "contact.hubspot_owner_id"
	ID    string
}

func (e *unknownOwnerError) Error() string {
	return fmt.Sprintf("%s holds owner %s, which is not among the account's discovered owners: refresh fields (DiscoverFields) to read the owners again", e.Field, e.ID)
}

// ownerOf is the CEL value of the owner whose id HubSpot holds in raw (not empty).
func (fs *fieldSpec) ownerOf(raw string) (ref.Val, error) {
	o, ok := fs.owners.Lookup(raw)
	if !ok || o.ID != raw {
		return nil, &unknownOwnerError{Field: fs.path, ID: raw}
	}
	return &ownerValue{owner: o}, nil
}

// ownerTeamsBound bounds an owner's teams and their names, for the cost estimate.
func (fs *fieldSpec) ownerTeamsBound() (teams, longestName int) {
	for _, o := range fs.owners.All() {
		teams = max(teams, len(o.Teams))
		for _, t := range o.Teams {
			longestName = max(longestName, len(t.Name))
		}
	}
	return teams, longestName
}
