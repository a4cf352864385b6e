package handles

import (
	"context"

	"github.com/connectflo/integrations/internal/conditions"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/upsert"
)

// Handle is a connection as one call sees it: the row read for the call and the live state the
// connection owns. It is cheap; get a new one per call rather than keep it.
type Handle struct {
	conn store.Connection
	live *live
	reg  *Registry
}

// Name is the connection's resource name.
func (h *Handle) Name() resname.Connection { return h.live.name }

// Connection is the stored row as read by the Get (or written by the call) that made h.
func (h *Handle) Connection() store.Connection { return h.conn }

// Client is the HubSpot client of the connection's token, opened on first use and shared by
// every call until the token changes. A token that cannot be decrypted is
// connections.ErrTokenUnreadable (and the connection is put in ERROR).
func (h *Handle) Client(ctx context.Context) (*hubspot.Client, error) {
	return h.live.client(ctx)
}

// maxSuccessors bounds how often Batcher follows a rotation that happened under it.
const maxSuccessors = 3

// Batcher is the connection's upsert batcher, started on first use. A call whose handle was
// replaced meanwhile (a rotation) gets the new token's batcher; one whose connection was
// deleted gets connections.ErrNotFound; after Close, upsert.ErrClosed.
func (h *Handle) Batcher(ctx context.Context) (*upsert.Batcher, error) {
	l := h.live
	for range maxSuccessors {
		b, ok, err := l.batcherFor(ctx)
		if ok {
			return b, err
		}
		next := h.reg.successor(l)
		switch {
		case next == nil:
			return nil, connections.ErrNotFound
		case next == l: // retired in place: the registry is closing
			return nil, upsert.ErrClosed
		}
		l = next
	}
	return nil, upsert.ErrClosed // rotated again and again under the call: let it retry
}

// StoredSchemas are the discovered schemas of every object type, as stored, for the row's
// schema version; a connection never discovered is discovered first.
func (h *Handle) StoredSchemas(ctx context.Context) (map[string]store.FieldSchema, error) {
	return h.reg.fields.Cached(ctx, h.conn)
}

// Owners are the owners of the connection's HubSpot account as last discovered (with the
// fields: a refresh reads both), or why they could not be read.
func (h *Handle) Owners(ctx context.Context) (store.OwnerList, error) {
	return h.reg.fields.Owners(ctx, h.conn)
}

// Schemas are the typed schemas writes and conditions are checked against, built once per
// schema version.
func (h *Handle) Schemas(ctx context.Context) (map[string]*fields.Schema, error) {
	return h.reg.fields.Schemas(ctx, h.conn)
}

// RefreshSchemas discovers the fields again from HubSpot; concurrent refreshes of one
// connection share one set of HubSpot calls. The row h carries keeps its schema version:
// Get a new handle to see the new one.
func (h *Handle) RefreshSchemas(ctx context.Context) (map[string]store.FieldSchema, error) {
	return h.reg.fields.Refresh(ctx, h.conn)
}

// Compile type-checks a condition against the connection's schemas, through the compiled
// conditions kept for it (an invalid condition's *conditions.ConditionError is kept too).
func (h *Handle) Compile(ctx context.Context, expression string) (*conditions.Program, error) {
	schemas, err := h.Schemas(ctx)
	if err != nil {
		return nil, err
	}
	return h.reg.programs.Compile(h.live.name.String(), schemas, expression)
}

// answer is a value kept for one connection and schema version.
type answer struct {
	uid     string
	version int64
	value   any
}

// answerKeyPrefix keeps a connection's answers apart, in the shared cache, from the schemas
// and from other connections' answers.
func answerKeyPrefix(name resname.Connection) string { return "answers|" + name.String() + "|" }

// Recall returns the value Remember kept under key for this connection, if it was kept for the
// schema version of h's row (a refresh of the fields makes every earlier answer miss).
func (h *Handle) Recall(key string) (any, bool) {
	v, ok := h.reg.cache.Get(answerKeyPrefix(h.live.name) + key)
	if !ok {
		return nil, false
	}
	a := v.(answer)
	return a.value, h.conn.SchemaVersion > 0 && a.version == h.conn.SchemaVersion && a.uid == h.conn.UID
}

// Remember keeps value, of about size bytes, under key for this connection and the schema
// version of h's row, within the cache's shared byte budget. value must not change after.
func (h *Handle) Remember(key string, value any, size int64) {
	if h.conn.SchemaVersion <= 0 {
		return
	}
	h.reg.cache.Put(answerKeyPrefix(h.live.name)+key, answer{uid: h.conn.UID, version: h.conn.SchemaVersion, value: value}, size)
}
