// Package audit keeps the audit log: who changed a workspace's connections or API keys, what,
// when, from where, and how it ended. Calls over the API are recorded by an interceptor (so no
// handler can forget), commands run on the server by the commands themselves. An event never
// holds a secret: it is built from resource names, key ids, addresses and status codes only.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/store"

	"github.com/connectflo/integrations/internal/truncate"
)

// Actions an event records (stored as these strings; the API prefixes AUDIT_ACTION_).
const (
	ActionConnect              = "CONNECT"
	ActionUpdateCredentials    = "UPDATE_CREDENTIALS"
	ActionDeleteConnection     = "DELETE_CONNECTION"
	ActionStatusChange         = "CONNECTION_STATUS_CHANGE"
	ActionRotateEncryptionKey  = "ROTATE_ENCRYPTION_KEY"
	ActionCreateAPIKey         = "CREATE_API_KEY"
	ActionRevokeAPIKey         = "REVOKE_API_KEY"
	ActionUpdateChangeSettings = "UPDATE_CHANGE_SETTINGS"
)

// Transports an event records (the API prefixes AUDIT_TRANSPORT_).
const (
	TransportGRPC        = "GRPC"
	TransportREST        = "REST"
	TransportCommandLine = "COMMAND_LINE"
)

// OutcomeOK is the outcome of a success; failures record their canonical code name.
const OutcomeOK = "OK"

// Retention bounds every workspace's log: a year of history, and a workspace that writes a
// great deal keeps its newest 10,000 events. docs/operations.md and the proto state these figures.
var Retention = store.AuditRetention{MaxAge: 365 * 24 * time.Hour, MaxEvents: 10_000}

// Field bounds: what a caller influences (addresses it claims, display names) is cut to these.
const (
	maxForwardedFor = 256
	maxDescription  = 300
	maxShortField   = 256 // resource names, addresses, request ids, operator names
)

// Store is where events go.
type Store interface {
	AppendAuditEvent(ctx context.Context, e store.AuditEvent, keep store.AuditRetention) error
}

// Recorder writes audit events.
type Recorder struct {
	store Store
	now   func() time.Time
}

// NewRecorder returns a Recorder writing to st.
func NewRecorder(st Store) *Recorder { return &Recorder{store: st, now: time.Now} }

// Record gives e an id and a time (unless set), bounds its fields and stores it, pruning its
// workspace's log to Retention.
func (r *Recorder) Record(ctx context.Context, e store.AuditEvent) error {
	if e.ID == "" {
		e.ID = newID()
	}
	if e.Time.IsZero() {
		e.Time = r.now()
	}
	e.Resource = bound(e.Resource, maxShortField)
	e.PeerAddress = bound(e.PeerAddress, maxShortField)
	e.ForwardedFor = bound(e.ForwardedFor, maxForwardedFor)
	e.RequestID = bound(e.RequestID, maxShortField)
	e.ActorOperator = bound(e.ActorOperator, maxShortField)
	e.Description = bound(e.Description, maxDescription)
	return r.store.AppendAuditEvent(ctx, e, Retention)
}

// Operator names who runs a command on the server: the operating-system user.
func Operator() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return name
	}
	return "unknown"
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a random event id: a letter then 20 lowercase base32 characters, so that it is
// a valid resource id.
func newID() string {
	b := make([]byte, 13)
	rand.Read(b) // never fails (crypto/rand)
	return "e" + strings.ToLower(idEncoding.EncodeToString(b))[:20]
}

// bound keeps s valid UTF-8 and at most max bytes, cut at a character boundary.
func bound(s string, max int) string {
	return truncate.Text(strings.ToValidUTF8(s, "?"), max)
}

// RecordCommand records an operation done by a command run on the server (apikey create or
// revoke, rotate-keys): the actor is the operating-system user, the outcome OK (failed commands
// change nothing and are reported to the operator instead).
func (r *Recorder) RecordCommand(ctx context.Context, workspace, action, resource, description string) error {
	return r.Record(ctx, store.AuditEvent{Workspace: workspace, Action: action, Resource: resource, Description: description,
		ActorOperator: Operator(), Transport: TransportCommandLine, Outcome: OutcomeOK})
}

// APIKeyResource names an API key in the audit log: workspaces/{workspace}/apiKeys/{key id}
// (workspace is "*" for a key of every workspace).
func APIKeyResource(workspace, keyID string) string {
	return "workspaces/" + workspace + "/apiKeys/" + keyID
}
