package fields

// Group is a property group of an object type: every field names one in GroupName, and a
// field picker shows fields by group. The store keeps groups as JSON under these Go names.
type Group struct {
	Name         string `json:",omitempty"`
	Label        string `json:",omitempty"`
	DisplayOrder int    `json:",omitempty"`
}
