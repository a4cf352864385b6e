package store

import (
	"context"
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
}

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

// APIKeyByID returns the key with the given lookup id, or ErrNotFound.
func (s *Store) APIKeyByID(ctx context.Context, id string) (APIKey, error) {
	var k APIKey
	var created string
	err := s.db.QueryRowContext(ctx, `SELECT id, key_hash, workspace, create_time FROM api_keys WHERE id = ?`, id).
		Scan(&k.ID, &k.Hash, &k.Workspace, &created)
	if err != nil {
		return APIKey{}, translate(err)
	}
	if k.CreateTime, err = parseTime(created); err != nil {
		return APIKey{}, fmt.Errorf("store: api key %s: %w", id, err)
	}
	return k, nil
}
