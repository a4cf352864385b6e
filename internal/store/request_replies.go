package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RequestCall is a mutation called with a request_id, as internal/idempotency records it.
type RequestCall struct {
	Workspace, RequestID string
	Method               string // the full gRPC method
	Fingerprint          []byte // the request without its request_id, hashed
	FieldDigests         string // per request field, to name what differs
	Claim                string // the running call's random id
	Expire               time.Time
}

// RequestReply is the row of a request_id: the first call's request and, once finished, its
// answer.
type RequestReply struct {
	Method       string
	Fingerprint  []byte
	FieldDigests string
	Finished     bool
	Code         int    // the answer's gRPC code
	Answer       []byte // the response message, or the google.rpc.Status of an error
	Expire       time.Time
}

// ClaimRequest records that c starts, unless its request_id is already taken in the
// workspace: then it returns the row that holds it and claimed is false. An unfinished row
// whose expiry has passed (its process died, or its call overran the bound) is taken over:
// c replaces it and claimed is true.
//
// Each step is one statement that settles the race itself, so that concurrent claims from
// several processes on PostgreSQL have one winner as they do on SQLite's single writer: the
// insert does nothing when the row exists (waiting for a concurrent insert to commit), and
// the takeover's WHERE is evaluated on the row's latest version under its lock.
func (s *Store) ClaimRequest(ctx context.Context, c RequestCall) (existing RequestReply, claimed bool, err error) {
	err = s.inReplyBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// A row released by its process between the insert and the read (PostgreSQL only)
		// sends the claim round again; a few rounds settle any realistic race.
		for range claimRounds {
			existing, claimed = RequestReply{}, false
			err := claimRequestOnce(ctx, tx, c, s.now(), &existing, &claimed)
			if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		return fmt.Errorf("store: claim request_id %s: released %d times while claimed", c.RequestID, claimRounds)
	})
	if err != nil {
		return RequestReply{}, false, err
	}
	return existing, claimed, nil
}

// claimRounds bounds the rounds of one ClaimRequest.
const claimRounds = 3

// claimRequestOnce is one round of ClaimRequest: it claims the request_id, takes an expired
// unfinished row over, or reads the row that holds it (ErrNotFound when the row was deleted
// in between).
func claimRequestOnce(ctx context.Context, tx *sql.Tx, c RequestCall, now time.Time, existing *RequestReply, claimed *bool) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO request_replies(workspace, request_id, method, fingerprint, field_digests, claim, create_ms, expire_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(workspace, request_id) DO NOTHING`,
		c.Workspace, c.RequestID, c.Method, c.Fingerprint, c.FieldDigests, c.Claim, now.UnixMilli(), c.Expire.UnixMilli())
	if *claimed, err = affectedOne(res, err); *claimed || err != nil {
		return err
	}
	res, err = tx.ExecContext(ctx, `UPDATE request_replies SET method = ?, fingerprint = ?, field_digests = ?, claim = ?, create_ms = ?, expire_ms = ?
		WHERE workspace = ? AND request_id = ? AND finished = 0 AND expire_ms <= ?`,
		c.Method, c.Fingerprint, c.FieldDigests, c.Claim, now.UnixMilli(), c.Expire.UnixMilli(), c.Workspace, c.RequestID, now.UnixMilli())
	if *claimed, err = affectedOne(res, err); *claimed || err != nil {
		return err
	}
	var expireMS int64
	err = tx.QueryRowContext(ctx, `SELECT method, fingerprint, field_digests, finished, code, answer, expire_ms
		FROM request_replies WHERE workspace = ? AND request_id = ?`, c.Workspace, c.RequestID).
		Scan(&existing.Method, &existing.Fingerprint, &existing.FieldDigests, &existing.Finished, &existing.Code, &existing.Answer, &expireMS)
	existing.Expire = time.UnixMilli(expireMS)
	return translate(err)
}

// affectedOne reports whether an INSERT, UPDATE or DELETE touched a row.
func affectedOne(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, translate(err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// FinishRequest stores the answer of the call that holds claim. A row taken over since (the
// call overran its bound) is ErrNotFound, and the newer call's answer stands.
func (s *Store) FinishRequest(ctx context.Context, workspace, requestID, claim string, code int, answer []byte) error {
	return s.inReplyBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE request_replies SET finished = 1, code = ?, answer = ?
			WHERE workspace = ? AND request_id = ? AND claim = ? AND finished = 0`, code, answer, workspace, requestID, claim)
		return oneRow(res, err)
	})
}

// ReleaseRequest forgets the unfinished row of the call that holds claim, so that the next
// call with its request_id runs anew (its answer is not kept).
func (s *Store) ReleaseRequest(ctx context.Context, workspace, requestID, claim string) error {
	return s.inReplyBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM request_replies WHERE workspace = ? AND request_id = ? AND claim = ? AND finished = 0`,
			workspace, requestID, claim)
		return translate(err)
	})
}

// RequestReplyOf reads the row of a request_id, or ErrNotFound.
func (s *Store) RequestReplyOf(ctx context.Context, workspace, requestID string) (RequestReply, error) {
	var r RequestReply
	var expireMS int64
	err := s.db.QueryRowContext(ctx, `SELECT method, fingerprint, field_digests, finished, code, answer, expire_ms
		FROM request_replies WHERE workspace = ? AND request_id = ?`, workspace, requestID).
		Scan(&r.Method, &r.Fingerprint, &r.FieldDigests, &r.Finished, &r.Code, &r.Answer, &expireMS)
	r.Expire = time.UnixMilli(expireMS)
	return r, translate(err)
}
