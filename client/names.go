package client

import (
	"fmt"
	"strings"

	"github.com/connectflo/integrations/internal/truncate"
)

// maxQuoted is how much of a bad name an error quotes.
const maxQuoted = 80

// Resource names of the API (AIP-122), built and parsed by their patterns rather than by
// string concatenation at every call site. The patterns are the server's (a test checks them
// against it); the parsers check a name's shape, and the server still judges its ids.
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

// WorkspaceName returns workspaces/{workspace}.
func WorkspaceName(workspace string) string { return fill(WorkspacePattern, workspace) }

// ConnectionName returns workspaces/{workspace}/connections/{connection}.
func ConnectionName(workspace, connection string) string {
	return fill(ConnectionPattern, workspace, connection)
}

// ObjectTypeName returns the name of a connection's collection of one object type, the
// parent of SearchRecords: {connection}/objects/{object_type}.
func ObjectTypeName(connection, objectType string) string {
	return connection + fill(suffix(ObjectCollectionPattern, ConnectionPattern), objectType)
}

// RecordName returns the name of a record of a connection; objectType is "contacts",
// "companies" or "deals", and record a HubSpot id (or an email with id_property "email").
func RecordName(connection, objectType, record string) string {
	return connection + fill(suffix(RecordPattern, ConnectionPattern), objectType, record)
}

// TimelineEventName returns the name of a timeline event of a connection.
func TimelineEventName(connection, timelineEvent string) string {
	return connection + fill(suffix(TimelineEventPattern, ConnectionPattern), timelineEvent)
}

// AuditEventName returns the name of an audit event of a workspace.
func AuditEventName(workspace, auditEvent string) string {
	return fill(AuditEventPattern, workspace, auditEvent)
}

// ChangeName returns the name of a change of a connection.
func ChangeName(connection, change string) string {
	return connection + fill(suffix(ChangePattern, ConnectionPattern), change)
}

// ChangeSettingsName returns the name of a connection's change settings (a singleton).
func ChangeSettingsName(connection string) string {
	return connection + suffix(ChangeSettingsPattern, ConnectionPattern)
}

// UsageName returns the name of a connection's HubSpot API usage (a singleton).
func UsageName(connection string) string {
	return connection + suffix(UsagePattern, ConnectionPattern)
}

// ConnectionRef is a parsed connection name.
type ConnectionRef struct{ Workspace, Connection string }

// String formats the name.
func (r ConnectionRef) String() string { return ConnectionName(r.Workspace, r.Connection) }

// ObjectCollectionRef is a parsed object collection name.
type ObjectCollectionRef struct {
	ConnectionRef
	ObjectType string
}

// String formats the name.
func (r ObjectCollectionRef) String() string {
	return ObjectTypeName(r.ConnectionRef.String(), r.ObjectType)
}

// RecordRef is a parsed record name.
type RecordRef struct {
	ObjectCollectionRef
	Record string
}

// String formats the name.
func (r RecordRef) String() string {
	return RecordName(r.ConnectionRef.String(), r.ObjectType, r.Record)
}

// TimelineEventRef is a parsed timeline event name.
type TimelineEventRef struct {
	ConnectionRef
	TimelineEvent string
}

// String formats the name.
func (r TimelineEventRef) String() string {
	return TimelineEventName(r.ConnectionRef.String(), r.TimelineEvent)
}

// AuditEventRef is a parsed audit event name.
type AuditEventRef struct{ Workspace, AuditEvent string }

// String formats the name.
func (r AuditEventRef) String() string { return AuditEventName(r.Workspace, r.AuditEvent) }

