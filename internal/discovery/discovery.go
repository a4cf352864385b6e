// Package discovery reads the contact, company and deal fields of a connected HubSpot account,
// types them (package fields) and keeps them in the store as the schema every write and
// condition is checked against, with each object type's property groups, the deal pipelines
// and the account's owners. Object types are read concurrently; concurrent refreshes of one
// connection share one set of HubSpot calls; a missing scope fails only its object type, and
// owners that cannot be read fail nothing but themselves.
package discovery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/bytecache"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/store"
)

// ObjectTypes are the object types discovered, in the order the API returns them.
var ObjectTypes = []string{"contacts", "companies", "deals"}

// refreshTimeout bounds one shared refresh; it runs detached from the first caller's context
// so that one impatient caller does not fail the others waiting on it.
const refreshTimeout = 2 * time.Minute

// Reasons recorded for an object type whose discovery failed.
var (
	ReasonMissingScopes = rpcerr.ReasonHubSpotMissingScopes
	ReasonUnavailable   = rpcerr.ReasonHubSpotUnavailable
	ReasonFailed        = rpcerr.ReasonHubSpotDiscoveryFailed
)

// Store is the persistence discovery needs.
type Store interface {
	ReplaceFieldSchemas(ctx context.Context, workspace, connectionID string, updates []store.SchemaUpdate, owners *store.OwnersUpdate, discoveredAt time.Time) (int64, error)
	FieldSchemas(ctx context.Context, workspace, connectionID string) (map[string]store.FieldSchema, error)
	Owners(ctx context.Context, workspace, connectionID string) (store.OwnerList, error)
}

// Clients gives the HubSpot client of a connection (the handles registry, which owns it).
type Clients interface {
	Client(ctx context.Context, c store.Connection) (*hubspot.Client, error)
}

// Discoverer discovers and caches fields. It is safe for concurrent use.
type Discoverer struct {
	store   Store
	clients Clients
	logger  *slog.Logger
	now     func() time.Time

	mu       sync.Mutex
	inflight map[string]*flight // connection name → the refresh under way
	// memo holds, per connection name (under memoKeyPrefix), a memoSet: its cached schemas
	// of one schema version, in a cache bounded by bytes across all workspaces.
	memo *bytecache.Cache
}

// DefaultCacheBytes is the schema cache's budget when none is configured.
const DefaultCacheBytes = 128 << 20

// memoKeyPrefix keeps the schemas apart from other entries of a shared cache.
const memoKeyPrefix = "schemas|"

type flight struct {
	done    chan struct{}
	schemas map[string]store.FieldSchema
	err     error
}

// memoSet keeps one schema version of a connection in memory, so that reads on the hot path
// (every write validates against the schema) neither query SQLite nor decode JSON. It is keyed
// by the schema version of the connection row the reader holds: a newer row misses and reloads.
type memoSet struct {
	version int64
	raw     map[string]store.FieldSchema
	typed   map[string]*fields.Schema // built on first use
}

// New returns a Discoverer keeping schemas in cache (nil: a private one of
// DefaultCacheBytes); pass the cache the connections' other answers are kept in (package
// handles does), so that one budget bounds both.
func New(st Store, clients Clients, cache *bytecache.Cache, logger *slog.Logger) *Discoverer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cache == nil {
		cache = bytecache.New(DefaultCacheBytes)
	}
	return &Discoverer{store: st, clients: clients, logger: logger, now: time.Now,
		inflight: map[string]*flight{}, memo: cache}
}

