package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Connection is a stored HubSpot connection. TokenCiphertext is the sealed access token; the
// store never sees the token itself.
type Connection struct {
	Workspace          string
	ID                 string
	UID                string // generated, never reused, unlike ID; NewConnectionUID when left empty
	DisplayName        string
	Status             string // CONNECTED, DEGRADED or ERROR
	StatusReason       string
	HubID              int64
	AppID              int64
	AccountTier        string
	AccountTimeZone    string
	GrantedScopes      []string
	TokenHint          string
	TokenKeyID         string
	TokenCiphertext    []byte
	TokenAADVersion    int       // which associated data sealed the token (package connections decides)
	FieldsDiscoveredAt time.Time // zero until fields are discovered
	CreateTime         time.Time
	UpdateTime         time.Time
	Seq                int64 // creation order within the workspace; the paging key
	SchemaVersion      int64 // increases with every field discovery
	// TokenFingerprint is a keyed hash of the token ("" before it is first computed): equal
	// fingerprints in one workspace mean the same token (secrets.KeyRing.Fingerprint).
	TokenFingerprint string
	// CredentialKind is the kind of token (package connections names them); "UNKNOWN" when it
	// cannot be told.
	CredentialKind string
	// CredentialsUpdateTime is when the token was last set: Connect, or UpdateCredentials.
	CredentialsUpdateTime time.Time
}

const connectionColumns = `workspace, id, display_name, status, status_reason, hub_id, app_id, account_tier,
	account_time_zone, granted_scopes, token_hint, token_key_id, token_ciphertext, fields_discovered_at,
	create_time, update_time, seq, schema_version, uid, token_aad_version, token_fingerprint,
	credential_kind, credentials_update_time`

// credentialKindOrUnknown stores an unset kind as UNKNOWN, the column's default.
func credentialKindOrUnknown(kind string) string {
	if kind == "" {
		return "UNKNOWN"
	}
	return kind
}

// NewConnectionUID returns a new random connection uid: 128 bits in hex, so never reused.
func NewConnectionUID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// Sealed returns the token as stored, for a conditional write that must not overwrite a
// token changed since it was read.
func (c Connection) Sealed() SealedToken {
	return SealedToken{KeyID: c.TokenKeyID, Ciphertext: c.TokenCiphertext, AADVersion: c.TokenAADVersion}
}

// InsertConnection stores a new connection and sets its Seq. A display name already used in
// the workspace, or an id already taken, is ErrConflict.
func (s *Store) InsertConnection(ctx context.Context, c *Connection) error {
	return s.insertConnection(ctx, c, nil)
}

// insertConnection inserts c in a transaction that also runs extra (may be nil) before commit.
func (s *Store) insertConnection(ctx context.Context, c *Connection, extra func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// The workspace's row, created or touched first, is locked until the commit: on
	// PostgreSQL, where writers run side by side, concurrent inserts into one workspace take
	// turns here, so the seq below, the connection limit and the request_id see every
	// connection committed before (on SQLite the write lock does this).
	if _, err := tx.ExecContext(ctx, `INSERT INTO workspaces(id, create_time) VALUES (?, ?)
		ON CONFLICT(id) DO UPDATE SET create_time = workspaces.create_time`,
		c.Workspace, timeText(c.CreateTime)); err != nil {
		return fmt.Errorf("store: create workspace: %w", translate(err))
	}
	if extra != nil {
		if err := extra(tx); err != nil {
			return err
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM connections WHERE workspace = ?`, c.Workspace).
		Scan(&c.Seq); err != nil {
		return err
	}
	if c.UID == "" {
		c.UID = NewConnectionUID()
	}
	var discovered any
	if !c.FieldsDiscoveredAt.IsZero() {
		discovered = timeText(c.FieldsDiscoveredAt)
	}
	credsSet := c.CredentialsUpdateTime
	if credsSet.IsZero() {
		credsSet = c.CreateTime // the token was set when the connection was made
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO connections(`+connectionColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		c.Workspace, c.ID, c.DisplayName, c.Status, c.StatusReason, c.HubID, c.AppID, c.AccountTier,
		c.AccountTimeZone, strings.Join(c.GrantedScopes, " "), c.TokenHint, c.TokenKeyID, c.TokenCiphertext,
		discovered, timeText(c.CreateTime), timeText(c.UpdateTime), c.Seq, c.SchemaVersion, c.UID, c.TokenAADVersion, nullIfEmpty(c.TokenFingerprint),
		credentialKindOrUnknown(c.CredentialKind), timeText(credsSet))
	if err != nil {
		return fmt.Errorf("store: insert connection: %w", translate(err))
	}
	return tx.Commit()
}

// GetConnection returns one connection of a workspace, or ErrNotFound.
func (s *Store) GetConnection(ctx context.Context, workspace, id string) (Connection, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE workspace = ? AND id = ?`, workspace, id)
	return scanConnection(row)
}

// ListConnections returns up to limit connections of a workspace created after the one with
// sequence afterSeq (0 for the first page), oldest first.
func (s *Store) ListConnections(ctx context.Context, workspace string, afterSeq int64, limit int) ([]Connection, error) {
	return s.queryConnections(ctx, `SELECT `+connectionColumns+` FROM connections
		WHERE workspace = ? AND seq > ? ORDER BY seq LIMIT ?`, workspace, afterSeq, limit)
}

// queryConnections runs a query selecting connectionColumns.
func (s *Store) queryConnections(ctx context.Context, query string, args ...any) ([]Connection, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Connection
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanConnection(r scanner) (Connection, error) {
	var c Connection
	var scopes, created, updated, credsUpdated string
	var discovered, fingerprint sql.NullString
	err := r.Scan(&c.Workspace, &c.ID, &c.DisplayName, &c.Status, &c.StatusReason, &c.HubID, &c.AppID,
		&c.AccountTier, &c.AccountTimeZone, &scopes, &c.TokenHint, &c.TokenKeyID, &c.TokenCiphertext,
		&discovered, &created, &updated, &c.Seq, &c.SchemaVersion, &c.UID, &c.TokenAADVersion, &fingerprint,
		&c.CredentialKind, &credsUpdated)
	if err != nil {
		return Connection{}, translate(err)
	}
	c.GrantedScopes = strings.Fields(scopes)
	c.TokenFingerprint = fingerprint.String
	if c.CreateTime, err = parseTime(created); err != nil {
		return Connection{}, fmt.Errorf("store: connection %s: %w", c.ID, err)
	}
	if c.UpdateTime, err = parseTime(updated); err != nil {
		return Connection{}, fmt.Errorf("store: connection %s: %w", c.ID, err)
	}
	if credsUpdated != "" {
		if c.CredentialsUpdateTime, err = parseTime(credsUpdated); err != nil {
			return Connection{}, fmt.Errorf("store: connection %s: %w", c.ID, err)
		}
	}
	if discovered.Valid {
		if c.FieldsDiscoveredAt, err = parseTime(discovered.String); err != nil {
			return Connection{}, fmt.Errorf("store: connection %s: %w", c.ID, err)
		}
	}
	return c, nil
}
