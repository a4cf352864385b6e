package conditions

import (
	"container/list"
	"errors"
	"sync"

	"github.com/connectflo/integrations/internal/fields"
)

// Cache keeps compiled programs so that a workflow evaluating the same condition for every
// record compiles it once, and keeps compile errors (*ConditionError) the same way so that a
// caller repeating an invalid condition does not pay a compilation each time. Entries are keyed by scope (the connection: two HubSpot accounts
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

// cacheEntry is the outcome of one compilation: a program, or the condition's errors. Both
// kinds share one LRU and one size bound.
type cacheEntry struct {
	key     cacheKey
	program *Program
	err     *ConditionError
}

// NewCache returns a cache of at most size entries (at least 1), compiled with limits.
func NewCache(size int, limits Limits) *Cache {
	return &Cache{
		limits: limits, size: max(size, 1),
		lru: list.New(), byKey: map[cacheKey]*list.Element{}, versions: map[string]SchemaVersions{},
	}
}

// Compile returns the cached outcome for the expression under scope's schemas, compiling it
// on a miss. An invalid condition's *ConditionError is cached like a program (the same
// expression against the same schema versions fails the same way); any other error is not.
func (c *Cache) Compile(scope string, schemas map[string]*fields.Schema, expression string) (*Program, error) {
	key := cacheKey{scope: scope, versions: versionsOf(schemas), expression: expression}
	if e := c.get(key); e != nil {
		return e.outcome()
	}
	// Compiled outside the lock: concurrent misses for one key may compile twice, which is
	// cheaper than making every other caller wait.
	p, err := Compile(schemas, expression, c.limits)
	entry := &cacheEntry{key: key, program: p}
	if err != nil {
		if !errors.As(err, &entry.err) {
			return nil, err
		}
		entry.program = nil
	}
	return c.put(entry).outcome()
}

// outcome is what Compile returns for the entry.
func (e *cacheEntry) outcome() (*Program, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.program, nil
}

func (c *Cache) get(key cacheKey) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noteVersions(key)
	if el, ok := c.byKey[key]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cacheEntry)
	}
	return nil
}

// put stores e unless another caller stored an entry for its key first, and returns the
// stored one.
func (c *Cache) put(e *cacheEntry) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[e.key]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cacheEntry)
	}
	if c.versions[e.key.scope] != e.key.versions {
		return e // the fields were rediscovered while compiling: do not keep a stale outcome
	}
	c.byKey[e.key] = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		c.remove(c.lru.Back())
	}
	return e
}

// noteVersions drops scope's programs for other schema versions when the versions change.
func (c *Cache) noteVersions(key cacheKey) {
	if prev, ok := c.versions[key.scope]; ok && prev == key.versions {
		return
	}
	c.versions[key.scope] = key.versions
	c.dropScope(key.scope, key.versions)
}

// Invalidate drops every entry of scope, e.g. when its connection is deleted.
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

// Len is the number of cached outcomes, programs and errors alike.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
