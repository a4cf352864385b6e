package resname

import (
	"fmt"
	"strings"

	"github.com/connectflo/integrations/internal/hubspot"

	"github.com/connectflo/integrations/internal/truncate"
)

// ObjectTypes are the CRM object types records can be of, as they appear in names.
var ObjectTypes = []string{"contacts", "companies", "deals"}

// ObjectCollection is workspaces/{w}/connections/{c}/objects/{object_type}, the parent of
// SearchRecords.
type ObjectCollection struct {
	Connection
	ObjectType string
}

// String formats the name.
func (o ObjectCollection) String() string { return o.Connection.String() + "/objects/" + o.ObjectType }

// Record is workspaces/{w}/connections/{c}/objects/{object_type}/records/{record}.
type Record struct {
	ObjectCollection
	ID string // a HubSpot id, or a value of a unique property (an email)
}

// String formats the name.
func (r Record) String() string { return r.ObjectCollection.String() + "/records/" + r.ID }

// ParseObjectCollection parses workspaces/{w}/connections/{c}/objects/{object_type}.
func ParseObjectCollection(field, name string) (ObjectCollection, error) {
	const pattern = ObjectCollectionPattern
	conn, rest, err := splitAfterConnection(field, name, pattern)
	if err != nil {
		return ObjectCollection{}, err
	}
	ot, ok := strings.CutPrefix(rest, "objects/")
	if !ok || strings.Contains(ot, "/") {
		return ObjectCollection{}, &FieldError{Field: field, Description: fmt.Sprintf("%q is not a valid resource name; want %s", truncate.Text(name, maxQuoted), pattern)}
	}
	if err := checkObjectType(field, ot); err != nil {
		return ObjectCollection{}, err
	}
	return ObjectCollection{Connection: conn, ObjectType: ot}, nil
}

// ParseRecord parses workspaces/{w}/connections/{c}/objects/{object_type}/records/{record}.
func ParseRecord(field, name string) (Record, error) {
	const pattern = RecordPattern
	conn, rest, err := splitAfterConnection(field, name, pattern)
	if err != nil {
		return Record{}, err
	}
	segs := strings.Split(rest, "/")
	if len(segs) != 4 || segs[0] != "objects" || segs[2] != "records" {
		return Record{}, &FieldError{Field: field, Description: fmt.Sprintf("%q is not a valid resource name; want %s", truncate.Text(name, maxQuoted), pattern)}
	}
	if err := checkObjectType(field, segs[1]); err != nil {
		return Record{}, err
	}
	id := segs[3]
	if id == "" || len(id) > 256 || id == "." || id == ".." {
		return Record{}, &FieldError{Field: field, Description: "the record id is empty, a dot segment or longer than 256 characters; want a HubSpot id, or an email with id_property \"email\""}
	}
	return Record{ObjectCollection: ObjectCollection{Connection: conn, ObjectType: segs[1]}, ID: id}, nil
}

func splitAfterConnection(field, name, pattern string) (Connection, string, error) {
	if name == "" {
		return Connection{}, "", &FieldError{Field: field, Description: "is required; want " + pattern}
	}
	segs := strings.SplitN(name, "/", 5)
	if len(segs) < 5 {
		return Connection{}, "", &FieldError{Field: field, Description: fmt.Sprintf("%q is not a valid resource name; want %s", truncate.Text(name, maxQuoted), pattern)}
	}
	conn, err := ParseConnection(field, strings.Join(segs[:4], "/"))
	if err != nil {
		return Connection{}, "", &FieldError{Field: field, Description: fmt.Sprintf("%q is not a valid resource name; want %s", truncate.Text(name, maxQuoted), pattern)}
	}
	return conn, segs[4], nil
}

func checkObjectType(field, ot string) error {
	for _, known := range ObjectTypes {
		if ot == known {
			return nil
		}
	}
	return &FieldError{Field: field, Description: fmt.Sprintf("object type %q is not supported; use contacts, companies or deals", truncate.Text(ot, maxQuoted))}
}

// CheckObjectID checks a HubSpot record id given on its own in request field (not inside a
// resource name), by hubspot.ValidObjectID.
func CheckObjectID(field, id string) error {
	if !hubspot.ValidObjectID(id) {
		return &FieldError{Field: field, Description: fmt.Sprintf("%q is not a HubSpot record id (a number of at most %d digits)", truncate.Text(id, maxQuoted), hubspot.MaxObjectIDDigits)}
	}
	return nil
}
