package conditions

import (
	"fmt"
	"sort"
	"strconv"

	"cel.dev/cel-go/common/types"

	"github.com/connectflo/integrations/internal/fields"
)

// objectKind names one of the CRM objects a condition can read. The order is the order of
// Records' fields and of Program.SchemaVersions.
type objectKind int

const (
	objectContact objectKind = iota
	objectCompany
	objectDeal
	numObjects
)

// objectNames ties each object to its CEL variable, its key in the schemas map (HubSpot's
// object type) and the CEL type name its fields hang off.
var objectNames = [numObjects]struct{ variable, schemaKey, typeName string }{
	objectContact: {"contact", "contacts", "hubspot.Contact"},
	objectCompany: {"company", "companies", "hubspot.Company"},
	objectDeal:    {"deal", "deals", "hubspot.Deal"},
}

// nowVariable is the evaluation time, a CEL timestamp in the caller's time zone.
const nowVariable = "now"

// objectSpec is one CRM object as a CEL struct type: its fields typed from the schema.
type objectSpec struct {
	kind     objectKind
	variable string
	typeName string
	celType  *types.Type
	schema   *fields.Schema // nil when the caller gave no schema: the object has no fields
	byName   map[string]*fieldSpec
	names    []string // sorted, for FindStructFieldNames
}

// fieldSpec is one HubSpot field as CEL sees it.
type fieldSpec struct {
	object  *objectSpec
	field   *fields.Field
	path    string // "deal.closedate", how authors and Program.Fields name it
	celType *types.Type
	// absent is what reading the field gives when it is empty in HubSpot; see the package doc.
	// One immutable value per field, shared by every evaluation.
	absent    *types.Unknown
	fieldType *types.FieldType
	// selector, on a record's owner (see owners.go), is how authors name it
	// ("contact.owner"); field and path are then hubspot_owner_id's, which is what is read.
	selector string
	owners   *fields.OwnerDirectory
	// compute, on a computed field (stageFlags), gives the field's stored form from the
	// record's HubSpot properties; reads is then the path of the property it is computed from,
	// which is what must be read from HubSpot.
	compute func(raw map[string]string) string
	reads   string
}

// stageFlags are the boolean fields computed from the metadata of a record's stage when its
// object type has pipelines (deals): they hold for the stage of any pipeline, whatever its
// id or label. HubSpot has no won flag: a stage is won when it is closed with probability 1
// (fields.Stage.Won). A real field of the same name hides the computed one.
var stageFlags = []struct {
	name, label string
	of          func(fields.Stage) bool
}{
	{"is_closed_won", "Is closed won", fields.Stage.Won},
	{"is_closed", "Is closed", func(s fields.Stage) bool { return s.Closed }},
}

// objectSet is the three objects of one compilation, built from the schemas.
type objectSet [numObjects]*objectSpec

// newObjectSet types every field of the given schemas. A missing schema gives an object
// without fields, so a condition that reads it fails to compile with "has no field".
func newObjectSet(schemas map[string]*fields.Schema) *objectSet {
	var set objectSet
	nextID := int64(1)
	for k := range numObjects {
		n := objectNames[k]
		o := &objectSpec{
			kind: k, variable: n.variable, typeName: n.typeName,
			celType: types.NewObjectType(n.typeName),
			schema:  schemas[n.schemaKey],
			byName:  map[string]*fieldSpec{},
		}
		if o.schema != nil {
			for _, f := range o.schema.Fields() {
				fs := &fieldSpec{
					object: o, field: f, path: n.variable + "." + f.Name,
					celType: celTypeOf(f.Kind),
					absent:  types.NewUnknown(nextID, nil),
				}
				nextID++
				fs.fieldType = &types.FieldType{
					Type:    fs.celType,
					IsSet:   fs.isSet,
					GetFrom: fs.getFrom,
				}
				o.byName[f.Name] = fs
				o.names = append(o.names, f.Name)
			}
			nextID = o.addStageFlags(nextID)
			if o.addOwner(nextID) {
				nextID++
			}
		}
		sort.Strings(o.names)
		set[k] = o
	}
	return &set
}

// addStageFlags adds the computed stageFlags to an object whose schema knows its pipelines,
// numbering their absent values from nextID; it returns the next free id.
func (o *objectSpec) addStageFlags(nextID int64) int64 {
	names, ok := fields.PipelineFields[o.schema.ObjectType]
	stage, hasStage := o.byName[names.Stage]
	if !ok || !hasStage || len(o.schema.Pipelines()) == 0 {
		return nextID
	}
	schema := o.schema
	for _, flag := range stageFlags {
		if _, taken := o.byName[flag.name]; taken {
			continue
		}
		of := flag.of
		fs := &fieldSpec{
			object:  o,
			field:   &fields.Field{Name: flag.name, Label: flag.label, Kind: fields.KindBool, ReadOnly: true, Calculated: true},
			path:    o.variable + "." + flag.name,
			celType: types.BoolType,
			absent:  types.NewUnknown(nextID, nil),
			reads:   stage.path,
			compute: func(raw map[string]string) string {
				st, _, ok := schema.StageOf(raw[names.Stage])
				if !ok {
					return "" // no stage, or one no pipeline has: empty, so unknown
				}
				return strconv.FormatBool(of(*st))
			},
		}
		nextID++
		fs.fieldType = &types.FieldType{Type: fs.celType, IsSet: fs.isSet, GetFrom: fs.getFrom}
		o.byName[flag.name] = fs
		o.names = append(o.names, flag.name)
	}
	return nextID
}

// byVariable returns the object a CEL variable names.
func (s *objectSet) byVariable(name string) (*objectSpec, bool) {
	for _, o := range s {
		if o.variable == name {
			return o, true
		}
	}
	return nil, false
}

// byTypeName returns the object whose CEL struct type is name.
func (s *objectSet) byTypeName(name string) (*objectSpec, bool) {
	for _, o := range s {
		if o.typeName == name {
			return o, true
		}
	}
	return nil, false
}

// celTypeOf maps a field kind to the CEL type of its values. Choice fields are strings (the
// option's internal value) so they compare with literals; multiple choice is a list of them.
func celTypeOf(k fields.Kind) *types.Type {
	switch k {
	case fields.KindNumber:
		return types.DoubleType
	case fields.KindDate, fields.KindDateTime:
		return types.TimestampType
	case fields.KindBool:
		return types.BoolType
	case fields.KindMultipleChoice:
		return types.NewListType(types.StringType)
	default:
		return types.StringType
	}
}

// isSet answers has(object.field): false when the field is empty in HubSpot.
func (fs *fieldSpec) isSet(obj any) bool {
	r, ok := obj.(*recordValue)
	if !ok {
		return false
	}
	v := r.read(fs)
	return !types.IsUnknown(v)
}

// getFrom reads the field for a selection. An unreadable stored value is returned as an error
// so that it fails the evaluation instead of silently changing its outcome.
func (fs *fieldSpec) getFrom(obj any) (any, error) {
	r, ok := obj.(*recordValue)
	if !ok {
		return nil, fmt.Errorf("%s: internal error: record of type %T", fs.path, obj)
	}
	v := r.read(fs)
	if err, isErr := v.(*types.Err); isErr {
		return nil, err.Unwrap()
	}
	return v, nil
}
