package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RingKey is a token encryption key id recorded as sealing this database's secrets, with a
// constant sealed under that key. Package connections makes and checks the sentinel: the
// store never holds a key.
type RingKey struct {
	ID       string
	Sentinel []byte
	Recorded time.Time // when it was first recorded
}

// RingKeyChange is what UpdateRingKeys writes: the ids to forget, then a key to record unless
// its id is recorded already.
type RingKeyChange struct {
	Forget []string
	Record *RingKey
}

// keyRingLock serialises, on PostgreSQL, the transactions that update key_ring_keys.
const keyRingLock = "store/key_ring_keys"

// UpdateRingKeys reads the recorded keys, oldest first, asks decide what to change, applies
// it and returns the keys recorded afterwards, in one transaction that processes take in
// turns: two processes starting together on an empty database cannot both record a key of
// their own, since the second decides on what the first committed. When decide fails its
// error is returned as it is and nothing is written.
func (s *Store) UpdateRingKeys(ctx context.Context, decide func(recorded []RingKey) (RingKeyChange, error)) ([]RingKey, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := s.lockKeys(ctx, tx, keyRingLock); err != nil {
		return nil, err
	}
	recorded, err := ringKeys(ctx, tx)
	if err != nil {
		return nil, err
	}
	change, err := decide(recorded)
	if err != nil {
		return nil, err
	}
	if len(change.Forget) == 0 && change.Record == nil {
		return recorded, nil
	}
	for _, id := range change.Forget {
		if _, err := tx.ExecContext(ctx, `DELETE FROM key_ring_keys WHERE key_id = ?`, id); err != nil {
			return nil, fmt.Errorf("store: forget key %q: %w", id, err)
		}
	}
	if k := change.Record; k != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO key_ring_keys(key_id, sentinel, recorded_ms) VALUES (?, ?, ?)
			ON CONFLICT(key_id) DO NOTHING`, k.ID, k.Sentinel, s.now().UnixMilli()); err != nil {
			return nil, fmt.Errorf("store: record key %q: %w", k.ID, err)
		}
	}
	if recorded, err = ringKeys(ctx, tx); err != nil {
		return nil, err
	}
	return recorded, tx.Commit()
}

// ringKeys reads the recorded keys, oldest first.
func ringKeys(ctx context.Context, q *sql.Tx) ([]RingKey, error) {
	rows, err := q.QueryContext(ctx, `SELECT key_id, sentinel, recorded_ms FROM key_ring_keys ORDER BY recorded_ms, key_id`)
	if err != nil {
		return nil, fmt.Errorf("store: read recorded keys: %w", err)
	}
	defer rows.Close()
	var out []RingKey
	for rows.Next() {
		var k RingKey
		var ms int64
		if err := rows.Scan(&k.ID, &k.Sentinel, &ms); err != nil {
			return nil, fmt.Errorf("store: read recorded keys: %w", err)
		}
		k.Recorded = time.UnixMilli(ms).UTC()
		out = append(out, k)
	}
	return out, rows.Err()
}
