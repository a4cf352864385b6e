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

// PruneRequestIDs forgets request_ids recorded before now − RequestIDRetention, at most
// maxRows of them in batches of pruneBatch; it returns how many it deleted. A sweep that
// finds more than maxRows leaves the rest to the next one. Times are compared as the stored
// RFC 3339 text, exact to within a second, which is nothing beside the retention.
func (s *Store) PruneRequestIDs(ctx context.Context, now time.Time, maxRows int) (int, error) {
	cutoff := timeText(now.Add(-RequestIDRetention))
	deleted := 0
	for deleted < maxRows {
		want := min(pruneBatch, maxRows-deleted)
		res, err := s.w.ExecContext(ctx, `DELETE FROM request_ids WHERE rowid IN
			(SELECT rowid FROM request_ids WHERE create_time < ? LIMIT ?)`, cutoff, want)
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
