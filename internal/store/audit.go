package store

import (
	"context"
	"fmt"
	"time"
)

// AuditEvent is one stored entry of the audit log. It never holds a secret.
type AuditEvent struct {
	Seq           int64 // write order, for paging; set by the store
	ID            string
	Workspace     string // a workspace id, or AllWorkspaces
	Time          time.Time
	Action        string
	Resource      string
	ActorAPIKeyID string // set for calls over the API
	ActorOperator string // set for commands run on the server
	Transport     string
	PeerAddress   string
	ForwardedFor  string
	RequestID     string
	Outcome       string
	Reason        string
	Description   string
}

// AuditRetention bounds a workspace's audit log: events older than MaxAge, and all but the
// newest MaxEvents, are deleted when an event is appended.
type AuditRetention struct {
	MaxAge    time.Duration
	MaxEvents int
}

// AuditFilter narrows ListAuditEvents; empty fields match everything.
type AuditFilter struct {
	Action   string
	Resource string
}

// AppendAuditEvent stores e and, in the same transaction, prunes e's workspace to keep.
func (s *Store) AppendAuditEvent(ctx context.Context, e AuditEvent, keep AuditRetention) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events(id, workspace, event_time, action, resource, actor_api_key_id,
		actor_operator, transport, peer_address, forwarded_for, request_id, outcome, reason, description)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Workspace, e.Time.UnixNano(), e.Action, e.Resource, e.ActorAPIKeyID, e.ActorOperator, e.Transport,
		e.PeerAddress, e.ForwardedFor, e.RequestID, e.Outcome, e.Reason, e.Description); err != nil {
		return fmt.Errorf("store: append audit event: %w", translate(err))
	}
	// Both deletes walk an index of the workspace; past the first prune each removes about
	// one row, so the cost of an append stays flat.
	if _, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE workspace = ? AND event_time < ?`,
		e.Workspace, e.Time.Add(-keep.MaxAge).UnixNano()); err != nil {
		return fmt.Errorf("store: prune audit events by age: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE workspace = ? AND seq <=
		(SELECT seq FROM audit_events WHERE workspace = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
		e.Workspace, e.Workspace, keep.MaxEvents); err != nil {
		return fmt.Errorf("store: prune audit events by count: %w", err)
	}
	return tx.Commit()
}

// ListAuditEvents returns up to limit events of workspace written before beforeSeq (0: from
// the newest), newest first.
func (s *Store) ListAuditEvents(ctx context.Context, workspace string, beforeSeq int64, f AuditFilter, limit int) ([]AuditEvent, error) {
	if beforeSeq <= 0 {
		beforeSeq = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, id, workspace, event_time, action, resource, actor_api_key_id, actor_operator,
		transport, peer_address, forwarded_for, request_id, outcome, reason, description FROM audit_events
		WHERE workspace = ? AND seq < ? AND (? = '' OR action = ?) AND (? = '' OR resource = ?)
		ORDER BY seq DESC LIMIT ?`, workspace, beforeSeq, f.Action, f.Action, f.Resource, f.Resource, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var nanos int64
		if err := rows.Scan(&e.Seq, &e.ID, &e.Workspace, &nanos, &e.Action, &e.Resource, &e.ActorAPIKeyID, &e.ActorOperator,
			&e.Transport, &e.PeerAddress, &e.ForwardedFor, &e.RequestID, &e.Outcome, &e.Reason, &e.Description); err != nil {
			return nil, err
		}
		e.Time = time.Unix(0, nanos).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
