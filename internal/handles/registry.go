// Package handles gives each HubSpot connection one owner in memory. A connection's live state
// (its HubSpot client, its discovered schemas, its upsert batcher, its compiled conditions and
// the answers kept for it) is reached only through its Handle, obtained in one call
// (Registry.Get), replaced whole when its token changes (Registry.Rotate) and dropped whole when
// it is deleted (Registry.Drop). Nothing else holds a piece of that state, so nothing else has
// to notice a rotation or remember to clear a cache on delete: when state is added for a
// connection (a poller, usage counters), it goes here and follows the same lifetime.
//
// The stored record stays the truth. Every Get reads the connection's row (one small query, as
// every call did before handles existed) and returns a Handle carrying that row, so a status
// change or a field refresh made by another path is seen by the next call. What is built from
// the row is kept per sealed token: a row whose uid, key id or ciphertext differ from what the
// live state was built from (a rotation, a re-sealing by rotate-keys, a delete and a new
// Connect under the same name) gets new live state, and the old state is retired: its
// batcher drains in the background. What is cached by schema version (schemas, compiled
// conditions, answers) stays in one byte- or count-bounded cache shared by every connection,
// so the process's memory is bounded whatever the number of connections.
package handles

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/connectflo/integrations/internal/bytecache"
	"github.com/connectflo/integrations/internal/conditions"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/discovery"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/upsert"
)

// Connections is what the registry needs of the connection lifecycle: the stored row and a
// client opened from its sealed token.
type Connections interface {
	Get(ctx context.Context, name resname.Connection) (store.Connection, error)
	OpenClient(ctx context.Context, c store.Connection) (*hubspot.Client, error)
}

var _ Connections = (*connections.Manager)(nil)

// Deps are what a Registry is built on.
type Deps struct {
	Connections Connections
	// Store keeps the discovered schemas.
	Store discovery.Store
	// Cache holds the schemas and answers of every connection within one byte budget (nil: a
	// private one of discovery.DefaultCacheBytes).
	Cache  *bytecache.Cache
	Logger *slog.Logger
}

// Config tunes what the registry builds for each connection.
type Config struct {
	// Upsert configures each connection's batcher.
	Upsert upsert.Config
	// CompiledConditions bounds the compiled conditions kept across all connections (0:
	// DefaultCompiledConditions).
	CompiledConditions int
	// ConditionLimits bound each compilation.
	ConditionLimits conditions.Limits
}

// DefaultCompiledConditions is how many compiled conditions are kept across connections when
// Config does not say.
const DefaultCompiledConditions = 1024

// Registry hands out the Handle of each connection. It is safe for concurrent use. It keeps
// one live state per connection used since the start, until Drop: a few pointers until the
// connection's client or batcher is first needed, so at most one per stored connection.
type Registry struct {
	conns     Connections
	fields    *discovery.Discoverer
	cache     *bytecache.Cache
	programs  *conditions.Cache
	upsertCfg upsert.Config

	// mu guards lives and is taken before any live's own lock, never after: a live is retired
	// under mu, so that Close, once it holds mu, knows every batcher that will ever need
	// draining.
	mu       sync.Mutex
	lives    map[string]*live // connection name → its current live state
	closed   atomic.Bool      // set under mu; read without it when a batcher starts
	draining sync.WaitGroup   // batchers of replaced live state, closing in the background
}

var _ discovery.Clients = (*Registry)(nil)

// New returns an empty registry.
func New(d Deps, cfg Config) *Registry {
	if d.Cache == nil {
		d.Cache = bytecache.New(discovery.DefaultCacheBytes)
	}
	if cfg.CompiledConditions <= 0 {
		cfg.CompiledConditions = DefaultCompiledConditions
	}
	r := &Registry{conns: d.Connections, cache: d.Cache, upsertCfg: cfg.Upsert,
		programs: conditions.NewCache(cfg.CompiledConditions, cfg.ConditionLimits), lives: map[string]*live{}}
	// The discoverer reaches HubSpot through the registry, so that discovery shares the
	// connection's client (and its rate limiter's view) with every other call.
	r.fields = discovery.New(d.Store, r, d.Cache, d.Logger)
	return r
}

// Get reads the connection's row and returns its handle: connections.ErrNotFound when there
// is no such connection. Concurrent Gets of one connection share one live state.
func (r *Registry) Get(ctx context.Context, name resname.Connection) (*Handle, error) {
	c, err := r.conns.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return r.Of(c), nil
}

// Of is the handle of a row the caller has just read or written (Connect's new connection).
func (r *Registry) Of(c store.Connection) *Handle {
	return &Handle{conn: c, live: r.liveFor(c, false), reg: r}
}

// Rotate is the handle of a row whose token was just replaced (UpdateCredentials): its live
// state is built anew from c, and the previous state retired: its batcher drains in the
// background, and a call still holding the old handle gets the new batcher (its client, of
// the previous token, serves it to the end of that call).
func (r *Registry) Rotate(c store.Connection) *Handle {
	return &Handle{conn: c, live: r.liveFor(c, true), reg: r}
}

