package client

// Resource names of the API (workspaces/{workspace}/connections/{connection}/…), built
// without string concatenation at every call site.

// WorkspaceName returns workspaces/{workspace}.
func WorkspaceName(workspace string) string { return "workspaces/" + workspace }

// ConnectionName returns workspaces/{workspace}/connections/{connection}.
func ConnectionName(workspace, connection string) string {
	return WorkspaceName(workspace) + "/connections/" + connection
}

// RecordName returns the name of a record of a connection; objectType is "contacts",
// "companies" or "deals", and record a HubSpot id (or an email with id_property "email").
func RecordName(connection, objectType, record string) string {
	return connection + "/objects/" + objectType + "/records/" + record
}

// ObjectTypeName returns the parent of SearchRecords for an object type.
func ObjectTypeName(connection, objectType string) string {
	return connection + "/objects/" + objectType
}
