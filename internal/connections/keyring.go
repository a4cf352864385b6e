package connections

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
)

// The key ring record.
//
// Every process on one database must open what the others seal, so the database records
// which keys its secrets (tokens, webhook client secrets) may be sealed with: each key that a
// process has used as its primary since the last complete rotate-keys, as its id and a
// constant sealed under it (never the key). A process starts only when its ring holds every
// recorded key, the same key under each id (the sentinel opens), and then records its own
// primary key. So:
//   - the first process on an empty database records its primary key;
//   - a process with another key file, or a fresh one, is refused before it serves a call;
//   - a ring that adds a new key as its primary (rotation) starts, and records the new key:
//     from then on a ring without it is refused, since the new key may have sealed a token;
//   - rotate-keys, once every token and webhook secret is re-sealed under the primary key,
//     forgets the other keys recorded when it began: they may then leave every ring;
//   - forget-keys gives up keys that are lost for good: their secrets stay unreadable.

// keyRingSentinel is the constant sealed under each recorded key.
var keyRingSentinel = []byte("connectflo integrations: key ring record v1")

// sentinelAAD binds a sentinel to its key id: a sentinel copied under another id does not open.
func sentinelAAD(keyID string) []byte { return []byte("key_ring_keys/" + keyID) }

// KeyRingStore is what the key ring record needs.
type KeyRingStore interface {
	UpdateRingKeys(ctx context.Context, decide func(recorded []store.RingKey) (store.RingKeyChange, error)) ([]store.RingKey, error)
}

// ErrKeyRingMismatch means a ring cannot open what the database's secrets are sealed with.
var ErrKeyRingMismatch = errors.New("the token encryption keys do not match this database's")

// KeyRingError says which recorded keys a ring cannot open. It names key ids only.
type KeyRingError struct {
	Recorded []string // the database's recorded key ids, oldest first
	Missing  []string // recorded ids the ring lacks
	Differs  []string // recorded ids under which the ring holds another key
	Ring     []string // the ring's key ids, primary first
}

func (e *KeyRingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: its tokens and webhook secrets may be sealed with key %s; this process has key %s",
		ErrKeyRingMismatch, quoteIDs(e.Recorded), quoteIDs(e.Ring))
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, ", without %s", quoteIDs(e.Missing))
	}
	if len(e.Differs) > 0 {
		fmt.Fprintf(&b, ", and its %s %s not the same key as the database's", quoteIDs(e.Differs), isAre(len(e.Differs)))
	}
	return b.String()
}

func (e *KeyRingError) Unwrap() error { return ErrKeyRingMismatch }

func quoteIDs(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = fmt.Sprintf("%q", id)
	}
	return strings.Join(q, ", ")
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// CheckKeyRing refuses a ring that lacks a recorded key, or holds another key under a
// recorded id (a KeyRingError), and otherwise records the ring's primary key. It returns the
// keys recorded afterwards.
func CheckKeyRing(ctx context.Context, st KeyRingStore, ring *secrets.KeyRing) ([]store.RingKey, error) {
	return st.UpdateRingKeys(ctx, func(recorded []store.RingKey) (store.RingKeyChange, error) {
		if err := verifyRecorded(ring, recorded); err != nil {
			return store.RingKeyChange{}, err
		}
		return recordPrimary(ring, recorded)
	})
}

// SettleRotation forgets the keys recorded before a rotation (as CheckKeyRing returned them
// when it began) other than the ring's primary, once the rotation has re-sealed every secret
// under the primary: those keys then open nothing stored. Keys recorded while it ran (a
// process started with another primary) stay.
func SettleRotation(ctx context.Context, st KeyRingStore, ring *secrets.KeyRing, before []store.RingKey) ([]store.RingKey, error) {
	var forget []string
	for _, k := range before {
		if k.ID != ring.PrimaryID() {
			forget = append(forget, k.ID)
		}
	}
	return st.UpdateRingKeys(ctx, func([]store.RingKey) (store.RingKeyChange, error) {
		return store.RingKeyChange{Forget: forget}, nil
	})
}

// ForgetLostKeys gives up the recorded keys that ring cannot open (lost for good), and
// records the ring's primary key in their place: processes with this ring then start, and
// the secrets sealed with the lost keys stay unreadable until they are given again. It
// returns the ids forgotten and the keys recorded afterwards.
func ForgetLostKeys(ctx context.Context, st KeyRingStore, ring *secrets.KeyRing) (forgotten []string, recorded []store.RingKey, err error) {
	recorded, err = st.UpdateRingKeys(ctx, func(recorded []store.RingKey) (store.RingKeyChange, error) {
		var mismatch *KeyRingError
		if err := verifyRecorded(ring, recorded); errors.As(err, &mismatch) {
			forgotten = append(slices.Clone(mismatch.Missing), mismatch.Differs...)
		}
		kept := slices.DeleteFunc(slices.Clone(recorded), func(k store.RingKey) bool { return slices.Contains(forgotten, k.ID) })
		change, err := recordPrimary(ring, kept)
		change.Forget = forgotten
		return change, err
	})
	return forgotten, recorded, err
}

// verifyRecorded is a KeyRingError unless ring opens every recorded sentinel.
func verifyRecorded(ring *secrets.KeyRing, recorded []store.RingKey) error {
	e := &KeyRingError{Ring: ring.IDs()}
	for _, k := range recorded {
		e.Recorded = append(e.Recorded, k.ID)
		if !ring.Has(k.ID) {
			e.Missing = append(e.Missing, k.ID)
			continue
		}
		plain, err := ring.Open(k.ID, k.Sentinel, sentinelAAD(k.ID))
		if err != nil || !bytes.Equal(plain, keyRingSentinel) {
			e.Differs = append(e.Differs, k.ID)
		}
	}
	if len(e.Missing)+len(e.Differs) > 0 {
		return e
	}
	return nil
}

// recordPrimary is the change that records the ring's primary key, if it is not among recorded.
func recordPrimary(ring *secrets.KeyRing, recorded []store.RingKey) (store.RingKeyChange, error) {
	if slices.ContainsFunc(recorded, func(k store.RingKey) bool { return k.ID == ring.PrimaryID() }) {
		return store.RingKeyChange{}, nil
	}
	id, sentinel, err := ring.Seal(keyRingSentinel, sentinelAAD(ring.PrimaryID()))
	if err != nil {
		return store.RingKeyChange{}, fmt.Errorf("seal the key ring record: %w", err)
	}
	return store.RingKeyChange{Record: &store.RingKey{ID: id, Sentinel: sentinel}}, nil
}
