package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	fastjson "github.com/goccy/go-json"

	"github.com/connectflo/integrations/internal/fields"
)

// OwnerList is the owners of a connection's HubSpot account as last discovered, or why the
// last discovery could not read them (Owners then holds the last good ones, if any).
type OwnerList struct {
	DiscoveredAt time.Time // zero if never discovered
	Owners       []fields.Owner
	ErrorReason  string
	ErrorMessage string
	ErrorScopes  []string
}

// OwnersUpdate is the outcome of reading the owners: the owners, or, when ErrorReason is
// set, why they could not be read.
type OwnersUpdate struct {
	Owners       []fields.Owner
	ErrorReason  string
	ErrorMessage string
	ErrorScopes  []string
}

// replaceOwners writes the owners part of a discovery inside its transaction.
func replaceOwners(ctx context.Context, tx *sql.Tx, workspace, connectionID string, u *OwnersUpdate, discoveredAt time.Time) error {
	var err error
	scopes := strings.Join(u.ErrorScopes, " ")
	if u.ErrorReason != "" {
		_, err = tx.ExecContext(ctx, `INSERT INTO connection_owners(workspace, connection_id, discovered_at, owners, error_reason, error_message, error_scopes)
			VALUES (?, ?, NULL, '[]', ?, ?, ?)
			ON CONFLICT(workspace, connection_id) DO UPDATE SET error_reason = excluded.error_reason,
			error_message = excluded.error_message, error_scopes = excluded.error_scopes`,
			workspace, connectionID, u.ErrorReason, u.ErrorMessage, scopes)
	} else {
		blob, encErr := encodeList(u.Owners)
		if encErr != nil {
			return encErr
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO connection_owners(workspace, connection_id, discovered_at, owners, error_reason, error_message, error_scopes)
			VALUES (?, ?, ?, ?, '', '', '')
			ON CONFLICT(workspace, connection_id) DO UPDATE SET discovered_at = excluded.discovered_at,
			owners = excluded.owners, error_reason = '', error_message = '', error_scopes = ''`,
			workspace, connectionID, timeText(discoveredAt), blob)
	}
	if err != nil {
		return fmt.Errorf("store: replace owners: %w", translate(err))
	}
	return nil
}

// Owners returns the owners of a connection's account as last discovered; a connection
// whose owners were never discovered has a zero OwnerList.
func (s *Store) Owners(ctx context.Context, workspace, connectionID string) (OwnerList, error) {
	var out OwnerList
	var discovered sql.NullString
	var blob []byte
	var scopes string
	err := s.db.QueryRowContext(ctx, `SELECT discovered_at, owners, error_reason, error_message, error_scopes
		FROM connection_owners WHERE workspace = ? AND connection_id = ?`, workspace, connectionID).
		Scan(&discovered, &blob, &out.ErrorReason, &out.ErrorMessage, &scopes)
	if errors.Is(err, sql.ErrNoRows) {
		return OwnerList{}, nil
	}
	if err != nil {
		return OwnerList{}, err
	}
	if discovered.Valid {
		if out.DiscoveredAt, err = parseTime(discovered.String); err != nil {
			return OwnerList{}, err
		}
	}
	if err := fastjson.Unmarshal(blob, &out.Owners); err != nil {
		return OwnerList{}, fmt.Errorf("store: owners of %s: %w", connectionID, err)
	}
	out.ErrorScopes = strings.Fields(scopes)
	return out, nil
}
