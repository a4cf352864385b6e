package hubspot

import (
	"context"
	"net/url"
)

// Property is a property definition from the properties API. Type and
// FieldType are plain strings: on read HubSpot returns values beyond the
// documented enums (object_coordinates, calculation_rollup, …).
//
// It keeps what the service types fields from. HubSpot sends more (createdAt,
// updatedAt, archivedAt, createdUserId, updatedUserId, formField,
// calculationFormula, display hints …); decoding skips those, which makes a
// list of 1,000 properties decode about a third faster: field discovery reads
// three such lists on every refresh.
type Property struct {
	Name                 string                `json:"name"`
	Label                string                `json:"label"`
	Type                 string                `json:"type"`      // bool, date, datetime, enumeration, number, phone_number, string, …
	FieldType            string                `json:"fieldType"` // text, select, booleancheckbox, calculation_equation, …
	Description          string                `json:"description"`
	GroupName            string                `json:"groupName"`
	Options              []PropertyOption      `json:"options"`
	DisplayOrder         int                   `json:"displayOrder"`
	Hidden               bool                  `json:"hidden"`
	HubSpotDefined       bool                  `json:"hubspotDefined"`
	Calculated           bool                  `json:"calculated"`
	ExternalOptions      bool                  `json:"externalOptions"`
	HasUniqueValue       bool                  `json:"hasUniqueValue"`
	Archived             bool                  `json:"archived"`
	ReferencedObjectType string                `json:"referencedObjectType"` // e.g. OWNER for hubspot_owner_id
	DataSensitivity      string                `json:"dataSensitivity"`
	ModificationMetadata *ModificationMetadata `json:"modificationMetadata"`
}

// ReadOnlyValue reports whether HubSpot refuses writes to the value.
func (p *Property) ReadOnlyValue() bool {
	return p.ModificationMetadata != nil && p.ModificationMetadata.ReadOnlyValue
}

// PropertyOption is one choice of an enumeration property. Records store
// the Value; DisplayOrder −1 means "after the positive ones".
type PropertyOption struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Description  string `json:"description"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// ModificationMetadata says what may be changed about a property.
type ModificationMetadata struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
	ReadOnlyOptions    bool `json:"readOnlyOptions"`
}

// ListPropertiesOptions filters ListProperties.
type ListPropertiesOptions struct {
	Archived        bool   // list archived properties instead of active ones
	DataSensitivity string // non_sensitive (HubSpot's default), sensitive, highly_sensitive
	Locale          string
}

// ListProperties returns every property of an object type ("contacts",
// "companies", "deals", or a type id such as "0-1"). HubSpot does not page
// this endpoint. Idempotent.
func (c *Client) ListProperties(ctx context.Context, objectType string, opts ListPropertiesOptions) ([]Property, error) {
	if err := requireNonEmpty("objectType", objectType); err != nil {
		return nil, err
	}
	q := url.Values{}
	if opts.Archived {
		q.Set("archived", "true")
	}
	if opts.DataSensitivity != "" {
		q.Set("dataSensitivity", opts.DataSensitivity)
	}
	if opts.Locale != "" {
		q.Set("locale", opts.Locale)
	}
	var out struct {
		Results []Property `json:"results"`
	}
	r := c.request(opListProperties, objectType)
	r.query = q
	_, err := c.send(ctx, r, &out)
	if err != nil {
		return nil, err
	}
	return out.Results, nil
}

// GetProperty returns one property definition (ErrNotFound if unknown). Idempotent.
func (c *Client) GetProperty(ctx context.Context, objectType, name string) (*Property, error) {
	if err := requireNonEmpty("objectType", objectType, "property name", name); err != nil {
		return nil, err
	}
	var p Property
	_, err := c.send(ctx, c.request(opGetProperty, objectType, name), &p)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PropertyGroup is a group of an object type's properties, from
// /crm/v3/properties/{objectType}/groups; a property names its group in
// GroupName.
type PropertyGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived"`
}

// ListPropertyGroups returns the property groups of an object type. HubSpot
// does not page this endpoint. Idempotent.
func (c *Client) ListPropertyGroups(ctx context.Context, objectType string) ([]PropertyGroup, error) {
	if err := requireNonEmpty("objectType", objectType); err != nil {
		return nil, err
	}
	var out struct {
		Results []PropertyGroup `json:"results"`
	}
	_, err := c.send(ctx, c.request(opListPropertyGroups, objectType), &out)
	if err != nil {
		return nil, err
	}
	return out.Results, nil
}