// ParseWorkspaceName returns the workspace id of workspaces/{workspace}.
func ParseWorkspaceName(name string) (string, error) {
	ids, err := match(WorkspacePattern, name)
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// ParseConnectionName parses workspaces/{workspace}/connections/{connection}.
func ParseConnectionName(name string) (ConnectionRef, error) {
	ids, err := match(ConnectionPattern, name)
	if err != nil {
		return ConnectionRef{}, err
	}
	return ConnectionRef{ids[0], ids[1]}, nil
}

// ParseObjectCollectionName parses {connection}/objects/{object_type}.
func ParseObjectCollectionName(name string) (ObjectCollectionRef, error) {
	ids, err := match(ObjectCollectionPattern, name)
	if err != nil {
		return ObjectCollectionRef{}, err
	}
	return ObjectCollectionRef{ConnectionRef{ids[0], ids[1]}, ids[2]}, nil
}

// ParseRecordName parses {connection}/objects/{object_type}/records/{record}.
func ParseRecordName(name string) (RecordRef, error) {
	ids, err := match(RecordPattern, name)
	if err != nil {
		return RecordRef{}, err
	}
	return RecordRef{ObjectCollectionRef{ConnectionRef{ids[0], ids[1]}, ids[2]}, ids[3]}, nil
}

// ParseTimelineEventName parses {connection}/timelineEvents/{timeline_event}.
func ParseTimelineEventName(name string) (TimelineEventRef, error) {
	ids, err := match(TimelineEventPattern, name)
	if err != nil {
		return TimelineEventRef{}, err
	}
	return TimelineEventRef{ConnectionRef{ids[0], ids[1]}, ids[2]}, nil
}

// ParseAuditEventName parses workspaces/{workspace}/auditEvents/{audit_event}.
func ParseAuditEventName(name string) (AuditEventRef, error) {
	ids, err := match(AuditEventPattern, name)
	if err != nil {
		return AuditEventRef{}, err
	}
	return AuditEventRef{ids[0], ids[1]}, nil
}

// ChangeRef is a parsed change name.
type ChangeRef struct {
	ConnectionRef
	Change string
}

// String formats the name.
func (r ChangeRef) String() string { return ChangeName(r.ConnectionRef.String(), r.Change) }

// ParseChangeName parses {connection}/changes/{change}.
func ParseChangeName(name string) (ChangeRef, error) {
	ids, err := match(ChangePattern, name)
	if err != nil {
		return ChangeRef{}, err
	}
	return ChangeRef{ConnectionRef{ids[0], ids[1]}, ids[2]}, nil
}

// ParseChangeSettingsName parses {connection}/changeSettings and returns its connection.
func ParseChangeSettingsName(name string) (ConnectionRef, error) {
	ids, err := match(ChangeSettingsPattern, name)
	if err != nil {
		return ConnectionRef{}, err
	}
	return ConnectionRef{ids[0], ids[1]}, nil
}

// ParseUsageName parses {connection}/usage and returns its connection.
func ParseUsageName(name string) (ConnectionRef, error) {
	ids, err := match(UsagePattern, name)
	if err != nil {
		return ConnectionRef{}, err
	}
	return ConnectionRef{ids[0], ids[1]}, nil
}

// fill puts ids, in order, in place of a pattern's {variables}.
func fill(pattern string, ids ...string) string {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if isVariable(s) && len(ids) > 0 {
			segs[i], ids = ids[0], ids[1:]
		}
	}
	return strings.Join(segs, "/")
}

// match returns the ids a name has in place of a pattern's {variables}: each a non-empty
// segment; the collection segments must be the pattern's.
func match(pattern, name string) ([]string, error) {
	want, got := strings.Split(pattern, "/"), strings.Split(name, "/")
	if len(got) != len(want) {
		return nil, fmt.Errorf("%q is not a resource name of the form %s", truncate.Text(name, maxQuoted), pattern)
	}
	var ids []string
	for i, w := range want {
		switch {
		case isVariable(w) && got[i] == "":
			return nil, fmt.Errorf("%q has an empty %s; want %s", truncate.Text(name, maxQuoted), w, pattern)
		case isVariable(w):
			ids = append(ids, got[i])
		case got[i] != w:
			return nil, fmt.Errorf("%q has %q where %s has %q", truncate.Text(name, maxQuoted), truncate.Text(got[i], maxQuoted), pattern, w)
		}
	}
	return ids, nil
}

// suffix is what a child pattern adds to its parent's, e.g. "/objects/{object_type}".
func suffix(child, parent string) string { return strings.TrimPrefix(child, parent) }

func isVariable(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }
