package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Outbox event statuses.
const (
	OutboxQueued    = "QUEUED"
	OutboxDelivered = "DELIVERED"
	OutboxFailed    = "FAILED"
)

// OutboxEvent is one row of the timeline-event outbox. The store keeps Payload opaque: package
// outbox owns its shape.
type OutboxEvent struct {
	Seq               int64 // arrival order, set by InsertOutboxEvent
	Workspace         string
	ConnectionID      string
	ID                string
	RequestID         string // "" for none
	Kind              string
	Payload           []byte
	Status            string
	Attempts          int
	LastError         string
	NextAttempt       time.Time // due when not after now
	InDoubtSince      time.Time // zero unless a send whose outcome is unknown happened
	LastAttempt       time.Time // zero before the first send
	HubSpotObjectType string
	HubSpotObjectID   string
	HubSpotContactID  string
	CreateTime        time.Time
	DeliverTime       time.Time // zero until DELIVERED or FAILED
}

// OutboxBacklog is a connection with queued events.
type OutboxBacklog struct {
	Workspace    string
	ConnectionID string
	Queued       int
	NextAttempt  time.Time // when the earliest of them is due
}

const outboxColumns = `seq, workspace, connection_id, id, request_id, kind, payload, status, attempts, last_error,
	next_attempt_ms, in_doubt_since_ms, last_attempt_ms, hubspot_object_type, hubspot_object_id, hubspot_contact_id, create_time, deliver_time`

// ErrQueueFull: the connection already has as many queued events as the caller allows.
var ErrQueueFull = errors.New("store: the connection's queue of events is full")

// InsertOutboxEvent commits a new event. When RequestID is set and the connection already has
// an event with it, nothing is inserted and that event is returned with inserted false (even
// when the queue is full). This key stays beside internal/idempotency's kept answers because
// it is part of the insert itself: it holds when the process died before keeping the answer,
// and for as long as the event is kept (past the answers' 24 hours). When maxQueued > 0 and the connection already has that many QUEUED
// events, nothing is inserted and the error is ErrQueueFull. The count is outbox_queued, kept
// by triggers (migration 0007), so the check costs the same with any queue; the check and the
// insert are one statement, made under the connection's lock (outboxLock; SQLite: the single
// writer), so concurrent calls cannot overshoot. A connection that does not exist is
// ErrNotFound.
//
// It returns once the event is committed, and so synced to disk (WriterSynchronous).
// Concurrent calls share one commit (see outboxInserts), each with the answer it would have
// had alone.
func (s *Store) InsertOutboxEvent(ctx context.Context, e *OutboxEvent, maxQueued int) (existing OutboxEvent, inserted bool, err error) {
	r := s.inserts.do(ctx, s, e, maxQueued)
	return r.existing, r.inserted, r.err
}

// insertOutboxEvent is InsertOutboxEvent's statement within tx, for one event of a group.
func insertOutboxEvent(ctx context.Context, tx *sql.Tx, e *OutboxEvent, maxQueued int) (existing OutboxEvent, inserted bool, err error) {
	var reqID any
	if e.RequestID != "" {
		reqID = e.RequestID
	}
	// The WHERE clause also settles SQLite's parsing of INSERT … SELECT … ON CONFLICT.
	err = tx.QueryRowContext(ctx, `INSERT INTO outbox_events(workspace, connection_id, id, request_id, kind, payload,
		status, attempts, last_error, next_attempt_ms, create_time) SELECT ?,?,?,?,?,?,?,0,'',?,?
		WHERE ? <= 0 OR COALESCE((SELECT queued FROM outbox_queued WHERE workspace = ? AND connection_id = ?), 0) < ?
		ON CONFLICT(workspace, connection_id, request_id) DO NOTHING RETURNING seq`,
		e.Workspace, e.ConnectionID, e.ID, reqID, e.Kind, e.Payload, e.Status,
		e.NextAttempt.UnixMilli(), timeText(e.CreateTime),
		maxQueued, e.Workspace, e.ConnectionID, maxQueued).Scan(&e.Seq)
	switch {
	case err == nil:
		return *e, true, nil
	case errors.Is(err, sql.ErrNoRows):
		if e.RequestID == "" {
			return OutboxEvent{}, false, ErrQueueFull
		}
		// Read in the transaction: the first event with this request_id may be in this group.
		row := tx.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox_events
			WHERE workspace = ? AND connection_id = ? AND request_id = ?`, e.Workspace, e.ConnectionID, e.RequestID)
		got, err := scanOutboxEvent(row)
		if errors.Is(err, ErrNotFound) {
			return OutboxEvent{}, false, ErrQueueFull // no replay: the cap refused it
		}
		return got, false, err
	}
	if isForeignKeyViolation(err) {
		return OutboxEvent{}, false, fmt.Errorf("%w: connection %s/%s", ErrNotFound, e.Workspace, e.ConnectionID)
	}
	return OutboxEvent{}, false, fmt.Errorf("store: insert outbox event: %w", translate(err))
}

// GetOutboxEvent returns one event of a connection, or ErrNotFound.
func (s *Store) GetOutboxEvent(ctx context.Context, workspace, connectionID, id string) (OutboxEvent, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox_events
		WHERE workspace = ? AND id = ? AND connection_id = ?`, workspace, id, connectionID)
	return scanOutboxEvent(row)
}

