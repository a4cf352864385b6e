package auth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/store"
)

// unknownTTL is how long a key id the store does not have is refused from memory. Random ids
// sent again and again (a misconfigured client, a scan) cost a map lookup instead of a SQLite
// read. A key created meanwhile under an id that was tried before it existed would be refused
// for this long; ids are 80 random bits, so only a guess that hits could cause that.
const unknownTTL = 5 * time.Second

// maxUnknownIDs bounds the unknown ids remembered (about 100 bytes each): random ids must not
// grow memory. The oldest is forgotten first; a forgotten id only costs a lookup again.
const maxUnknownIDs = 4096

// keyLookups answers "which key has this id" for the Authenticator: it refuses ids recently
// found unknown without asking the store, and concurrent lookups of one id share one read.
type keyLookups struct {
	keys KeyStore

	mu       sync.Mutex
	unknown  map[string]time.Time // id → refused until
	order    [maxUnknownIDs]string
	next     int                   // the slot of order to reuse next (the oldest entry)
	inflight map[string]*keyLookup // id → the read in progress
}

// keyLookup is one store read that concurrent callers wait for.
type keyLookup struct {
	done chan struct{}
	key  store.APIKey
	err  error
}

func newKeyLookups(keys KeyStore) *keyLookups {
	return &keyLookups{keys: keys, unknown: map[string]time.Time{}, inflight: map[string]*keyLookup{}}
}

// byID returns the stored key with this id, store.ErrNotFound when there is none.
func (l *keyLookups) byID(ctx context.Context, id string, now time.Time) (store.APIKey, error) {
	l.mu.Lock()
	if until, ok := l.unknown[id]; ok && now.Before(until) {
		l.mu.Unlock()
		return store.APIKey{}, store.ErrNotFound
	}
	call, ok := l.inflight[id]
	if !ok {
		call = &keyLookup{done: make(chan struct{})}
		l.inflight[id] = call
	}
	l.mu.Unlock()
	if ok {
		select {
		case <-call.done:
			return call.key, call.err
		case <-ctx.Done():
			return store.APIKey{}, ctx.Err()
		}
	}
	// Callers waiting for this read must not see the first caller's cancellation; the read
	// is a single indexed row.
	call.key, call.err = l.keys.APIKeyByID(context.WithoutCancel(ctx), id)
	l.mu.Lock()
	delete(l.inflight, id)
	if errors.Is(call.err, store.ErrNotFound) {
		l.rememberUnknown(id, now.Add(unknownTTL))
	}
	l.mu.Unlock()
	close(call.done)
	return call.key, call.err
}

// rememberUnknown records id as unknown until then, forgetting the oldest entry when full.
// l.mu must be held.
func (l *keyLookups) rememberUnknown(id string, until time.Time) {
	if old := l.order[l.next]; old != "" {
		delete(l.unknown, old)
	}
	l.order[l.next] = id
	l.next = (l.next + 1) % maxUnknownIDs
	l.unknown[id] = until
}

// unknownCount is how many unknown ids are remembered (tests).
func (l *keyLookups) unknownCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.unknown)
}
