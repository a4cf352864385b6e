package changes

import "strings"

// nameProperties are the properties a record's display name is made of, by object type.
var nameProperties = map[string][]string{
	"contacts":  {"firstname", "lastname", "email"},
	"companies": {"name", "domain"},
	"deals":     {"dealname"},
}

// NameProperties are the properties to read for DisplayName of a record of objectType.
func NameProperties(objectType string) []string { return nameProperties[objectType] }

// DisplayName is a record's name as a change carries it, from its properties: a contact's
// "First Last" (or its email when it has neither), a company's name (or its domain), a deal's
// name. Both ways changes are detected (webhooks and polling) name records by this rule.
func DisplayName(objectType string, props map[string]string) string {
	if objectType == "contacts" {
		if n := strings.TrimSpace(props["firstname"] + " " + props["lastname"]); n != "" {
			return n
		}
		return props["email"]
	}
	for _, p := range nameProperties[objectType] {
		if v := props[p]; v != "" {
			return v
		}
	}
	return ""
}
