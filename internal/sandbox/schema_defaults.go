package sandbox

import (
	"strings"
	"time"
)

// propDef is a compact way to write the default schema; build turns it into a Property.
type propDef struct {
	name, label, typ, field, group string
	options                        []Option
	readOnly, calculated, hidden   bool
	unique, external               bool
	referenced                     string
}

func (d propDef) build(order int, ts string) Property {
	return Property{Name: d.name, Label: d.label, Type: d.typ, FieldType: d.field,
		Description: d.label + ".", GroupName: d.group, Options: d.options, DisplayOrder: order,
		Hidden: d.hidden, HubspotDefined: true, Calculated: d.calculated,
		ExternalOptions: d.external, HasUniqueValue: d.unique, FormField: !d.readOnly && !d.hidden,
		CreatedAt: ts, UpdatedAt: ts, ReferencedObjectType: d.referenced,
		DataSensitivity: "non_sensitive",
		ModificationMetadata: ModificationMetadata{Archivable: false, ReadOnlyDefinition: true,
			ReadOnlyValue: d.readOnly}}
}

func opts(pairs ...string) []Option {
	out := make([]Option, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Option{Value: pairs[i], Label: pairs[i+1], DisplayOrder: i / 2})
	}
	return out
}

func text(name, label, group string) propDef {
	return propDef{name: name, label: label, typ: "string", field: "text", group: group}
}

func num(name, label, group string) propDef {
	return propDef{name: name, label: label, typ: "number", field: "number", group: group}
}

func datetimeProp(name, label, group string) propDef {
	return propDef{name: name, label: label, typ: "datetime", field: "date", group: group}
}

func enum(name, label, field, group string, options []Option) propDef {
	return propDef{name: name, label: label, typ: "enumeration", field: field, group: group, options: options}
}

func readOnly(d propDef) propDef { d.readOnly = true; return d }

func calculated(d propDef) propDef { d.readOnly, d.calculated = true, true; return d }

var lifecycleStages = opts("subscriber", "Subscriber", "lead", "Lead",
	"marketingqualifiedlead", "Marketing Qualified Lead", "salesqualifiedlead", "Sales Qualified Lead",
	"opportunity", "Opportunity", "customer", "Customer", "evangelist", "Evangelist", "other", "Other")

// ownerProp is enumeration/select whose options come from the owners API
// (externalOptions, referencedObjectType OWNER), so it has none of its own. It is labelled
// after its object type ("Deal owner") and sits in a group of that type.
func ownerProp(ot objectType, group string) propDef {
	label := strings.ToUpper(ot.singular[:1]) + ot.singular[1:] + " owner"
	return propDef{name: "hubspot_owner_id", label: label, typ: "enumeration", field: "select",
		group: group, external: true, referenced: "OWNER"}
}

// systemProps are the record-keeping properties every object has, and on the types that
// can be merged the ids merged into a record (MergedIDsProp).
func systemProps(ot objectType) []propDef {
	defs := []propDef{
		readOnly(propDef{name: ot.createdProp, label: "Create Date", typ: "datetime", field: "date", group: ot.singular + "information"}),
		readOnly(datetimeProp(ot.modifiedProp, "Last Modified Date", ot.singular+"information")),
		readOnly(num("hs_object_id", "Record ID", ot.singular+"information")),
	}
	if tracksChanges(ot.name) {
		defs = append(defs, readOnly(text(MergedIDsProp, "Merged record IDs", ot.singular+"information")))
	}
	return defs
}

