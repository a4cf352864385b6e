// Package fields is the field schema of a connected HubSpot account: how HubSpot's property
// types map to our typed kinds, and how a value for a field is validated and normalised into
// the form HubSpot stores before anything is sent. Every write of the service goes through
// Normalize, so bad input is refused with a message naming the field and what is allowed.
package fields

import "sort"

// Kind is the typed kind of a field; it decides how values are validated.
type Kind int

// The kinds. They mirror connectflo.integrations.v1.FieldKind.
const (
	KindUnspecified Kind = iota
	KindString
	KindText
	KindNumber
	KindDate
	KindDateTime
	KindBool
	KindSingleChoice
	KindMultipleChoice
	KindPhone
	KindFile
	KindHTML
)

var kindNames = [...]string{"unspecified", "string", "text", "number", "date", "datetime", "bool",
	"single choice", "multiple choice", "phone", "file", "html"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Field is one HubSpot property with our typing. The store keeps fields as JSON under these
// Go names; zero values are left out, which halves a schema's size (the names must not change:
// cached schemas are read back by them).
type Field struct {
	Name                 string   `json:",omitempty"`
	Label                string   `json:",omitempty"`
	Description          string   `json:",omitempty"`
	GroupName            string   `json:",omitempty"`
	HubSpotType          string   `json:",omitempty"` // exactly as HubSpot gave it
	HubSpotFieldType     string   `json:",omitempty"` // exactly as HubSpot gave it
	Kind                 Kind     `json:",omitempty"`
	Options              []Option `json:",omitempty"` // in display order
	Custom               bool     `json:",omitempty"`
	ReadOnly             bool     `json:",omitempty"`
	Calculated           bool     `json:",omitempty"`
	Hidden               bool     `json:",omitempty"`
	Unique               bool     `json:",omitempty"`
	DisplayOrder         int      `json:",omitempty"`
	ReferencedObjectType string   `json:",omitempty"`
}

// Option is one option of a choice field.
type Option struct {
	Label        string `json:",omitempty"`
	Value        string `json:",omitempty"`
	DisplayOrder int    `json:",omitempty"`
	Hidden       bool   `json:",omitempty"`
	Description  string `json:",omitempty"`
	// Pipeline is, on a pipeline stage field's options (deals' dealstage), the id of the
	// pipeline the stage belongs to (see AnnotateStages).
	Pipeline string `json:",omitempty"`
}

// Property is HubSpot's description of a property, as read from the properties API; it is
// what FromProperty types.
type Property struct {
	Name, Label, Description, GroupName, Type, FieldType string
	Options                                              []Option
	DisplayOrder                                         int
	Hidden, HubSpotDefined, Calculated, ExternalOptions  bool
	HasUniqueValue, ReadOnlyValue                        bool
	ReferencedObjectType                                 string
}

// FromProperty types a HubSpot property. Types and field types HubSpot adds that we do not
// know become read-only strings that keep the raw type: discovery never fails on them.
func FromProperty(p Property) Field {
	f := Field{
		Name: p.Name, Label: p.Label, Description: p.Description, GroupName: p.GroupName,
		HubSpotType: p.Type, HubSpotFieldType: p.FieldType,
		Custom: !p.HubSpotDefined, Hidden: p.Hidden, Unique: p.HasUniqueValue,
		DisplayOrder: p.DisplayOrder, ReferencedObjectType: p.ReferencedObjectType,
	}
	kind, known := KindOf(p.Type, p.FieldType)
	f.Kind = kind
	f.Calculated = p.Calculated || isCalculationFieldType(p.FieldType)
	f.ReadOnly = p.ReadOnlyValue || f.Calculated || !known
	if kind == KindSingleChoice || kind == KindMultipleChoice {
		f.Options = append([]Option(nil), p.Options...)
		SortOptions(f.Options)
	}
	return f
}

// KindOf maps HubSpot's type and fieldType to a kind. known is false for pairings HubSpot
// documents no meaning for (they are typed as strings and kept read-only).
func KindOf(hubspotType, fieldType string) (kind Kind, known bool) {
	switch hubspotType {
	case "string":
		switch fieldType {
		case "textarea":
			return KindText, true
		case "phonenumber":
			return KindPhone, true
		case "file":
			return KindFile, true
		case "html":
			return KindHTML, true
		case "text", "calculation_equation", "":
			return KindString, true
		}
		if isCalculationFieldType(fieldType) {
			return KindString, true
		}
		return KindString, false
	case "phone_number":
		return KindPhone, true
	case "number":
		return KindNumber, true
	case "date":
		return KindDate, true
	case "datetime":
		return KindDateTime, true
	case "bool":
		return KindBool, true
	case "enumeration":
		switch fieldType {
		case "checkbox":
			return KindMultipleChoice, true
		case "select", "radio", "booleancheckbox", "calculation_equation", "":
			return KindSingleChoice, true
		}
		if isCalculationFieldType(fieldType) {
			return KindSingleChoice, true
		}
		return KindSingleChoice, false
	}
	return KindString, false
}

// isCalculationFieldType reports HubSpot's computed field types: calculation_equation and the
// read-side calculation_rollup, calculation_score, calculation_read_time and any later ones.
func isCalculationFieldType(fieldType string) bool {
	return len(fieldType) > len("calculation_") && fieldType[:len("calculation_")] == "calculation_"
}

// SortOptions orders options as HubSpot displays them: by displayOrder with -1 (unordered)
// after the ordered ones, ties kept in HubSpot's order.
func SortOptions(opts []Option) {
	sort.SliceStable(opts, func(i, j int) bool {
		a, b := opts[i].DisplayOrder, opts[j].DisplayOrder
		if (a < 0) != (b < 0) {
			return b < 0
		}
		return a < b
	})
}
