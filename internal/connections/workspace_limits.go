package connections

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
)

// DefaultMaxPerWorkspace is how many connections a workspace may have unless configured
// otherwise: far more than a workspace's HubSpot accounts and sandboxes, few enough that
// one tenant's rows, cached schemas and clients stay small.
const DefaultMaxPerWorkspace = 25

// ErrConnectionLimit: the workspace has as many connections as it may; see *LimitError.
var ErrConnectionLimit = errors.New("connections: the workspace has the most connections allowed")

// LimitError says how many connections a workspace may have.
type LimitError struct{ Limit int }

func (e *LimitError) Error() string {
	return fmt.Sprintf("connections: the workspace already has %d connections, the most allowed", e.Limit)
}

// Is makes errors.Is(err, ErrConnectionLimit) work.
func (e *LimitError) Is(target error) bool { return target == ErrConnectionLimit }

// ErrTokenInUse: the token is already connected in the workspace; see *TokenInUseError.
var ErrTokenInUse = errors.New("connections: the access token is already connected in the workspace")

// TokenInUseError names the connection that already holds the token (never the token).
type TokenInUseError struct {
	Connection  string // its resource name
	DisplayName string
}

func (e *TokenInUseError) Error() string {
	return fmt.Sprintf("connections: the access token is already connected as %q (%s)", e.DisplayName, e.Connection)
}

// Is makes errors.Is(err, ErrTokenInUse) work.
func (e *TokenInUseError) Is(target error) bool { return target == ErrTokenInUse }

// maxPerWorkspace is the configured limit, the default when unset.
func (m *Manager) maxPerWorkspace() int {
	if m.cfg.MaxPerWorkspace > 0 {
		return m.cfg.MaxPerWorkspace
	}
	return DefaultMaxPerWorkspace
}

// checkRoom fails when the workspace is full, before any HubSpot call is spent; the insert
// checks again in its transaction, which decides races.
func (m *Manager) checkRoom(ctx context.Context, workspace string) error {
	n, err := m.store.CountConnections(ctx, workspace)
	if err != nil {
		return err
	}
	if limit := m.maxPerWorkspace(); n >= limit {
		return &LimitError{Limit: limit}
	}
	return nil
}

// checkTokenFree fails when another connection of the workspace than self ("" for none)
// holds the same token. Tokens are compared by fingerprint under every key of the ring, so
// rows fingerprinted before a key rotation still match.
func (m *Manager) checkTokenFree(ctx context.Context, workspace, self, token string) error {
	c, err := m.store.ConnectionByTokenFingerprint(ctx, workspace, m.ring.Fingerprints(workspace, []byte(token)))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case c.ID == self:
		return nil
	}
	return &TokenInUseError{Connection: resname.Connection{Workspace: c.Workspace, ID: c.ID}.String(), DisplayName: c.DisplayName}
}

// fingerprint is the token's fingerprint to store, under the primary key.
func (m *Manager) fingerprint(workspace, token string) string {
	return m.ring.Fingerprint(workspace, []byte(token))
}

// refreshFingerprint records the fingerprint of a token just opened when its row has none
// (written before fingerprints existed) or one under a key other than the primary (which may
// later leave the ring). Best effort: a failure only weakens the duplicate check, so it is
// logged, never returned.
func (m *Manager) refreshFingerprint(ctx context.Context, c store.Connection, token []byte) {
	if strings.HasPrefix(c.TokenFingerprint, m.ring.PrimaryID()+":") {
		return
	}
	name := resname.Connection{Workspace: c.Workspace, ID: c.ID}.String()
	err := m.store.SetTokenFingerprint(ctx, c.Workspace, c.ID, c.TokenCiphertext, m.ring.Fingerprint(c.Workspace, token))
	switch {
	case err == nil, errors.Is(err, store.ErrNotFound): // rotated or deleted meanwhile
	case errors.Is(err, store.ErrConflict):
		m.cfg.Logger.WarnContext(ctx, "connection holds the same HubSpot token as another connection of its workspace (connected before duplicates were refused); delete one of them",
			"connection", name)
	default:
		m.cfg.Logger.WarnContext(ctx, "record token fingerprint", "connection", name, "err", err)
	}
}