func defaultPropDefs(ot objectType) []propDef {
	var defs []propDef
	switch ot.name {
	case "contacts":
		g := "contactinformation"
		defs = []propDef{
			text("email", "Email", g), text("firstname", "First Name", g), text("lastname", "Last Name", g),
			{name: "phone", label: "Phone Number", typ: "string", field: "phonenumber", group: g},
			{name: "mobilephone", label: "Mobile Phone Number", typ: "string", field: "phonenumber", group: g},
			{name: "fax", label: "Fax Number", typ: "string", field: "phonenumber", group: g},
			text("company", "Company Name", g), text("website", "Website URL", g), text("jobtitle", "Job Title", g),
			text("city", "City", g), text("country", "Country/Region", g),
			enum("lifecyclestage", "Lifecycle Stage", "radio", g, lifecycleStages),
			enum("hs_lead_status", "Lead Status", "radio", "sales_properties", opts("NEW", "New", "OPEN", "Open",
				"IN_PROGRESS", "In Progress", "OPEN_DEAL", "Open Deal", "UNQUALIFIED", "Unqualified",
				"ATTEMPTED_TO_CONTACT", "Attempted to Contact", "CONNECTED", "Connected", "BAD_TIMING", "Bad Timing")),
			ownerProp(ot, "sales_properties"),
			readOnly(num("associatedcompanyid", "Primary Associated Company ID", g)),
			calculated(num("num_associated_deals", "Number of Associated Deals", "deal_information")),
			calculated(text("hs_email_domain", "Email Domain", "emailinformation")),
			{name: "hubspotscore", label: "HubSpot Score", typ: "number", field: "calculation_score", group: g, readOnly: true, calculated: true},
			{name: "hs_searchable_calculated_phone_number", label: "Phone number (searchable)", typ: "string",
				field: "calculation_read_time", group: g, readOnly: true, calculated: true, hidden: true},
			// Real portals return type object_coordinates here; clients must cope with
			// types outside the enum HubSpot documents for creating properties.
			{name: "hs_notes_last_activity", label: "Last Activity", typ: "object_coordinates", field: "text",
				group: g, readOnly: true, hidden: true},
		}
	case "companies":
		g := "companyinformation"
		defs = []propDef{
			text("name", "Company name", g), text("domain", "Company Domain Name", g),
			enum("industry", "Industry", "select", g, opts("COMPUTER_SOFTWARE", "Computer Software",
				"FINANCIAL_SERVICES", "Financial Services", "HOSPITAL_HEALTH_CARE", "Hospital & Health Care",
				"RETAIL", "Retail", "TELECOMMUNICATIONS", "Telecommunications")),
			num("annualrevenue", "Annual Revenue", g), num("numberofemployees", "Number of Employees", g),
			text("city", "City", g), text("country", "Country/Region", g),
			{name: "phone", label: "Phone Number", typ: "string", field: "phonenumber", group: g},
			text("website", "Website URL", g),
			enum("lifecyclestage", "Lifecycle Stage", "radio", g, lifecycleStages),
			ownerProp(ot, "sales_properties"),
			calculated(num("num_associated_contacts", "Number of Associated Contacts", g)),
		}
	case "deals":
		g := "dealinformation"
		defs = []propDef{
			text("dealname", "Deal Name", g),
			{name: "amount", label: "Amount", typ: "number", field: "number", group: g},
			datetimeProp("closedate", "Close Date", g),
			enum("pipeline", "Pipeline", "select", g, pipelineOptions()),
			enum("dealstage", "Deal Stage", "radio", g, dealStageOptions()),
			enum("dealtype", "Deal Type", "radio", g, opts("newbusiness", "New Business", "existingbusiness", "Existing Business")),
			{name: "description", label: "Deal Description", typ: "string", field: "textarea", group: g},
			ownerProp(ot, "sales_properties"),
			calculated(propDef{name: "hs_is_closed", label: "Is Deal Closed?", typ: "bool", field: "calculation_equation", group: g}),
			calculated(propDef{name: "days_to_close", label: "Days to close", typ: "number", field: "calculation_equation", group: g}),
		}
	case "notes":
		g := "engagement"
		defs = []propDef{datetimeProp("hs_timestamp", "Activity date", g),
			{name: "hs_note_body", label: "Note body", typ: "string", field: "html", group: g},
			text("hs_attachment_ids", "Attachment IDs", g), ownerProp(ot, g)}
	case "calls":
		g := "call"
		defs = []propDef{datetimeProp("hs_timestamp", "Activity date", g),
			{name: "hs_call_body", label: "Call notes", typ: "string", field: "html", group: g},
			text("hs_call_title", "Call Title", g),
			enum("hs_call_direction", "Call direction", "select", g, opts("INBOUND", "Inbound", "OUTBOUND", "Outbound")),
			num("hs_call_duration", "Call duration (ms)", g),
			enum("hs_call_status", "Call status", "select", g, opts("BUSY", "Busy", "CALLING_CRM_USER", "Calling CRM user",
				"CANCELED", "Canceled", "COMPLETED", "Completed", "CONNECTING", "Connecting", "FAILED", "Failed",
				"IN_PROGRESS", "In progress", "NO_ANSWER", "No answer", "QUEUED", "Queued", "RINGING", "Ringing")),
			text("hs_call_disposition", "Call outcome", g),
			text("hs_call_from_number", "From number", g), text("hs_call_to_number", "To number", g),
			text("hs_call_recording_url", "Recording URL", g),
			num("hs_call_callee_object_id", "Callee object id", g), text("hs_call_callee_object_type", "Callee object type", g),
			ownerProp(ot, g)}
	case "communications":
		g := "communication"
		defs = []propDef{datetimeProp("hs_timestamp", "Activity date", g),
			enum("hs_communication_channel_type", "Channel type", "select", g,
				opts("WHATS_APP", "WhatsApp", "LINKEDIN_MESSAGE", "LinkedIn", "SMS", "SMS")),
			enum("hs_communication_logged_from", "Logged from", "select", g, opts("CRM", "CRM")),
			{name: "hs_communication_body", label: "Body", typ: "string", field: "textarea", group: g},
			ownerProp(ot, g)}
	}
	return append(defs, systemProps(ot)...)
}

// defaultSchema builds a new account's property definitions: HubSpot's defaults plus
// the sample custom properties.
func defaultSchema(now time.Time) map[string]*propertySet {
	ts := isoMillis(now)
	out := map[string]*propertySet{}
	for _, ot := range objectTypes {
		ps := newPropertySet()
		for i, d := range defaultPropDefs(ot) {
			ps.add(d.build(i, ts))
		}
		for _, p := range sampleCustomProperties(ot.name, ts) {
			ps.add(p)
		}
		out[ot.name] = ps
	}
	return out
}