// ListOutboxEvents returns up to limit events of a connection older than beforeSeq (0 for
// the newest), newest first, only those with the given status unless it is "". When
// maxBytes > 0 it also stops after the event that brings the payloads and errors read to
// maxBytes (it always returns at least one event), so a page of large events never holds more
// than about maxBytes in memory. more says whether events are left after the last one.
func (s *Store) ListOutboxEvents(ctx context.Context, workspace, connectionID, status string, beforeSeq int64, limit, maxBytes int) (events []OutboxEvent, more bool, err error) {
	q := `SELECT ` + outboxColumns + ` FROM outbox_events WHERE workspace = ? AND connection_id = ?`
	args := []any{workspace, connectionID}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, status)
	}
	if beforeSeq > 0 {
		q += ` AND seq < ?`
		args = append(args, beforeSeq)
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	read := 0
	for rows.Next() {
		if len(events) == limit || (maxBytes > 0 && read >= maxBytes) {
			return events, true, rows.Close()
		}
		e, err := scanOutboxEvent(rows)
		if err != nil {
			return nil, false, err
		}
		events = append(events, e)
		read += len(e.Payload) + len(e.LastError)
	}
	return events, false, rows.Err()
}

// DeleteFinishedOutboxEvents deletes up to limit DELIVERED or FAILED events that finished
// before `before`, oldest first, and says how many it deleted. One call is one short write
// transaction: the retention sweep calls it repeatedly rather than holding the writer.
func (s *Store) DeleteFinishedOutboxEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM outbox_events WHERE seq IN (SELECT seq FROM outbox_events
		WHERE status IN ('DELIVERED', 'FAILED') AND deliver_time < ? ORDER BY deliver_time LIMIT ?)`, timeText(before), limit)
	if err != nil {
		return 0, fmt.Errorf("store: delete finished outbox events: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DueOutboxEvents returns up to limit queued events of a connection whose next attempt is
// not after now: events in doubt first (a send of theirs may have reached HubSpot), then the
// others, each oldest first. Events in doubt become due only CheckDelay after their send,
// later than a backlog queued before it; by next attempt alone they would be checked after
// the whole backlog was sent, when the check's search has every engagement sent meanwhile
// to page through (and beyond HubSpot's 10,000 results a check cannot conclude).
func (s *Store) DueOutboxEvents(ctx context.Context, workspace, connectionID string, now time.Time, limit int) ([]OutboxEvent, error) {
	return s.queryOutbox(ctx, `SELECT `+outboxColumns+` FROM outbox_events
		WHERE workspace = ? AND connection_id = ? AND status = 'QUEUED' AND next_attempt_ms <= ?
		ORDER BY in_doubt_since_ms IS NULL, next_attempt_ms, seq LIMIT ?`, workspace, connectionID, now.UnixMilli(), limit)
}

// NextOutboxAttempt returns when the connection's earliest queued event is due; ok is false
// when nothing is queued.
func (s *Store) NextOutboxAttempt(ctx context.Context, workspace, connectionID string) (next time.Time, ok bool, err error) {
	var ms sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT MIN(next_attempt_ms) FROM outbox_events
		WHERE workspace = ? AND connection_id = ? AND status = 'QUEUED'`, workspace, connectionID).Scan(&ms)
	if err != nil || !ms.Valid {
		return time.Time{}, false, err
	}
	return time.UnixMilli(ms.Int64), true, nil
}

