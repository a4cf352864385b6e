package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	fastjson "github.com/goccy/go-json"
)

// PollCursor is how far polling has read one object type of a connection: every record
// modified before ModifiedMs, and those modified at ModifiedMs with an id up to ObjectID.
type PollCursor struct {
	Found      bool  // false: the type was never polled (the other fields are zero)
	SinceMs    int64 // the baseline: polling reports no change older than it
	ModifiedMs int64
	ObjectID   int64
	Polls      int64 // polls completed
}

// PollSnapshot is what polling last reported of one record.
type PollSnapshot struct {
	RecordID   int64
	ModifiedMs int64
	Deleted    bool
	Values     map[string]string // watched property -> value (or digest, see the poller)
}

// PollKey names one object type of one connection.
type PollKey struct {
	Workspace, ConnectionID, ObjectType string
}

// GetPollCursor reads the cursor; a type never polled has Found false.
func (s *Store) GetPollCursor(ctx context.Context, k PollKey) (PollCursor, error) {
	c := PollCursor{Found: true}
	err := s.db.QueryRowContext(ctx, `SELECT since_ms, modified_ms, object_id, polls FROM poll_cursors
		WHERE workspace = ? AND connection_id = ? AND object_type = ?`, k.Workspace, k.ConnectionID, k.ObjectType).
		Scan(&c.SinceMs, &c.ModifiedMs, &c.ObjectID, &c.Polls)
	if errors.Is(err, sql.ErrNoRows) {
		return PollCursor{}, nil
	}
	if err != nil {
		return PollCursor{}, fmt.Errorf("store: read poll cursor: %w", translate(err))
	}
	return c, nil
}

// MaxPollSnapshotsRead bounds one GetPollSnapshots call: a search page holds at most 200.
const MaxPollSnapshotsRead = 500

// GetPollSnapshots reads the snapshots of the given records (at most MaxPollSnapshotsRead);
// records never reported are absent from the map.
func (s *Store) GetPollSnapshots(ctx context.Context, k PollKey, ids []int64) (map[int64]PollSnapshot, error) {
	if len(ids) > MaxPollSnapshotsRead {
		return nil, fmt.Errorf("store: %d poll snapshots asked at once, at most %d", len(ids), MaxPollSnapshotsRead)
	}
	out := make(map[int64]PollSnapshot, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	// One placeholder per id (at most MaxPollSnapshotsRead, far below either engine's limit).
	args := []any{k.Workspace, k.ConnectionID, k.ObjectType}
	for _, id := range ids {
		args = append(args, id)
	}
	q := `SELECT record_id, modified_ms, deleted, field_values FROM poll_snapshots
		WHERE workspace = ? AND connection_id = ? AND object_type = ? AND record_id IN (?`
	q += strings.Repeat(", ?", len(ids)-1) + `)` //nolint:gosec // placeholders only; the values are arguments
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read poll snapshots: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var sn PollSnapshot
		var blob []byte
		if err := rows.Scan(&sn.RecordID, &sn.ModifiedMs, &sn.Deleted, &blob); err != nil {
			return nil, err
		}
		if err := fastjson.Unmarshal(blob, &sn.Values); err != nil {
			return nil, fmt.Errorf("store: poll snapshot %d: %w", sn.RecordID, err)
		}
		out[sn.RecordID] = sn
	}
	return out, rows.Err()
}

// SavePollPage stores, in one transaction, the snapshots of the records a page reported and
// the cursor after it. The poller calls it only once the page's changes are with their sink,
// so a crash in between makes the page be read and reported again, never skipped. Only the
// holder of the connection's poll lease writes them; each statement is an upsert, atomic on
// either engine, so no lock beyond the rows' own is needed.
func (s *Store) SavePollPage(ctx context.Context, k PollKey, c PollCursor, snaps []PollSnapshot) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, sn := range snaps {
		blob, err := fastjson.Marshal(sn.Values)
		if err != nil {
			return err
		}
		if sn.Values == nil {
			blob = []byte("{}")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO poll_snapshots(workspace, connection_id, object_type, record_id, modified_ms, deleted, field_values)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(workspace, connection_id, object_type, record_id) DO UPDATE SET
			modified_ms = excluded.modified_ms, deleted = excluded.deleted, field_values = excluded.field_values`,
			k.Workspace, k.ConnectionID, k.ObjectType, sn.RecordID, sn.ModifiedMs, boolInt(sn.Deleted), blob); err != nil {
			return fmt.Errorf("store: save poll snapshot: %w", translate(err))
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO poll_cursors(workspace, connection_id, object_type, since_ms, modified_ms, object_id, polls)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(workspace, connection_id, object_type) DO UPDATE SET since_ms = excluded.since_ms,
		modified_ms = excluded.modified_ms, object_id = excluded.object_id, polls = excluded.polls`,
		k.Workspace, k.ConnectionID, k.ObjectType, c.SinceMs, c.ModifiedMs, c.ObjectID, c.Polls); err != nil {
		return fmt.Errorf("store: save poll cursor: %w", translate(err))
	}
	return tx.Commit()
}
