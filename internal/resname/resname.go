// Package resname parses and formats the API's resource names (AIP-122) and page tokens
// (AIP-158). Every parse error names the request field it came from, so callers can return it
// as an INVALID_ARGUMENT field violation as is.
package resname

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/connectflo/integrations/internal/truncate"
)

// The API's resource name patterns (AIP-122). Each parser checks its pattern and quotes it in
// its errors; client/ builds and parses names by the same patterns (its test checks it).
const (
	WorkspacePattern        = "workspaces/{workspace}"
	ConnectionPattern       = WorkspacePattern + "/connections/{connection}"
	ObjectCollectionPattern = ConnectionPattern + "/objects/{object_type}"
	RecordPattern           = ObjectCollectionPattern + "/records/{record}"
	TimelineEventPattern    = ConnectionPattern + "/timelineEvents/{timeline_event}"
	AuditEventPattern       = WorkspacePattern + "/auditEvents/{audit_event}"
	ChangePattern           = ConnectionPattern + "/changes/{change}"
	ChangeSettingsPattern   = ConnectionPattern + "/changeSettings"
	UsagePattern            = ConnectionPattern + "/usage"
)

// Patterns are every resource name pattern of the API, by resource type.
var Patterns = map[string]string{
	"Workspace":        WorkspacePattern,
	"Connection":       ConnectionPattern,
	"ObjectCollection": ObjectCollectionPattern,
	"Record":           RecordPattern,
	"TimelineEvent":    TimelineEventPattern,
	"AuditEvent":       AuditEventPattern,
	"Change":           ChangePattern,
	"ChangeSettings":   ChangeSettingsPattern,
	"Usage":            UsagePattern,
}

// idPattern is what a workspace or connection id may look like: lowercase letters, digits and
// hyphens, starting with a letter, at most 63 characters (AIP-122 recommends RFC 1034 labels).
var idPattern = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// IDRule says in words what ValidID accepts.
const IDRule = "lowercase letters, digits and hyphens, starting with a letter, at most 63 characters"

// ValidID reports whether s can be a workspace or connection id.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// FieldError is a malformed value of one request field.
type FieldError struct {
	Field       string // the request field, e.g. "parent"
	Description string // what is wrong and what is expected
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Description }

// Workspace is workspaces/{workspace}.
type Workspace struct{ ID string }

// String formats the name.
func (w Workspace) String() string { return "workspaces/" + w.ID }

// Connection is workspaces/{workspace}/connections/{connection}.
type Connection struct{ Workspace, ID string }

// String formats the name.
func (c Connection) String() string { return "workspaces/" + c.Workspace + "/connections/" + c.ID }

// ScopedFields are the request fields that name a resource inside a workspace, in the order
// in which they are read.
var ScopedFields = []string{"parent", "name", "connection"}

// WorkspaceOf returns the workspace of any resource name under workspaces/{workspace}
// ("workspaces/acme", "workspaces/acme/connections/prod/..."), and false when name does not
// start with a valid workspace. It checks only that prefix: the handler parses the whole name.
func WorkspaceOf(name string) (Workspace, bool) {
	rest, ok := strings.CutPrefix(name, "workspaces/")
	if !ok {
		return Workspace{}, false
	}
	ws, _, _ := strings.Cut(rest, "/")
	return Workspace{ID: ws}, ValidID(ws)
}

// ParseWorkspace parses workspaces/{workspace}; field names the request field for errors.
func ParseWorkspace(field, name string) (Workspace, error) {
	parts, err := split(field, name, WorkspacePattern, "workspaces")
	if err != nil {
		return Workspace{}, err
	}
	return Workspace{ID: parts[0]}, nil
}

// ParseConnection parses workspaces/{workspace}/connections/{connection}.
func ParseConnection(field, name string) (Connection, error) {
	parts, err := split(field, name, ConnectionPattern, "workspaces", "connections")
	if err != nil {
		return Connection{}, err
	}
	return Connection{Workspace: parts[0], ID: parts[1]}, nil
}

// split checks name against the collections of a pattern and returns the ids.
func split(field, name, pattern string, collections ...string) ([]string, error) {
	bad := func(why string) error {
		return &FieldError{Field: field, Description: fmt.Sprintf("%s; want %s", why, pattern)}
	}
	if name == "" {
		return nil, &FieldError{Field: field, Description: "is required; want " + pattern}
	}
	segs := strings.Split(name, "/")
	if len(segs) != 2*len(collections) {
		return nil, bad(fmt.Sprintf("%q is not a valid resource name", truncate.Text(name, maxQuoted)))
	}
	ids := make([]string, len(collections))
	for i, coll := range collections {
		if segs[2*i] != coll {
			return nil, bad(fmt.Sprintf("%q is not a valid resource name (expected %q at segment %d)", truncate.Text(name, maxQuoted), coll, 2*i+1))
		}
		id := segs[2*i+1]
		if !ValidID(id) {
			return nil, bad(fmt.Sprintf("%q has an invalid id %q (%s)", truncate.Text(name, maxQuoted), truncate.Text(id, maxQuoted), IDRule))
		}
		ids[i] = id
	}
	return ids, nil
}

// maxQuoted is how many bytes of a caller's name or id an error message quotes, so messages
// stay short whatever the caller sent.
const maxQuoted = 80
