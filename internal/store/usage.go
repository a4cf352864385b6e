package store

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"
)

// UsageRetention is how long hourly HubSpot usage is kept: the usage view shows the last 24
// hours, and a day more lets a reader look back over a whole previous day.
const UsageRetention = 48 * time.Hour

// UsageCount is a count of requests sent to HubSpot for one connection, in one UTC hour, for
// one kind of budget ("standard" or "search").
type UsageCount struct {
	ConnectionUID string
	Hour          time.Time // the hour's start
	Kind          string
	Requests      int64
	RateLimited   int64 // of Requests, those HubSpot answered with 429
}

// UsageTotal is what was counted for a connection since it was made.
type UsageTotal struct {
	Requests    int64
	RateLimited int64
}

// AddUsage adds counts to the stored hourly rows and totals in one transaction (none is
// added when it fails). now is recorded as the totals' last update.
func (s *Store) AddUsage(ctx context.Context, counts []UsageCount, now time.Time) error {
	if len(counts) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	// Rows are written in key order, the hours before the totals: two processes adding
	// counts of overlapping connections lock their rows in the same order, so they never
	// deadlock (PostgreSQL).
	counts = slices.Clone(counts)
	slices.SortFunc(counts, func(a, b UsageCount) int {
		return cmp.Or(strings.Compare(a.ConnectionUID, b.ConnectionUID), a.Hour.Compare(b.Hour), strings.Compare(a.Kind, b.Kind))
	})
	totals := map[string]UsageTotal{}
	for _, c := range counts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_hours (connection_uid, hour_ms, kind, requests, rate_limited) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (connection_uid, hour_ms, kind) DO UPDATE SET requests = usage_hours.requests + excluded.requests,
			rate_limited = usage_hours.rate_limited + excluded.rate_limited`,
			c.ConnectionUID, c.Hour.UnixMilli(), c.Kind, c.Requests, c.RateLimited); err != nil {
			return err
		}
		t := totals[c.ConnectionUID]
		t.Requests += c.Requests
		t.RateLimited += c.RateLimited
		totals[c.ConnectionUID] = t
	}
	for _, uid := range slices.Sorted(maps.Keys(totals)) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_totals (connection_uid, requests, rate_limited, update_ms) VALUES (?, ?, ?, ?)
			ON CONFLICT (connection_uid) DO UPDATE SET requests = usage_totals.requests + excluded.requests, rate_limited = usage_totals.rate_limited + excluded.rate_limited,
			update_ms = excluded.update_ms`,
			uid, totals[uid].Requests, totals[uid].RateLimited, now.UnixMilli()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// UsageHours returns the stored hourly counts of the connection uid for the hours starting at
// or after since, oldest first.
func (s *Store) UsageHours(ctx context.Context, uid string, since time.Time) ([]UsageCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT hour_ms, kind, requests, rate_limited FROM usage_hours
		WHERE connection_uid = ? AND hour_ms >= ? ORDER BY hour_ms, kind`, uid, since.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []UsageCount
	for rows.Next() {
		c := UsageCount{ConnectionUID: uid}
		var hourMS int64
		if err := rows.Scan(&hourMS, &c.Kind, &c.Requests, &c.RateLimited); err != nil {
			return nil, err
		}
		c.Hour = time.UnixMilli(hourMS).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// UsageTotals returns the stored totals of the connection uid (zero when nothing was stored).
func (s *Store) UsageTotals(ctx context.Context, uid string) (UsageTotal, error) {
	var t UsageTotal
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(requests), 0), coalesce(sum(rate_limited), 0) FROM usage_totals WHERE connection_uid = ?`, uid).
		Scan(&t.Requests, &t.RateLimited)
	return t, err
}

// PruneUsage deletes hourly rows of hours that started before now − UsageRetention, and the
// totals of connections that no longer exist and were not written for UsageRetention (a
// connection's checks count under its uid before Connect stores it), at most maxRows in all in
// batches; it returns how many rows it deleted.
func (s *Store) PruneUsage(ctx context.Context, now time.Time, maxRows int) (int, error) {
	cutoff := now.Add(-UsageRetention).UnixMilli()
	deleted, err := s.pruneBatches(ctx, maxRows, `DELETE FROM usage_hours WHERE (connection_uid, hour_ms, kind) IN
		(SELECT connection_uid, hour_ms, kind FROM usage_hours WHERE hour_ms < ? LIMIT ?)`, cutoff)
	if err != nil {
		return deleted, err
	}
	n, err := s.pruneBatches(ctx, maxRows-deleted, `DELETE FROM usage_totals WHERE connection_uid IN
		(SELECT connection_uid FROM usage_totals WHERE update_ms < ? AND connection_uid NOT IN (SELECT uid FROM connections) LIMIT ?)`, cutoff)
	return deleted + n, err
}