// Drop forgets a deleted connection whole: its batcher is drained (before Drop returns), its
// schemas, compiled conditions and answers leave memory, and a connection created later
// under the same name starts empty.
func (r *Registry) Drop(name resname.Connection) {
	key := name.String()
	r.mu.Lock()
	var b *upsert.Batcher
	if cur := r.lives[key]; cur != nil {
		b = cur.retire()
	}
	delete(r.lives, key)
	r.mu.Unlock()
	if b != nil {
		b.Close()
	}
	r.forget(name)
}

// Close drains every batcher, current and retired: what is queued is sent before the server
// stops, until ctx ends (batches still on the wire then finish on their own). Handles keep
// serving clients and schemas afterwards (the outbox may still deliver); only new upserts are
// refused, with upsert.ErrClosed.
func (r *Registry) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed.Store(true)
	var all []*upsert.Batcher
	for _, l := range r.lives {
		if b := l.retire(); b != nil {
			all = append(all, b)
		}
	}
	// From here no batcher starts and none is left to retire: draining gets no more.
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, b := range all {
		wg.Go(b.Close)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); r.draining.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Client is the HubSpot client of the connection in row c, shared with its handle: the
// outbox and discovery reach HubSpot through it.
func (r *Registry) Client(ctx context.Context, c store.Connection) (*hubspot.Client, error) {
	return r.liveFor(c, false).client(ctx)
}

// liveFor returns the live state built from c's sealed token, building it when there is
// none or the current one is of another token (or force), and retiring the one it replaces.
func (r *Registry) liveFor(c store.Connection, force bool) *live {
	name := resname.Connection{Workspace: c.Workspace, ID: c.ID}
	key := name.String()
	r.mu.Lock()
	cur := r.lives[key]
	if cur != nil && !force && cur.builtFrom(c) {
		r.mu.Unlock()
		return cur
	}
	next := &live{reg: r, name: name, conn: c}
	r.lives[key] = next
	if cur != nil {
		if b := cur.retire(); b != nil {
			r.draining.Go(b.Close)
		}
	}
	r.mu.Unlock()
	if cur != nil && cur.conn.UID != c.UID {
		// Another connection now holds the name: nothing kept for the old one applies.
		r.forget(name)
	}
	return next
}

// successor is the live state that replaced l, if its connection is still the same one; nil
// when the connection was dropped or created again.
func (r *Registry) successor(l *live) *live {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.lives[l.name.String()]
	if cur == nil || cur.conn.UID != l.conn.UID {
		return nil
	}
	return cur
}

// forget drops what the shared caches hold for a connection name.
func (r *Registry) forget(name resname.Connection) {
	r.fields.Forget(name)
	r.cache.RemovePrefix(answerKeyPrefix(name))
	r.programs.Invalidate(name.String())
}

// live is the state a connection owns for one sealed token: built lazily (a call that only
// needs the row never opens the token) and retired whole. State added for a connection later
// (a poller, usage counters) belongs here, started and stopped with it.
type live struct {
	reg  *Registry
	name resname.Connection
	conn store.Connection // the row it was built from: its token is the one opened

	opening sync.Mutex // held while the token is opened, so that concurrent callers open it once
	mu      sync.Mutex // guards the fields below; never held across I/O (the registry's lock waits on it)
	hs      *hubspot.Client
	batcher *upsert.Batcher
	retired bool
}

// builtFrom reports whether c holds the sealed token l was built from.
func (l *live) builtFrom(c store.Connection) bool {
	return l.conn.UID == c.UID && l.conn.TokenKeyID == c.TokenKeyID &&
		l.conn.TokenAADVersion == c.TokenAADVersion && bytes.Equal(l.conn.TokenCiphertext, c.TokenCiphertext)
}

// client opens the token once; concurrent callers wait for the first. A failure is not kept:
// the next call tries again (a restored key makes the token readable).
func (l *live) client(ctx context.Context) (*hubspot.Client, error) {
	if hs := l.opened(); hs != nil {
		return hs, nil
	}
	l.opening.Lock()
	defer l.opening.Unlock()
	if hs := l.opened(); hs != nil {
		return hs, nil // opened by the caller this one waited for
	}
	hs, err := l.reg.conns.OpenClient(ctx, l.conn)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.hs = hs
	l.mu.Unlock()
	return hs, nil
}

// opened is the client once the token was opened, else nil.
func (l *live) opened() *hubspot.Client {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hs
}

// batcherFor returns l's batcher, starting it on first use; ok is false when l is retired.
func (l *live) batcherFor(ctx context.Context) (b *upsert.Batcher, ok bool, err error) {
	hs, err := l.client(ctx)
	if err != nil {
		return nil, true, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.retired {
		return nil, false, nil
	}
	if l.batcher == nil {
		if l.reg.closed.Load() {
			return nil, true, upsert.ErrClosed
		}
		l.batcher = upsert.New(hs, l.reg.upsertCfg)
	}
	return l.batcher, true, nil
}

// retire marks l retired and returns its batcher (nil if it never started) for the caller to
// close.
func (l *live) retire() *upsert.Batcher {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.retired = true
	b := l.batcher
	l.batcher = nil
	return b
}
