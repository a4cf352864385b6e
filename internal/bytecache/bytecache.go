// Package bytecache is a least-recently-used cache bounded by bytes rather than entries: the
// field schemas and DiscoverFields answers it holds range from a few KB to several MB per
// connection, so a count bound would either waste memory or let a few large portals take it
// all. One cache is shared by every workspace, so its budget bounds the process.
package bytecache

import (
	"container/list"
	"strings"
	"sync"
)

// Cache maps string keys to values of a stated size. It is safe for concurrent use. Values
// are shared between callers and must not be changed once put.
type Cache struct {
	mu     sync.Mutex
	budget int64
	used   int64
	order  *list.List               // front: most recently used
	items  map[string]*list.Element // key → element holding *entry
}

type entry struct {
	key   string
	value any
	size  int64
}

// New returns a cache holding at most budget bytes of values.
func New(budget int64) *Cache {
	return &Cache{budget: budget, order: list.New(), items: map[string]*list.Element{}}
}

// Get returns the value under key and marks it recently used.
func (c *Cache) Get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry).value, true
}

// Put stores value under key as size bytes, replacing what was there, and evicts the least
// recently used entries until the cache is within its budget. A value larger than the whole
// budget is not kept (and whatever key held before is dropped).
func (c *Cache) Put(key string, value any, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(key)
	if size > c.budget {
		return
	}
	c.items[key] = c.order.PushFront(&entry{key: key, value: value, size: size})
	c.used += size
	for c.used > c.budget {
		c.removeLocked(c.order.Back().Value.(*entry).key)
	}
}

// Remove drops key.
func (c *Cache) Remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(key)
}

// RemovePrefix drops every key starting with prefix (for example all of a deleted
// connection's entries).
func (c *Cache) RemovePrefix(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.items {
		if strings.HasPrefix(k, prefix) {
			c.removeLocked(k)
		}
	}
}

// Stats reports the bytes held, the budget and the number of entries.
func (c *Cache) Stats() (used, budget int64, entries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, c.budget, len(c.items)
}

func (c *Cache) removeLocked(key string) {
	el, ok := c.items[key]
	if !ok {
		return
	}
	c.order.Remove(el)
	delete(c.items, key)
	c.used -= el.Value.(*entry).size
}
