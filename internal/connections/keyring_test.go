package connections

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/store/storetest"
)

// The key ring record through a deployment's life: the first ring is recorded; rings lacking
// a recorded key, or holding another key under its id, are refused; a new primary is recorded
// beside the old; a rotation that re-sealed everything forgets the old; forget-keys gives up
// keys no ring has any more.
func TestKeyRingRecord(t *testing.T) {
	storetest.OnEachEngine(t, testKeyRingRecord)
}

func testKeyRingRecord(t *testing.T, e storetest.Engine) {
	ctx := context.Background()
	st, err := store.Open(ctx, e.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	newKey := func(id string) secrets.Key {
		k, err := secrets.NewKey(id)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a, b, c, otherA := newKey("a"), newKey("b"), newKey("c"), newKey("a")
	ring := func(keys ...secrets.Key) *secrets.KeyRing {
		r, err := secrets.NewKeyRing(keys...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	var beforeRotation []store.RingKey
	steps := []struct {
		name          string
		op            func() (recorded []store.RingKey, forgotten []string, err error)
		wantErr       *KeyRingError
		wantRecorded  []string
		wantForgotten []string
	}{
		{name: "the first ring is recorded", op: check(st, ring(a)), wantRecorded: []string{"a"}},
		{name: "the same ring starts", op: check(st, ring(a)), wantRecorded: []string{"a"}},
		{name: "a ring without the recorded key is refused", op: check(st, ring(b)),
			wantErr: &KeyRingError{Recorded: []string{"a"}, Missing: []string{"a"}, Ring: []string{"b"}}},
		{name: "another key under the recorded id is refused", op: check(st, ring(otherA, b)),
			wantErr: &KeyRingError{Recorded: []string{"a"}, Differs: []string{"a"}, Ring: []string{"a", "b"}}},
		{name: "a new primary is recorded beside the old", op: func() ([]store.RingKey, []string, error) {
			var err error
			beforeRotation, err = CheckKeyRing(ctx, st, ring(b, a))
			return beforeRotation, nil, err
		}, wantRecorded: []string{"a", "b"}},
		{name: "then the old ring alone is refused", op: check(st, ring(a)),
			wantErr: &KeyRingError{Recorded: []string{"a", "b"}, Missing: []string{"b"}, Ring: []string{"a"}}},
		{name: "a ring with both keys, the old first, starts and records nothing new", op: check(st, ring(a, b)), wantRecorded: []string{"a", "b"}},
		{name: "a complete rotation forgets the old key", op: func() ([]store.RingKey, []string, error) {
			recorded, err := SettleRotation(ctx, st, ring(b, a), beforeRotation)
			return recorded, nil, err
		}, wantRecorded: []string{"b"}},
		{name: "the new key alone starts", op: check(st, ring(b)), wantRecorded: []string{"b"}},
		{name: "forget-keys gives up a key no ring has", op: forget(st, ring(c)), wantForgotten: []string{"b"}, wantRecorded: []string{"c"}},
		{name: "and then has nothing to forget", op: forget(st, ring(c)), wantRecorded: []string{"c"}},
		{name: "forget-keys gives up a recorded id whose key differs", op: forget(st, ring(newKey("c"))), wantForgotten: []string{"c"}, wantRecorded: []string{"c"}},
	}
	for _, s := range steps {
		recorded, forgotten, err := s.op()
		var mismatch *KeyRingError
		if errors.As(err, &mismatch) || s.wantErr != nil {
			if diff := cmp.Diff(s.wantErr, mismatch); diff != "" {
				t.Fatalf("%s: refusal (-want +got):\n%s", s.name, diff)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		ids := make([]string, len(recorded))
		for i, k := range recorded {
			ids[i] = k.ID
		}
		if diff := cmp.Diff(s.wantRecorded, ids); diff != "" {
			t.Errorf("%s: recorded (-want +got):\n%s", s.name, diff)
		}
		if diff := cmp.Diff(s.wantForgotten, forgotten, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: forgotten (-want +got):\n%s", s.name, diff)
		}
	}
}

func check(st KeyRingStore, ring *secrets.KeyRing) func() ([]store.RingKey, []string, error) {
	return func() ([]store.RingKey, []string, error) {
		recorded, err := CheckKeyRing(context.Background(), st, ring)
		return recorded, nil, err
	}
}

func forget(st KeyRingStore, ring *secrets.KeyRing) func() ([]store.RingKey, []string, error) {
	return func() ([]store.RingKey, []string, error) {
		forgotten, recorded, err := ForgetLostKeys(context.Background(), st, ring)
		return recorded, forgotten, err
	}
}