// Refresh reads every object type's fields from HubSpot and replaces the cache. Concurrent
// calls for one connection share a single refresh. It fails only when no object type could
// be read; per-type failures are recorded on their schema.
func (d *Discoverer) Refresh(ctx context.Context, c store.Connection) (map[string]store.FieldSchema, error) {
	name := resname.Connection{Workspace: c.Workspace, ID: c.ID}.String()
	d.mu.Lock()
	f, running := d.inflight[name]
	if !running {
		f = &flight{done: make(chan struct{})}
		d.inflight[name] = f
		go func() {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
			defer cancel()
			f.schemas, f.err = d.refresh(fctx, c)
			d.mu.Lock()
			delete(d.inflight, name)
			d.mu.Unlock()
			close(f.done)
		}()
	}
	d.mu.Unlock()
	select {
	case <-f.done:
		return f.schemas, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Cached returns the cached schemas, discovering them first if the connection never was.
func (d *Discoverer) Cached(ctx context.Context, c store.Connection) (map[string]store.FieldSchema, error) {
	name := resname.Connection{Workspace: c.Workspace, ID: c.ID}.String()
	if m, ok := d.memoized(name, c.SchemaVersion); ok {
		return m.raw, nil
	}
	got, err := d.store.FieldSchemas(ctx, c.Workspace, c.ID)
	if err != nil {
		return nil, err
	}
	if len(got) == 0 {
		return d.Refresh(ctx, c)
	}
	d.remember(name, c.SchemaVersion, got)
	return got, nil
}

// Schemas returns the typed schemas the validators and conditions use, built once per
// schema version of the connection.
func (d *Discoverer) Schemas(ctx context.Context, c store.Connection) (map[string]*fields.Schema, error) {
	name := resname.Connection{Workspace: c.Workspace, ID: c.ID}.String()
	if m, ok := d.memoized(name, c.SchemaVersion); ok && m.typed != nil {
		return m.typed, nil
	}
	raw, err := d.Cached(ctx, c)
	if err != nil {
		return nil, err
	}
	// The owners are written with the fields, in the discovery that set the schema version.
	owners, err := d.store.Owners(ctx, c.Workspace, c.ID)
	if err != nil {
		return nil, err
	}
	dir := ownerDirectory(owners, c.CredentialKind)
	typed := make(map[string]*fields.Schema, len(raw))
	for ot, fs := range raw {
		typed[ot] = fields.NewSchema(ot, fs.Version, fs.Fields).WithPipelines(fs.Pipelines).WithOwners(dir)
	}
	d.mu.Lock()
	if m, ok := d.lookup(name); ok && m.version == c.SchemaVersion {
		// The typed schemas (indexes by name and label) take about as much again.
		d.memo.Put(memoKeyPrefix+name, memoSet{version: m.version, raw: m.raw, typed: typed}, 2*approxBytes(m.raw))
	}
	d.mu.Unlock()
	return typed, nil
}

func (d *Discoverer) lookup(name string) (memoSet, bool) {
	v, ok := d.memo.Get(memoKeyPrefix + name)
	if !ok {
		return memoSet{}, false
	}
	return v.(memoSet), true
}

func (d *Discoverer) memoized(name string, version int64) (memoSet, bool) {
	m, ok := d.lookup(name)
	return m, ok && version > 0 && m.version == version
}

func (d *Discoverer) remember(name string, version int64, raw map[string]store.FieldSchema) {
	if version <= 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if m, ok := d.lookup(name); !ok || m.version <= version {
		d.memo.Put(memoKeyPrefix+name, memoSet{version: version, raw: raw}, approxBytes(raw))
	}
}

// Forget drops what is kept in memory for a deleted connection.
func (d *Discoverer) Forget(c resname.Connection) {
	d.memo.Remove(memoKeyPrefix + c.String())
}

// approxBytes estimates the memory of decoded schemas: their text plus a fixed cost per
// field and option for the structs and headers around it. It need not be exact, only
// proportional, so that a portal with thousands of fields counts for what it holds.
func approxBytes(raw map[string]store.FieldSchema) int64 {
	const perField, perOption = 256, 96
	var n int64
	for _, fs := range raw {
		for i := range fs.Fields {
			f := &fs.Fields[i]
			n += perField + int64(len(f.Name)+len(f.Label)+len(f.Description)+len(f.GroupName)+
				len(f.HubSpotType)+len(f.HubSpotFieldType)+len(f.ReferencedObjectType))
			for _, o := range f.Options {
				n += perOption + int64(len(o.Label)+len(o.Value)+len(o.Description)+len(o.Pipeline))
			}
		}
		for _, g := range fs.Groups {
			n += perOption + int64(len(g.Name)+len(g.Label))
		}
		for _, p := range fs.Pipelines {
			n += perOption + int64(len(p.ID)+len(p.Label))
			for _, s := range p.Stages {
				n += perOption + int64(len(s.ID)+len(s.Label))
			}
		}
	}
	return n
}

// refresh does the HubSpot calls of one refresh, concurrently, and records the outcome.
func (d *Discoverer) refresh(ctx context.Context, c store.Connection) (map[string]store.FieldSchema, error) {
	client, err := d.clients.Client(ctx, c)
	if err != nil {
		return nil, err
	}
	start := d.now()
	updates := make([]store.SchemaUpdate, len(ObjectTypes))
	errs := make([]error, len(ObjectTypes))
	var owners store.OwnersUpdate
	var wg sync.WaitGroup
	for i, ot := range ObjectTypes {
		wg.Go(func() { updates[i], errs[i] = discoverType(ctx, client, ot, c.CredentialKind) })
	}
	wg.Go(func() { owners = discoverOwners(ctx, client, c.CredentialKind) })
	wg.Wait()
	// When nothing could be read for a reason that is not per type (HubSpot down, token
	// revoked, rate limited), keep the cache as it is and report the reason.
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
		}
	}
	if failed == len(ObjectTypes) && !errors.Is(errs[0], hubspot.ErrMissingScopes) {
		return nil, errs[0]
	}
	discoveredAt := d.now().UTC()
	version, err := d.store.ReplaceFieldSchemas(ctx, c.Workspace, c.ID, updates, &owners, discoveredAt)
	if err != nil {
		return nil, err
	}
	name := resname.Connection{Workspace: c.Workspace, ID: c.ID}.String()
	d.logger.InfoContext(ctx, "discovered fields", "connection", name, "schema_version", version,
		"failed_types", failed, "owners_error", owners.ErrorReason, "duration_ms", d.now().Sub(start).Milliseconds())
	if failed > 0 {
		// Failed types keep their last good fields, which only the store has.
		got, err := d.store.FieldSchemas(ctx, c.Workspace, c.ID)
		if err == nil {
			d.remember(name, version, got)
		}
		return got, err
	}
	out := make(map[string]store.FieldSchema, len(updates))
	for _, u := range updates {
		out[u.ObjectType] = store.FieldSchema{ObjectType: u.ObjectType, Version: version, DiscoveredAt: discoveredAt, Fields: u.Fields,
			Groups: u.Groups, Pipelines: u.Pipelines}
	}
	d.remember(name, version, out)
	return out, nil
}

