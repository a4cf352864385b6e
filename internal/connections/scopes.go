package connections

import "sort"

// Scope is a HubSpot private-app scope with what ConnectFlo uses it for.
type Scope struct {
	Name    string
	Purpose string
}

// requiredScopes is the minimum of ConnectFlo's HubSpot guide: Connect refuses a token that
// lacks any of them.
var requiredScopes = []Scope{
	{"crm.objects.companies.read", "read company data in workflows"},
	{"crm.objects.companies.write", "update companies from workflows"},
	{"crm.objects.contacts.write", "create and update contacts, and log conversations on their timelines"},
	{"crm.schemas.appointments.read", "read appointment fields"},
	{"crm.schemas.companies.read", "discover company fields"},
	{"crm.schemas.contacts.read", "discover contact fields"},
	{"crm.schemas.contacts.write", "keep contact fields in step with ConnectFlo"},
	{"crm.schemas.deals.read", "discover deal fields"},
}

// recommendedScopes unlock more; without them the connection works, DEGRADED.
var recommendedScopes = []Scope{
	{"timeline", "show ConnectFlo events on HubSpot timelines"},
	{"crm.objects.owners.read", "show record owners and assign records to them by email"},
	{"sales-email-read", "read logged sales emails"},
}

// capability is something a connection can do, with the scopes each HubSpot endpoint it uses
// really needs: every group must be satisfied, and one scope of a group is enough. These are
// stricter than the guide's minimum where HubSpot is (reading and updating deals, for one).
type capability struct {
	ID          string
	Description string
	Needs       [][]string
}

var capabilities = []capability{
	{"DISCOVER_CONTACT_FIELDS", "Discover contact fields", [][]string{{"crm.schemas.contacts.read", "crm.objects.contacts.read"}}},
	{"DISCOVER_COMPANY_FIELDS", "Discover company fields", [][]string{{"crm.schemas.companies.read", "crm.objects.companies.read"}}},
	{"DISCOVER_DEAL_FIELDS", "Discover deal fields", [][]string{{"crm.schemas.deals.read", "crm.objects.deals.read"}}},
	{"UPSERT_CONTACTS", "Create and update contacts", [][]string{{"crm.objects.contacts.write"}}},
	{"READ_CONTACTS", "Read and search contacts", [][]string{{"crm.objects.contacts.read"}}},
	{"READ_COMPANIES", "Read and search companies", [][]string{{"crm.objects.companies.read"}}},
	{"UPDATE_COMPANIES", "Update companies", [][]string{{"crm.objects.companies.write"}}},
	{"READ_DEALS", "Read and search deals", [][]string{{"crm.objects.deals.read"}}},
	{"UPDATE_DEALS", "Update deals (for example their stage)", [][]string{{"crm.objects.deals.write"}}},
	{"LOG_ACTIVITIES", "Log calls, messages and notes on contact timelines", [][]string{{"crm.objects.contacts.write"}, {"crm.objects.contacts.read"}}},
	{"LIST_ASSOCIATIONS", "Find a contact's companies and deals", [][]string{{"crm.objects.contacts.read"}, {"crm.objects.companies.read"}, {"crm.objects.deals.read"}}},
	// Owner ids are checked and owner emails resolved against the owners discovery reads;
	// without them ids are sent unchecked and emails refused.
	{"RESOLVE_OWNERS", "Assign records to owners by email, refusing unknown and archived owners, and route conditions on an owner's email or teams", [][]string{{"crm.objects.owners.read"}}},
}

// CapabilityStatus says whether a capability is available and, if not, which scopes to add
// (the first of each unmet group).
type CapabilityStatus struct {
	ID            string
	Description   string
	Available     bool
	MissingScopes []string
}

// ScopeReport is what a set of granted scopes allows.
type ScopeReport struct {
	Granted            []string
	MissingRequired    []Scope
	MissingRecommended []Scope
	Capabilities       []CapabilityStatus
	// Unverified are scopes ConnectFlo relies on that no side-effect-free call could prove for
	// a token HubSpot would not introspect; they are assumed granted. Empty for an
	// introspected token.
	Unverified []string
}

// EvaluateScopes compares granted scopes with what ConnectFlo needs.
func EvaluateScopes(granted []string) ScopeReport {
	has := make(map[string]bool, len(granted))
	for _, s := range granted {
		has[s] = true
	}
	r := ScopeReport{Granted: append([]string(nil), granted...)}
	sort.Strings(r.Granted)
	for _, s := range requiredScopes {
		if !has[s.Name] {
			r.MissingRequired = append(r.MissingRequired, s)
		}
	}
	for _, s := range recommendedScopes {
		if !has[s.Name] {
			r.MissingRecommended = append(r.MissingRecommended, s)
		}
	}
	for _, c := range capabilities {
		st := CapabilityStatus{ID: c.ID, Description: c.Description, Available: true}
		for _, group := range c.Needs {
			ok := false
			for _, s := range group {
				ok = ok || has[s]
			}
			if !ok {
				st.Available = false
				st.MissingScopes = append(st.MissingScopes, group[0])
			}
		}
		r.Capabilities = append(r.Capabilities, st)
	}
	return r
}