// OutboxBacklogs lists the connections that have queued events (what a restart resumes).
func (s *Store) OutboxBacklogs(ctx context.Context) ([]OutboxBacklog, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT workspace, connection_id, COUNT(*), MIN(next_attempt_ms) FROM outbox_events
		WHERE status = 'QUEUED' GROUP BY workspace, connection_id ORDER BY workspace, connection_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxBacklog
	for rows.Next() {
		var b OutboxBacklog
		var next int64
		if err := rows.Scan(&b.Workspace, &b.ConnectionID, &b.Queued, &next); err != nil {
			return nil, err
		}
		b.NextAttempt = time.UnixMilli(next).UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

// SaveOutboxEvents writes the delivery state (status, attempts, error, schedule, doubt,
// HubSpot ids, deliver time) of events in one transaction. Events whose connection was
// deleted meanwhile are skipped.
func (s *Store) SaveOutboxEvents(ctx context.Context, events []OutboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	return retryOnDeadlock(ctx, func() error {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := saveOutboxEvents(ctx, tx, events); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// ClaimOutboxEvents saves events as SaveOutboxEvents does, but only while owner holds the
// OutboxDeliveryLease at now, in the same transaction: it is ErrLeaseNotHeld, and saves
// nothing, once another process has taken delivery over. The outbox claims a batch this way
// before sending it, so a process that lost the lease sends nothing more.
func (s *Store) ClaimOutboxEvents(ctx context.Context, owner string, now time.Time, events []OutboxEvent) error {
	return retryOnDeadlock(ctx, func() error {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := checkLease(ctx, tx, OutboxDeliveryLease, owner, now); err != nil {
			return err
		}
		if err := saveOutboxEvents(ctx, tx, events); err != nil {
			return err
		}
		return tx.Commit()
	})
}

func saveOutboxEvents(ctx context.Context, tx *sql.Tx, events []OutboxEvent) error {
	stmt, err := tx.PrepareContext(ctx, `UPDATE outbox_events SET status = ?, attempts = ?, last_error = ?,
		next_attempt_ms = ?, in_doubt_since_ms = ?, last_attempt_ms = ?, hubspot_object_type = ?, hubspot_object_id = ?,
		hubspot_contact_id = ?, deliver_time = ? WHERE seq = ?`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, e := range events {
		var doubt, last, delivered any
		if !e.InDoubtSince.IsZero() {
			doubt = e.InDoubtSince.UnixMilli()
		}
		if !e.LastAttempt.IsZero() {
			last = e.LastAttempt.UnixMilli()
		}
		if !e.DeliverTime.IsZero() {
			delivered = timeText(e.DeliverTime)
		}
		if _, err := stmt.ExecContext(ctx, e.Status, e.Attempts, e.LastError, e.NextAttempt.UnixMilli(), doubt, last,
			e.HubSpotObjectType, e.HubSpotObjectID, e.HubSpotContactID, delivered, e.Seq); err != nil {
			return fmt.Errorf("store: save outbox event %s: %w", e.ID, translate(err))
		}
	}
	return nil
}

// RescheduleOutboxEvents makes a connection's queued events due at the latest at `at` (held
// events are released when credentials change or the daily budget resets).
func (s *Store) RescheduleOutboxEvents(ctx context.Context, workspace, connectionID string, at time.Time) error {
	return retryOnDeadlock(ctx, func() error {
		_, err := s.w.ExecContext(ctx, `UPDATE outbox_events SET next_attempt_ms = ?
			WHERE workspace = ? AND connection_id = ? AND status = 'QUEUED' AND next_attempt_ms > ?`,
			at.UnixMilli(), workspace, connectionID, at.UnixMilli())
		return err
	})
}

// CountOutboxEvents counts a connection's events by status.
func (s *Store) CountOutboxEvents(ctx context.Context, workspace, connectionID string) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox_events
		WHERE workspace = ? AND connection_id = ? GROUP BY status`, workspace, connectionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

func (s *Store) queryOutbox(ctx context.Context, q string, args ...any) ([]OutboxEvent, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxEvent
	for rows.Next() {
		e, err := scanOutboxEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func scanOutboxEvent(r scanner) (OutboxEvent, error) {
	var e OutboxEvent
	var reqID, delivered sql.NullString
	var doubt, last sql.NullInt64
	var next int64
	var created string
	err := r.Scan(&e.Seq, &e.Workspace, &e.ConnectionID, &e.ID, &reqID, &e.Kind, &e.Payload, &e.Status,
		&e.Attempts, &e.LastError, &next, &doubt, &last, &e.HubSpotObjectType, &e.HubSpotObjectID,
		&e.HubSpotContactID, &created, &delivered)
	if err != nil {
		return OutboxEvent{}, translate(err)
	}
	e.RequestID = reqID.String
	e.NextAttempt = time.UnixMilli(next).UTC()
	if doubt.Valid {
		e.InDoubtSince = time.UnixMilli(doubt.Int64).UTC()
	}
	if last.Valid {
		e.LastAttempt = time.UnixMilli(last.Int64).UTC()
	}
	if e.CreateTime, err = parseTime(created); err != nil {
		return OutboxEvent{}, fmt.Errorf("store: outbox event %s: %w", e.ID, err)
	}
	if delivered.Valid {
		if e.DeliverTime, err = parseTime(delivered.String); err != nil {
			return OutboxEvent{}, fmt.Errorf("store: outbox event %s: %w", e.ID, err)
		}
	}
	return e, nil
}
