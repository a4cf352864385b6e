package sandbox

import "net/http"

// PropertyGroup is a group of properties in HubSpot's wire shape (PropertyGroup of the CRM
// properties API, https://developers.hubspot.com/docs/api/crm/properties): every property
// names one in its groupName.
type PropertyGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived"`
}

// customPropertiesGroup holds the sample custom properties, as HubSpot's guide advises
// (group custom properties "for easier discovery").
var customPropertiesGroup = PropertyGroup{Name: "custom_properties", Label: "Custom properties"}

// propertyGroups are the property groups of each object type: those its default and sample
// properties name. A test checks that every property's groupName is among them.
func propertyGroups(objectType string) []PropertyGroup {
	var groups []PropertyGroup
	switch objectType {
	case "contacts":
		groups = []PropertyGroup{{Name: "contactinformation", Label: "Contact information"},
			{Name: "emailinformation", Label: "Email information"},
			{Name: "sales_properties", Label: "Sales properties"},
			{Name: "deal_information", Label: "Deal information"}, customPropertiesGroup}
	case "companies":
		groups = []PropertyGroup{{Name: "companyinformation", Label: "Company information"},
			{Name: "sales_properties", Label: "Sales properties"}, customPropertiesGroup}
	case "deals":
		groups = []PropertyGroup{{Name: "dealinformation", Label: "Deal information"},
			{Name: "sales_properties", Label: "Sales properties"}, customPropertiesGroup}
	case "notes":
		groups = []PropertyGroup{{Name: "engagement", Label: "Engagement"}, {Name: "noteinformation", Label: "Note information"}}
	case "calls":
		groups = []PropertyGroup{{Name: "call", Label: "Call"}, {Name: "callinformation", Label: "Call information"}}
	case "communications":
		groups = []PropertyGroup{{Name: "communication", Label: "Communication"},
			{Name: "communicationinformation", Label: "Communication information"}}
	}
	for i := range groups {
		groups[i].DisplayOrder = i
	}
	return groups
}

// listPropertyGroups answers GET /crm/v3/properties/{objectType}/groups: {results} with no
// paging, under the scopes that let a token read the type's properties.
func listPropertyGroups(c *call) reply {
	ot, rep, ok := c.schemaType(accessRead)
	if !ok {
		return rep
	}
	return jsonReply(http.StatusOK, map[string]any{"results": propertyGroups(ot.name)})
}
