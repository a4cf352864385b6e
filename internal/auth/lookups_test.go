package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store"
)

// atomicCountingKeys counts store lookups from concurrent callers.
type atomicCountingKeys struct {
	KeyStore
	lookups atomic.Int64
}

func (c *atomicCountingKeys) APIKeyByID(ctx context.Context, id string) (store.APIKey, error) {
	c.lookups.Add(1)
	return c.KeyStore.APIKeyByID(ctx, id)
}

// A burst of requests with one unknown key id reads the store once; after unknownTTL the id
// is looked up again (a key may have been created under it).
func TestUnknownKeyIDsAreLookedUpOncePerBurst(t *testing.T) {
	ctx := context.Background()
	counting := &atomicCountingKeys{KeyStore: openStore(t)}
	a := NewAuthenticator(counting)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	const burst = 50
	var wg sync.WaitGroup
	for range burst {
		wg.Go(func() {
			if _, err := a.Authenticate(ctx, "Bearer cfk_zzzzzzzzzzzzzzzz_secret"); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("unknown id: err = %v, want ErrInvalidKey", err)
			}
		})
	}
	wg.Wait()
	if n := counting.lookups.Load(); n != 1 {
		t.Errorf("%d requests with one unknown id looked it up %d times, want 1", burst, n)
	}
	now = now.Add(unknownTTL)
	if _, err := a.Authenticate(ctx, "Bearer cfk_zzzzzzzzzzzzzzzz_secret"); !errors.Is(err, ErrInvalidKey) || counting.lookups.Load() != 2 {
		t.Errorf("after %v: err = %v, %d lookups; want ErrInvalidKey and a second lookup", unknownTTL, err, counting.lookups.Load())
	}
}

// Random unknown ids do not grow memory: at most maxUnknownIDs are remembered, the oldest
// forgotten first.
func TestUnknownKeyIDCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	counting := &atomicCountingKeys{KeyStore: openStore(t)}
	a := NewAuthenticator(counting)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	id := func(i int) string { return fmt.Sprintf("cfk_id%07d_secret", i) }
	const ids = maxUnknownIDs + 100
	for i := range ids {
		if _, err := a.Authenticate(ctx, "Bearer "+id(i)); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("unknown id %d: err = %v", i, err)
		}
	}
	if n := a.lookups.unknownCount(); n != maxUnknownIDs {
		t.Errorf("%d unknown ids tried, %d remembered; want the bound, %d", ids, n, maxUnknownIDs)
	}
	cases := []struct {
		name       string
		id         int
		wantLookup bool
	}{
		{"the newest is remembered", ids - 1, false},
		{"the oldest remembered is still there", 100, false},
		{"the first ones were forgotten", 0, true},
	}
	for _, tc := range cases {
		before := counting.lookups.Load()
		if _, err := a.Authenticate(ctx, "Bearer "+id(tc.id)); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("%s: err = %v", tc.name, err)
		}
		if looked := counting.lookups.Load() > before; looked != tc.wantLookup {
			t.Errorf("%s: looked up again = %v, want %v", tc.name, looked, tc.wantLookup)
		}
	}
}