// discoverType reads one object type with a token of the kind given (a connections.Kind…
// constant, for how to add a missing scope). A failure is returned both as an error and as
// the SchemaUpdate recording it.
func discoverType(ctx context.Context, client *hubspot.Client, objectType, credentialKind string) (store.SchemaUpdate, error) {
	// The properties, the groups and the pipelines are three requests; they go out together.
	var props []hubspot.Property
	var groups []fields.Group
	var pipelines []fields.Pipeline
	var propsErr, groupsErr, pipelinesErr error
	var wg sync.WaitGroup
	wg.Go(func() { props, propsErr = client.ListProperties(ctx, objectType, hubspot.ListPropertiesOptions{}) })
	wg.Go(func() { groups, groupsErr = readGroups(ctx, client, objectType) })
	wg.Go(func() { pipelines, pipelinesErr = readPipelines(ctx, client, objectType) })
	wg.Wait()
	if err := cmp.Or(propsErr, groupsErr, pipelinesErr); err != nil {
		u := store.SchemaUpdate{ObjectType: objectType, ErrorReason: ReasonFailed, ErrorMessage: err.Error()}
		var apiErr *hubspot.APIError
		switch {
		case errors.Is(err, hubspot.ErrMissingScopes):
			u.ErrorReason = ReasonMissingScopes
			if errors.As(err, &apiErr) {
				u.ErrorScopes = apiErr.RequiredScopes
			}
			scopes := strings.Join(u.ErrorScopes, " or ")
			u.ErrorMessage = fmt.Sprintf("the token lacks the scope to read %s fields (%s). %s, then refresh fields",
				objectType, scopes, connections.ScopeSteps(credentialKind, scopes))
		case errors.Is(err, hubspot.ErrUnavailable):
			u.ErrorReason = ReasonUnavailable
		}
		return u, err
	}
	// Sort indexes rather than the properties: moving 200-byte structs cost more than the
	// typing did.
	order := make([]int, 0, len(props))
	for i := range props {
		if !props[i].Archived {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(props[a].Name, props[b].Name) })
	out := make([]fields.Field, len(order))
	for i, pi := range order {
		out[i] = fields.FromProperty(toFieldProperty(&props[pi]))
	}
	fields.AnnotateStages(objectType, out, pipelines)
	// Encode for the store here, while the other object types are still being read, so that
	// the transaction after the last one arrives only writes.
	encoded, err := store.EncodeFields(out)
	if err != nil {
		return store.SchemaUpdate{ObjectType: objectType, ErrorReason: ReasonFailed, ErrorMessage: err.Error()}, err
	}
	return store.SchemaUpdate{ObjectType: objectType, Fields: out, Encoded: encoded, Groups: groups, Pipelines: pipelines}, nil
}

// toFieldProperty keeps what the fields package types from HubSpot's property.
func toFieldProperty(p *hubspot.Property) fields.Property {
	fp := fields.Property{Name: p.Name, Label: p.Label, Description: p.Description, GroupName: p.GroupName,
		Type: p.Type, FieldType: p.FieldType, DisplayOrder: p.DisplayOrder, Hidden: p.Hidden,
		HubSpotDefined: p.HubSpotDefined, Calculated: p.Calculated, ExternalOptions: p.ExternalOptions,
		HasUniqueValue: p.HasUniqueValue, ReadOnlyValue: p.ReadOnlyValue(), ReferencedObjectType: p.ReferencedObjectType}
	if len(p.Options) > 0 {
		fp.Options = make([]fields.Option, 0, len(p.Options))
	}
	for _, o := range p.Options {
		fp.Options = append(fp.Options, fields.Option{Label: o.Label, Value: o.Value, DisplayOrder: o.DisplayOrder,
			Hidden: o.Hidden, Description: o.Description})
	}
	return fp
}
