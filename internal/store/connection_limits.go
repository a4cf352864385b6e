package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrConnectionLimit is returned, wrapped in a *ConnectionLimitError, when a workspace already
// has as many connections as it may.
var ErrConnectionLimit = errors.New("store: the workspace has the most connections allowed")

// ConnectionLimitError says how many connections the workspace may have.
type ConnectionLimitError struct{ Limit int }

func (e *ConnectionLimitError) Error() string {
	return fmt.Sprintf("store: the workspace already has %d connections, the most allowed", e.Limit)
}

// Is makes errors.Is(err, ErrConnectionLimit) work.
func (e *ConnectionLimitError) Is(target error) bool { return target == ErrConnectionLimit }

// checkConnectionLimit fails inside tx when the workspace already has limit connections
// (limit ≤ 0: no limit). Concurrent Connects are counted one after another and never
// overshoot: insertConnection holds the workspace's row (SQLite: the write lock) first.
func checkConnectionLimit(ctx context.Context, tx *sql.Tx, workspace string, limit int) error {
	if limit <= 0 {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM connections WHERE workspace = ?`, workspace).Scan(&n); err != nil {
		return err
	}
	if n >= limit {
		return &ConnectionLimitError{Limit: limit}
	}
	return nil
}

// CountConnections returns how many connections a workspace has.
func (s *Store) CountConnections(ctx context.Context, workspace string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM connections WHERE workspace = ?`, workspace).Scan(&n)
	return n, err
}

// ConnectionByTokenFingerprint returns the workspace's connection whose token has one of the
// given fingerprints (one per key of the ring, since rows keep the key they were hashed
// under), or ErrNotFound.
func (s *Store) ConnectionByTokenFingerprint(ctx context.Context, workspace string, fingerprints []string) (Connection, error) {
	for _, fp := range fingerprints {
		row := s.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE workspace = ? AND token_fingerprint = ?`, workspace, fp)
		c, err := scanConnection(row)
		if !errors.Is(err, ErrNotFound) {
			return c, err
		}
	}
	return Connection{}, ErrNotFound
}

// SetTokenFingerprint records the fingerprint of a connection's current token, for rows
// written before fingerprints existed or hashed under a key since retired. It changes nothing
// when the row's ciphertext is no longer the one the fingerprint was computed from. Another
// connection of the workspace with the same fingerprint is ErrConflict.
func (s *Store) SetTokenFingerprint(ctx context.Context, workspace, id string, ciphertext []byte, fingerprint string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE connections SET token_fingerprint = ?
		WHERE workspace = ? AND id = ? AND token_ciphertext = ?`, nullIfEmpty(fingerprint), workspace, id, ciphertext)
	return oneRow(res, err)
}

// nullIfEmpty stores "" as NULL, which unique indexes ignore.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
