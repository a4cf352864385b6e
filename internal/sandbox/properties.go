package sandbox

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Property is a property definition, in HubSpot's wire shape (the Property schema of
// the CRM properties API, https://developers.hubspot.com/docs/api/crm/properties).
type Property struct {
	Name                 string               `json:"name"`
	Label                string               `json:"label"`
	Type                 string               `json:"type"`
	FieldType            string               `json:"fieldType"`
	Description          string               `json:"description"`
	GroupName            string               `json:"groupName"`
	Options              []Option             `json:"options"`
	DisplayOrder         int                  `json:"displayOrder"`
	Hidden               bool                 `json:"hidden"`
	HubspotDefined       bool                 `json:"hubspotDefined,omitempty"`
	Calculated           bool                 `json:"calculated"`
	ExternalOptions      bool                 `json:"externalOptions"`
	HasUniqueValue       bool                 `json:"hasUniqueValue"`
	FormField            bool                 `json:"formField"`
	Archived             bool                 `json:"archived"`
	ArchivedAt           string               `json:"archivedAt,omitempty"`
	CreatedAt            string               `json:"createdAt,omitempty"`
	UpdatedAt            string               `json:"updatedAt,omitempty"`
	ReferencedObjectType string               `json:"referencedObjectType,omitempty"`
	CalculationFormula   string               `json:"calculationFormula,omitempty"`
	ShowCurrencySymbol   bool                 `json:"showCurrencySymbol,omitempty"`
	DataSensitivity      string               `json:"dataSensitivity,omitempty"`
	ModificationMetadata ModificationMetadata `json:"modificationMetadata"`
}

// Option is one enumeration choice; records store its Value.
type Option struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Hidden       bool   `json:"hidden"`
	DisplayOrder int    `json:"displayOrder"`
	Description  string `json:"description,omitempty"`
}

// ModificationMetadata says what a client may change; ReadOnlyValue properties reject
// writes with READ_ONLY_VALUE.
type ModificationMetadata struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
	ReadOnlyOptions    bool `json:"readOnlyOptions,omitempty"`
}

// propertySet keeps definitions in display order, as HubSpot lists them.
type propertySet struct {
	order  []string
	byName map[string]*Property
}

func newPropertySet() *propertySet { return &propertySet{byName: map[string]*Property{}} }

func (ps *propertySet) add(p Property) {
	if _, ok := ps.byName[p.Name]; !ok {
		ps.order = append(ps.order, p.Name)
	}
	cp := p
	cp.Options = slices.Clone(p.Options)
	if cp.Options == nil {
		cp.Options = []Option{}
	}
	ps.byName[p.Name] = &cp
}

// live returns a definition that records may use: archived properties do not exist
// for reads and writes.
func (ps *propertySet) live(name string) (*Property, bool) {
	p, ok := ps.byName[name]
	if !ok || p.Archived {
		return nil, false
	}
	return p, true
}

func (ps *propertySet) list(archived bool) []Property {
	out := make([]Property, 0, len(ps.order))
	for _, n := range ps.order {
		if p := ps.byName[n]; p.Archived == archived {
			out = append(out, *p)
		}
	}
	return out
}

// validPairings are the type/fieldType combinations HubSpot accepts on create
// (https://developers.hubspot.com/docs/api/crm/properties, "type and fieldType values").
var validPairings = map[string][]string{
	"bool":         {"booleancheckbox", "calculation_equation"},
	"enumeration":  {"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"},
	"date":         {"date"},
	"datetime":     {"date"},
	"string":       {"text", "textarea", "file", "html", "phonenumber", "calculation_equation"},
	"number":       {"number", "calculation_equation"},
	"phone_number": {"phonenumber"},
}

var propertyNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// validateNewProperty checks a client-created property the way the properties API
// does, and fills in what HubSpot fills in.
func validateNewProperty(p *Property, now time.Time) error {
	switch {
	case p.Name == "" || p.Label == "" || p.Type == "" || p.FieldType == "" || p.GroupName == "":
		return fmt.Errorf("name, label, type, fieldType and groupName are required")
	case !propertyNamePattern.MatchString(p.Name):
		return fmt.Errorf("property name %q must be lower case letters, digits and underscores, starting with a letter", p.Name)
	}
	fields, ok := validPairings[p.Type]
	if !ok {
		return fmt.Errorf("unknown property type %q", p.Type)
	}
	if !slices.Contains(fields, p.FieldType) {
		return fmt.Errorf("fieldType %q is not valid for type %q; use one of %v", p.FieldType, p.Type, fields)
	}
	if p.Type == "enumeration" && len(p.Options) == 0 && !p.ExternalOptions {
		return fmt.Errorf("enumeration properties need options")
	}
	if p.Type != "enumeration" && len(p.Options) > 0 {
		return fmt.Errorf("only enumeration properties take options")
	}
	ts := isoMillis(now)
	p.CreatedAt, p.UpdatedAt = ts, ts
	p.HubspotDefined = false
	p.Archived = false
	p.ModificationMetadata = ModificationMetadata{Archivable: true, ReadOnlyValue: p.FieldType == "calculation_equation"}
	p.Calculated = p.FieldType == "calculation_equation"
	return nil
}
