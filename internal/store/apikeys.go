package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AllWorkspaces is the workspace of an API key that may act in every workspace (the workflow
// engine's key).
const AllWorkspaces = "*"

// APIKey is a stored API key: only its hash is kept.
type APIKey struct {
	ID         string    // public lookup id, part of the key
	Hash       []byte    // SHA-256 of the whole key
	Workspace  string    // a workspace id, or AllWorkspaces
	CreateTime time.Time // when it was created
	RevokeTime time.Time // when it was revoked; zero while it is active
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokeTime.IsZero() }

// CreateAPIKey stores a key, creating its workspace if it is new.
func (s *Store) CreateAPIKey(ctx context.Context, k APIKey) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if k.Workspace != AllWorkspaces {
		if _, err := tx.ExecContext(ctx, `INSERT INTO workspaces(id, create_time) VALUES (?, ?) ON CONFLICT(id) DO NOTHING`,
			k.Workspace, timeText(k.CreateTime)); err != nil {
			return fmt.Errorf("store: create workspace: %w", translate(err))
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys(id, key_hash, workspace, create_time) VALUES (?, ?, ?, ?)`,
		k.ID, k.Hash, k.Workspace, timeText(k.CreateTime)); err != nil {
		return fmt.Errorf("store: create api key: %w", translate(err))
	}
	return tx.Commit()
}

// APIKeyByID returns the key with the given lookup id, or ErrNotFound. Revoked keys are
// returned too, with their RevokeTime.
func (s *Store) APIKeyByID(ctx context.Context, id string) (APIKey, error) {
	return scanAPIKey(s.db.QueryRowContext(ctx, `SELECT id, key_hash, workspace, create_time, revoke_time FROM api_keys WHERE id = ?`, id))
}

// ListAPIKeys returns every key, active and revoked, by workspace then creation time; with a
// workspace, only that workspace's keys.
func (s *Store) ListAPIKeys(ctx context.Context, workspace string) ([]APIKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, key_hash, workspace, create_time, revoke_time FROM api_keys
		WHERE ? = '' OR workspace = ? ORDER BY workspace, create_time, id`, workspace, workspace)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes a key at now and returns it. Revoking a revoked key changes nothing
// and returns it with its first revocation time. An unknown id is ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now time.Time) (APIKey, error) {
	if _, err := s.w.ExecContext(ctx, `UPDATE api_keys SET revoke_time = ? WHERE id = ? AND revoke_time IS NULL`, timeText(now), id); err != nil {
		return APIKey{}, fmt.Errorf("store: revoke api key %s: %w", id, translate(err))
	}
	return scanAPIKey(s.w.QueryRowContext(ctx, `SELECT id, key_hash, workspace, create_time, revoke_time FROM api_keys WHERE id = ?`, id))
}

func scanAPIKey(row interface{ Scan(...any) error }) (APIKey, error) {
	var k APIKey
	var created string
	var revoked sql.NullString
	if err := row.Scan(&k.ID, &k.Hash, &k.Workspace, &created, &revoked); err != nil {
		return APIKey{}, translate(err)
	}
	var err error
	if k.CreateTime, err = parseTime(created); err != nil {
		return APIKey{}, fmt.Errorf("store: api key %s: %w", k.ID, err)
	}
	if revoked.Valid {
		if k.RevokeTime, err = parseTime(revoked.String); err != nil {
			return APIKey{}, fmt.Errorf("store: api key %s: %w", k.ID, err)
		}
	}
	return k, nil
}
