package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrRequestReplayed is returned, wrapped in a *ReplayError, when a mutation's request_id was
// already used: the caller answers with the resource the first call produced.
var ErrRequestReplayed = errors.New("store: request_id already used")

// ReplayError names the resource produced by the first call with a request_id.
type ReplayError struct{ Resource string }

func (e *ReplayError) Error() string { return "store: request_id already used for " + e.Resource }

// Is makes errors.Is(err, ErrRequestReplayed) work.
func (e *ReplayError) Is(target error) bool { return target == ErrRequestReplayed }

// RequestResource returns the resource recorded for (workspace, method, requestID), or
// ErrNotFound when the request_id is new.
func (s *Store) RequestResource(ctx context.Context, workspace, method, requestID string) (string, error) {
	var res string
	err := s.db.QueryRowContext(ctx, `SELECT resource FROM request_ids WHERE workspace = ? AND method = ? AND request_id = ?`,
		workspace, method, requestID).Scan(&res)
	return res, translate(err)
}

// recordRequest claims a request_id inside tx; a request_id already claimed is a ReplayError.
//
// internal/idempotency answers retries for every mutation, but it writes the answer after the
// change; this record is written in the change's own transaction, so it still holds when the
// process died between the two (the retry then runs again): Connect returns the connection
// it created, and a delete deletes nothing rather than a connection created since.
//
// The insert comes first and does nothing on a conflict, so that two transactions claiming one
// request_id at once (two processes on PostgreSQL) never both see it free: the second waits
// for the first to commit, then finds its row.
func recordRequest(ctx context.Context, tx *sql.Tx, workspace, method, requestID, resource string, now time.Time) error {
	if requestID == "" {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO request_ids(workspace, method, request_id, resource, create_time) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(workspace, method, request_id) DO NOTHING`, workspace, method, requestID, resource, timeText(now))
	if err != nil {
		return translate(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var existing string
	if err := tx.QueryRowContext(ctx, `SELECT resource FROM request_ids WHERE workspace = ? AND method = ? AND request_id = ?`,
		workspace, method, requestID).Scan(&existing); err != nil {
		return translate(err)
	}
	return &ReplayError{Resource: existing}
}

// CreateConnection stores a new connection and claims requestID ("" for none) for it in one
// transaction. A display name, id or token fingerprint already used in the workspace is
// ErrConflict; a request_id already used is a *ReplayError naming the first call's connection;
// a workspace that already has maxPerWorkspace connections (≤ 0: no limit) is a
// *ConnectionLimitError.
func (s *Store) CreateConnection(ctx context.Context, c *Connection, requestID string, maxPerWorkspace int) error {
	return s.insertConnection(ctx, c, func(tx *sql.Tx) error {
		name := "workspaces/" + c.Workspace + "/connections/" + c.ID
		if err := recordRequest(ctx, tx, c.Workspace, "Connect", requestID, name, c.CreateTime); err != nil {
			return err
		}
		return checkConnectionLimit(ctx, tx, c.Workspace, maxPerWorkspace)
	})
}

// Credentials is what a token rotation changes.
type Credentials struct {
	UID             string // the connection the token was sealed for: the row must still be it
	AppID           int64
	GrantedScopes   []string
	TokenHint       string
	TokenKeyID      string
	TokenCiphertext []byte
	TokenAADVersion int
	// TokenFingerprint is the new token's keyed hash; another connection of the workspace
	// with the same one is ErrConflict.
	TokenFingerprint string
	Status           string
	StatusReason     string
	UpdateTime       time.Time // also the new credentials_update_time
	CredentialKind   string
}

// UpdateCredentials replaces a connection's sealed token and what comes with it, and marks its
// fields for rediscovery. A connection that is gone, or was deleted and created again under
// the same id since cr.UID was read, is ErrNotFound: its token was sealed for another row.
func (s *Store) UpdateCredentials(ctx context.Context, workspace, id string, cr Credentials) error {
	res, err := s.w.ExecContext(ctx, `UPDATE connections SET app_id = ?, granted_scopes = ?, token_hint = ?,
		token_key_id = ?, token_ciphertext = ?, token_aad_version = ?, status = ?, status_reason = ?, update_time = ?,
		fields_discovered_at = NULL, token_fingerprint = ?, credential_kind = ?, credentials_update_time = ?
		WHERE workspace = ? AND id = ? AND uid = ?`,
		cr.AppID, strings.Join(cr.GrantedScopes, " "), cr.TokenHint, cr.TokenKeyID, cr.TokenCiphertext, cr.TokenAADVersion,
		cr.Status, cr.StatusReason, timeText(cr.UpdateTime), nullIfEmpty(cr.TokenFingerprint),
		credentialKindOrUnknown(cr.CredentialKind), timeText(cr.UpdateTime), workspace, id, cr.UID)
	return oneRow(res, err)
}

// SetConnectionStatus records a connection's health.
func (s *Store) SetConnectionStatus(ctx context.Context, workspace, id, status, reason string, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE connections SET status = ?, status_reason = ?, update_time = ?
		WHERE workspace = ? AND id = ?`, status, reason, timeText(now), workspace, id)
	return oneRow(res, err)
}

