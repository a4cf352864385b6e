package store

import (
	"context"
	"time"
)

// RequestIDRetention is how long a request_id is remembered (AIP-155): a retry within this time
// gets the first call's outcome; after it the id may be forgotten and a retry acts anew.
const RequestIDRetention = 24 * time.Hour

// pruneBatch bounds one DELETE, so that the single writer is never held for long by a sweep
// and other writes interleave between batches.
const pruneBatch = 500

// PruneRequestIDs forgets request_ids recorded before now − RequestIDRetention, both the
// answers kept for every mutation (request_replies) and the records of Connect and
// DeleteConnection (request_ids), at most maxRows of them in batches of pruneBatch; it returns
// how many it deleted. A sweep that finds more than maxRows leaves the rest to the next one.
// request_ids times are compared as the stored RFC 3339 text, exact to within a second, which
// is nothing beside the retention.
func (s *Store) PruneRequestIDs(ctx context.Context, now time.Time, maxRows int) (int, error) {
	cutoff := now.Add(-RequestIDRetention)
	deleted, err := s.pruneBatches(ctx, maxRows, `DELETE FROM request_replies WHERE (workspace, request_id) IN
		(SELECT workspace, request_id FROM request_replies WHERE create_ms < ? LIMIT ?)`, cutoff.UnixMilli())
	if err != nil {
		return deleted, err
	}
	n, err := s.pruneBatches(ctx, maxRows-deleted, `DELETE FROM request_ids WHERE (workspace, method, request_id) IN
		(SELECT workspace, method, request_id FROM request_ids WHERE create_time < ? LIMIT ?)`, timeText(cutoff))
	return deleted + n, err
}

// pruneBatches runs query (whose arguments are cutoff and a batch size) until it deletes
// fewer rows than asked or maxRows in all. The queries pick their batch by primary key, which
// both engines have (SQLite's rowid has no PostgreSQL twin).
func (s *Store) pruneBatches(ctx context.Context, maxRows int, query string, cutoff any) (int, error) {
	deleted := 0
	for deleted < maxRows {
		want := min(pruneBatch, maxRows-deleted)
		res, err := s.w.ExecContext(ctx, query, cutoff, want)
		if err != nil {
			return deleted, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return deleted, err
		}
		deleted += int(n)
		if int(n) < want {
			break // nothing older is left
		}
	}
	return deleted, nil
}
