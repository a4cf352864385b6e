package conditions

import (
	"container/list"
	"sync"

	"github.com/connectflo/integrations/internal/fields"
)

// Cache keeps compiled programs so that a workflow evaluating the same condition for every
// record compiles it once. Entries are keyed by scope (the connection: two HubSpot accounts
// can share schema version numbers and differ in options), schema versions and expression,
// and the least recently used one is evicted past the size bound. When a connection's fields
// are rediscovered its versions change, and its programs for the old versions are dropped on
// the first compile that sees the new ones. Safe for concurrent use.
type Cache struct {
	limits Limits
	size   int

	mu       sync.Mutex
	lru      *list.List // of *cacheEntry, most recent first
	byKey    map[cacheKey]*list.Element
	versions map[string]SchemaVersions // latest versions seen per scope
}

type cacheKey struct {
	scope      string
	versions   SchemaVersions
	expression string
}

type cacheEntry struct {
	key     cacheKey
	program *Program
}

// NewCache returns a cache of at most size programs (at least 1), compiled with limits.
func NewCache(size int, limits Limits) *Cache {
	return &Cache{
		limits: limits, size: max(size, 1),
		lru: list.New(), byKey: map[cacheKey]*list.Element{}, versions: map[string]SchemaVersions{},
	}
}

// Compile returns the cached program for the expression under scope's schemas, compiling it
// on a miss. Errors are not cached: an invalid condition costs a compile each time.
func (c *Cache) Compile(scope string, schemas map[string]*fields.Schema, expression string) (*Program, error) {
	key := cacheKey{scope: scope, versions: versionsOf(schemas), expression: expression}
	if p := c.get(key); p != nil {
		return p, nil
	}
	// Compiled outside the lock: concurrent misses for one key may compile twice, which is
	// cheaper than making every other caller wait.
	p, err := Compile(schemas, expression, c.limits)
	if err != nil {
		return nil, err
	}
	return c.put(key, p), nil
}

func (c *Cache) get(key cacheKey) *Program {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noteVersions(key)
	if el, ok := c.byKey[key]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cacheEntry).program
	}
	return nil
}

// put stores p unless another caller stored a program for key first, and returns the stored one.
func (c *Cache) put(key cacheKey, p *Program) *Program {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cacheEntry).program
	}
	if c.versions[key.scope] != key.versions {
		return p // the fields were rediscovered while compiling: do not keep a stale program
	}
	c.byKey[key] = c.lru.PushFront(&cacheEntry{key: key, program: p})
	for c.lru.Len() > c.size {
		c.remove(c.lru.Back())
	}
	return p
}

// noteVersions drops scope's programs for other schema versions when the versions change.
func (c *Cache) noteVersions(key cacheKey) {
	if prev, ok := c.versions[key.scope]; ok && prev == key.versions {
		return
	}
	c.versions[key.scope] = key.versions
	c.dropScope(key.scope, key.versions)
}

// Invalidate drops every program of scope, e.g. when its connection is deleted.
func (c *Cache) Invalidate(scope string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.versions, scope)
	c.dropScope(scope, SchemaVersions{Contacts: -1, Companies: -1, Deals: -1})
}

// dropScope removes scope's entries whose versions differ from keep.
func (c *Cache) dropScope(scope string, keep SchemaVersions) {
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if k := el.Value.(*cacheEntry).key; k.scope == scope && k.versions != keep {
			c.remove(el)
		}
		el = next
	}
}

func (c *Cache) remove(el *list.Element) {
	delete(c.byKey, el.Value.(*cacheEntry).key)
	c.lru.Remove(el)
}

// Len is the number of cached programs.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
