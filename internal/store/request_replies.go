package store

import (
	"context"
	"database/sql"
	"errors"
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
func (s *Store) ClaimRequest(ctx context.Context, c RequestCall) (existing RequestReply, claimed bool, err error) {
	err = s.inReplyBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var expireMS int64
		err := tx.QueryRowContext(ctx, `SELECT method, fingerprint, field_digests, finished, code, answer, expire_ms
			FROM request_replies WHERE workspace = ? AND request_id = ?`, c.Workspace, c.RequestID).
			Scan(&existing.Method, &existing.Fingerprint, &existing.FieldDigests, &existing.Finished, &existing.Code, &existing.Answer, &expireMS)
		now := s.now()
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO request_replies(workspace, request_id, method, fingerprint, field_digests, claim, create_ms, expire_ms)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Workspace, c.RequestID, c.Method, c.Fingerprint, c.FieldDigests, c.Claim, now.UnixMilli(), c.Expire.UnixMilli())
		case err != nil:
			return err
		default:
			existing.Expire = time.UnixMilli(expireMS)
			if existing.Finished || now.Before(existing.Expire) {
				return nil
			}
			existing = RequestReply{}
			_, err = tx.ExecContext(ctx, `UPDATE request_replies SET method = ?, fingerprint = ?, field_digests = ?, claim = ?, create_ms = ?, expire_ms = ?
				WHERE workspace = ? AND request_id = ?`, c.Method, c.Fingerprint, c.FieldDigests, c.Claim, now.UnixMilli(), c.Expire.UnixMilli(), c.Workspace, c.RequestID)
		}
		claimed = err == nil
		return translate(err)
	})
	if err != nil {
		return RequestReply{}, false, err
	}
	return existing, claimed, nil
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
