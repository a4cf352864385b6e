package resname

import (
	"fmt"
	"strings"

	"github.com/connectflo/integrations/internal/truncate"
)

// MaxTimelineEventIDLength bounds a timeline event id in a name; the outbox makes ids of 24
// characters.
const MaxTimelineEventIDLength = 64

// TimelineEvent is workspaces/{w}/connections/{c}/timelineEvents/{timeline_event}.
type TimelineEvent struct {
	Connection
	ID string
}

// String formats the name.
func (e TimelineEvent) String() string { return e.Connection.String() + "/timelineEvents/" + e.ID }

// ParseTimelineEvent parses workspaces/{w}/connections/{c}/timelineEvents/{timeline_event}.
func ParseTimelineEvent(field, name string) (TimelineEvent, error) {
	bad := &FieldError{Field: field, Description: fmt.Sprintf("%q is not a valid resource name; want %s", truncate.Text(name, maxQuoted), TimelineEventPattern)}
	conn, rest, err := splitAfterConnection(field, name, TimelineEventPattern)
	if err != nil {
		return TimelineEvent{}, bad
	}
	id, ok := strings.CutPrefix(rest, "timelineEvents/")
	if !ok || id == "" || len(id) > MaxTimelineEventIDLength || strings.Contains(id, "/") {
		return TimelineEvent{}, bad
	}
	return TimelineEvent{Connection: conn, ID: id}, nil
}

// AuditEvent is workspaces/{w}/auditEvents/{audit_event}.
type AuditEvent struct {
	Workspace
	ID string
}

// String formats the name.
func (e AuditEvent) String() string { return e.Workspace.String() + "/auditEvents/" + e.ID }

// ParseAuditEvent parses workspaces/{w}/auditEvents/{audit_event}; audit event ids are ids
// as ValidID has them.
func ParseAuditEvent(field, name string) (AuditEvent, error) {
	parts, err := split(field, name, AuditEventPattern, "workspaces", "auditEvents")
	if err != nil {
		return AuditEvent{}, err
	}
	return AuditEvent{Workspace: Workspace{ID: parts[0]}, ID: parts[1]}, nil
}

// Change is workspaces/{w}/connections/{c}/changes/{change}.
type Change struct {
	Connection
	ID string
}

// String formats the name.
func (c Change) String() string { return c.Connection.String() + "/changes/" + c.ID }

// ParseChange parses workspaces/{w}/connections/{c}/changes/{change}.
func ParseChange(field, name string) (Change, error) {
	bad := &FieldError{Field: field, Description: fmt.Sprintf("%q is not a valid resource name; want %s", truncate.Text(name, maxQuoted), ChangePattern)}
	conn, rest, err := splitAfterConnection(field, name, ChangePattern)
	if err != nil {
		return Change{}, bad
	}
	id, ok := strings.CutPrefix(rest, "changes/")
	if !ok || id == "" || len(id) > MaxTimelineEventIDLength || strings.Contains(id, "/") {
		return Change{}, bad
	}
	return Change{Connection: conn, ID: id}, nil
}

// ChangeSettings is workspaces/{w}/connections/{c}/changeSettings, a singleton.
type ChangeSettings struct{ Connection }

// String formats the name.
func (c ChangeSettings) String() string { return c.Connection.String() + "/changeSettings" }

// ParseChangeSettings parses workspaces/{w}/connections/{c}/changeSettings.
func ParseChangeSettings(field, name string) (ChangeSettings, error) {
	bad := &FieldError{Field: field, Description: fmt.Sprintf("%q is not a valid resource name; want %s", truncate.Text(name, maxQuoted), ChangeSettingsPattern)}
	conn, rest, err := splitAfterConnection(field, name, ChangeSettingsPattern)
	if err != nil || rest != "changeSettings" {
		return ChangeSettings{}, bad
	}
	return ChangeSettings{Connection: conn}, nil
}

// Usage is workspaces/{w}/connections/{c}/usage, a singleton.
type Usage struct{ Connection }

// String formats the name.
func (u Usage) String() string { return u.Connection.String() + "/usage" }

// ParseUsage parses workspaces/{w}/connections/{c}/usage.
func ParseUsage(field, name string) (Usage, error) {
	bad := &FieldError{Field: field, Description: fmt.Sprintf("%q is not a valid resource name; want %s", truncate.Text(name, maxQuoted), UsagePattern)}
	conn, rest, err := splitAfterConnection(field, name, UsagePattern)
	if err != nil || rest != "usage" {
		return Usage{}, bad
	}
	return Usage{Connection: conn}, nil
}