// SealedToken is a token as stored: its ciphertext, the key that sealed it, and which
// associated data it was bound to.
type SealedToken struct {
	KeyID      string
	Ciphertext []byte
	AADVersion int
}

// ReplaceCiphertext re-seals a token (key rotation): it writes next only if the row still
// holds exactly prev, the sealed token the caller read and re-sealed, and is ErrNotFound
// otherwise. Comparing the ciphertext itself (a fresh random nonce each sealing) catches every
// change in between: an UpdateCredentials by a server still sealing under the old key, or a
// delete followed by a new connection under the same id.
func (s *Store) ReplaceCiphertext(ctx context.Context, workspace, id string, prev, next SealedToken) error {
	res, err := s.w.ExecContext(ctx, `UPDATE connections SET token_key_id = ?, token_ciphertext = ?, token_aad_version = ?
		WHERE workspace = ? AND id = ? AND token_key_id = ? AND token_ciphertext = ? AND token_aad_version = ?`,
		next.KeyID, next.Ciphertext, next.AADVersion, workspace, id, prev.KeyID, prev.Ciphertext, prev.AADVersion)
	return oneRow(res, err)
}

// DeleteConnection erases a connection with its sealed token and everything kept for it
// (later tables reference connections ON DELETE CASCADE). A connection that does not exist is
// ErrNotFound. A requestID ("" for none) already used by a delete is a *ReplayError naming
// the connection that delete erased, and nothing is deleted: a retry of a delete that
// succeeded must not erase a connection created since under the same name.
func (s *Store) DeleteConnection(ctx context.Context, workspace, id, requestID string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	name := "workspaces/" + workspace + "/connections/" + id
	// Claimed first, in the same transaction: a delete that then finds nothing rolls it back.
	if err := recordRequest(ctx, tx, workspace, "DeleteConnection", requestID, name, s.now()); err != nil {
		return err
	}
	// What the connection's uid keys goes with it (its change settings and sealed webhook
	// secret, its changes, own writes and inbox, its HubSpot usage): the uid is never reused,
	// so nobody could read them again.
	for _, table := range []string{"change_settings", "changes", "own_writes", "webhook_inbox", "change_horizons", "usage_hours", "usage_totals"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE connection_uid = (SELECT uid FROM connections WHERE workspace = ? AND id = ?)`, //nolint:gosec // table names are constants
			workspace, id); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM connections WHERE workspace = ? AND id = ?`, workspace, id)
	if err := oneRow(res, err); err != nil {
		return err
	}
	return tx.Commit()
}

// DisplayNameTaken reports whether the workspace has a connection with that display name.
func (s *Store) DisplayNameTaken(ctx context.Context, workspace, displayName string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM connections WHERE workspace = ? AND display_name = ?`, workspace, displayName).Scan(&n)
	return n > 0, err
}

// AllConnections returns every connection of every workspace, for maintenance commands.
func (s *Store) AllConnections(ctx context.Context) ([]Connection, error) {
	return s.queryConnections(ctx, `SELECT `+connectionColumns+` FROM connections ORDER BY workspace, seq`)
}

// oneRow turns an UPDATE/DELETE result into ErrNotFound when it touched nothing.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("store: %w", translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
