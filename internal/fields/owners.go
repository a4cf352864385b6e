package fields

// Owner is a HubSpot owner: a user records can be assigned to. ID is the value owner fields
// (hubspot_owner_id and other fields referencing OWNER) hold. The store keeps owners as JSON
// under these Go names.
type Owner struct {
	ID        string `json:",omitempty"`
	Email     string `json:",omitempty"`
	FirstName string `json:",omitempty"`
	LastName  string `json:",omitempty"`
	Teams     []Team `json:",omitempty"`
	// Archived owners are deactivated users: still named on old records.
	Archived bool `json:",omitempty"`
}

// Team is a team an owner belongs to; Primary marks the owner's main team.
type Team struct {
	ID      string `json:",omitempty"`
	Name    string `json:",omitempty"`
	Primary bool   `json:",omitempty"`
}
