package sandbox

import "strings"

// objectType describes one CRM object type the sandbox serves.
type objectType struct {
	name     string // plural path name: "contacts"
	typeID   string // HubSpot object type id: "0-1"
	singular string // used in messages and v3 association type names: "contact"
	// scopeObject names the scope family that gates it: notes, calls and
	// communications are gated by the contact scopes (crm.objects.contacts.read/write),
	// as the security section of each of their specs says.
	scopeObject string
	// schemaScopes says whether crm.schemas.<name>.* exists for it.
	schemaScopes bool
	// defaultProps are returned when a read asks for no properties, as the description
	// of each object's OpenAPI spec says (contacts: firstname, lastname, email).
	defaultProps []string
	// createdProp and modifiedProp are the system timestamps HubSpot maintains:
	// contacts use createdate/lastmodifieddate, the others hs_lastmodifieddate, and
	// engagements hs_createdate.
	createdProp, modifiedProp string
	// searchableProps are the properties a search "query" string matches: HubSpot's
	// default searchable properties of the type, as its search guide lists them
	// (https://developers.hubspot.com/docs/guides/api/crm/search, "Search default
	// searchable properties"). The guide lists none for communications; the sandbox uses
	// the body. Names the account's schema lacks simply never match.
	searchableProps []string
	// requiredOnCreate lists properties HubSpot rejects a create without.
	requiredOnCreate []string
}

// objectTypes is a constant table (never mutated).
var objectTypes = []objectType{
	{name: "contacts", typeID: "0-1", singular: "contact", scopeObject: "contacts", schemaScopes: true,
		defaultProps: []string{"firstname", "lastname", "email"},
		createdProp:  "createdate", modifiedProp: "lastmodifieddate",
		searchableProps: []string{"firstname", "lastname", "email", "phone", "hs_additional_emails", "fax",
			"mobilephone", "company", "hs_marketable_until_renewal"}},
	{name: "companies", typeID: "0-2", singular: "company", scopeObject: "companies", schemaScopes: true,
		defaultProps: []string{"name", "domain"},
		createdProp:  "createdate", modifiedProp: "hs_lastmodifieddate",
		searchableProps: []string{"website", "phone", "name", "domain"}},
	{name: "deals", typeID: "0-3", singular: "deal", scopeObject: "deals", schemaScopes: true,
		defaultProps: []string{"dealname", "amount", "closedate", "pipeline", "dealstage"},
		createdProp:  "createdate", modifiedProp: "hs_lastmodifieddate",
		searchableProps: []string{"dealname", "pipeline", "dealstage", "description", "dealtype"}},
	{name: "notes", typeID: "0-46", singular: "note", scopeObject: "contacts",
		defaultProps: []string{}, createdProp: "hs_createdate", modifiedProp: "hs_lastmodifieddate",
		searchableProps: []string{"hs_note_body"}, requiredOnCreate: []string{"hs_timestamp"}},
	{name: "calls", typeID: "0-48", singular: "call", scopeObject: "contacts",
		defaultProps: []string{}, createdProp: "hs_createdate", modifiedProp: "hs_lastmodifieddate",
		searchableProps: []string{"hs_call_title", "hs_body_preview"}, requiredOnCreate: []string{"hs_timestamp"}},
	{name: "communications", typeID: "0-18", singular: "communication", scopeObject: "contacts",
		defaultProps: []string{}, createdProp: "hs_createdate", modifiedProp: "hs_lastmodifieddate",
		searchableProps:  []string{"hs_communication_body"},
		requiredOnCreate: []string{"hs_timestamp", "hs_communication_channel_type", "hs_communication_logged_from"}},
}

// lookupObjectType accepts the plural name, the singular name or the type id, as
// HubSpot does ("contacts", "contact", "0-1").
func lookupObjectType(s string) (*objectType, bool) {
	s = strings.ToLower(s)
	for i := range objectTypes {
		ot := &objectTypes[i]
		if s == ot.name || s == ot.typeID || s == ot.singular {
			return ot, true
		}
	}
	return nil, false
}

func (ot *objectType) readScopes() []string {
	return []string{"crm.objects." + ot.scopeObject + ".read"}
}

func (ot *objectType) writeScopes() []string {
	return []string{"crm.objects." + ot.scopeObject + ".write"}
}

// schemaReadScopes are the scopes that let a token read this type's property
// definitions. HubSpot's spec accepts any one of a long list (object or schema scopes
// of many types); the sandbox accepts the schema scope and the object read scope of
// the same type, which is what integrators observe working and keeps a token without
// deal scopes unable to read deal properties.
func (ot *objectType) schemaReadScopes() []string {
	if ot.schemaScopes {
		return []string{"crm.objects." + ot.name + ".read", "crm.schemas." + ot.name + ".read"}
	}
	return ot.readScopes()
}

func (ot *objectType) schemaWriteScopes() []string {
	if ot.schemaScopes {
		return []string{"crm.schemas." + ot.name + ".write"}
	}
	return ot.writeScopes()
}

// upper is how HubSpot names the type in batch error messages ("CONTACT").
func (ot *objectType) upper() string { return strings.ToUpper(ot.singular) }
