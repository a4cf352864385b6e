package connections

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
)

// Connection statuses as stored.
const (
	StatusConnected = "CONNECTED"
	StatusDegraded  = "DEGRADED"
	StatusError     = "ERROR"
)

// MaxDisplayNameLength bounds a connection's friendly name, in characters.
const MaxDisplayNameLength = 100

// ConnectRequest is what a customer gives to connect HubSpot.
type ConnectRequest struct {
	Workspace   string
	DisplayName string
	AccessToken string // never logged, returned or stored in the clear
	RequestID   string
	ID          string // optional; generated from DisplayName when empty
}

// Connect checks the token with HubSpot and stores the connection with the token sealed.
// Nothing is stored when any check fails. A request_id already used returns the connection
// the first call created, without calling HubSpot again.
func (m *Manager) Connect(ctx context.Context, req ConnectRequest) (store.Connection, error) {
	if req.RequestID != "" {
		if c, ok, err := m.replayed(ctx, req.Workspace, req.RequestID); ok || err != nil {
			return c, err
		}
	}
	tok, err := parseToken(req.AccessToken)
	if err != nil {
		return store.Connection{}, err
	}
	// Refuse a taken name before spending HubSpot calls; the unique index still decides races.
	if taken, err := m.store.DisplayNameTaken(ctx, req.Workspace, req.DisplayName); err != nil {
		return store.Connection{}, err
	} else if taken {
		return store.Connection{}, ErrDisplayNameTaken
	}
	id := req.ID
	if id == "" {
		id = newConnectionID(req.DisplayName)
	} else if _, err := m.store.GetConnection(ctx, req.Workspace, id); err == nil {
		return store.Connection{}, ErrIDTaken
	}
	if err := m.checkRoom(ctx, req.Workspace); err != nil {
		return store.Connection{}, err
	}
	if err := m.checkTokenFree(ctx, req.Workspace, "", strings.TrimSpace(req.AccessToken)); err != nil {
		return store.Connection{}, err
	}
	uid := store.NewConnectionUID()
	// The token's app is unknown until it is probed: the first call goes on a limiter of its
	// own, the others on the app's (probeToken).
	client, err := m.newClient(tok, hubspot.NewLimiter(hubspot.LimiterConfig{}), uid)
	if err != nil {
		return store.Connection{}, err
	}
	p, err := m.probeToken(ctx, client, m.probeClients(tok, uid))
	if err != nil {
		return store.Connection{}, err
	}
	report := p.scopeReport()
	if len(report.MissingRequired) > 0 {
		return store.Connection{}, &MissingScopesError{Missing: report.MissingRequired, Kind: credentialKind(strings.TrimSpace(req.AccessToken), p.introspected)}
	}

	now := m.now().UTC()
	tier, _ := AccountLimits(p.limits)
	c := store.Connection{
		Workspace: req.Workspace, ID: id, UID: uid, DisplayName: req.DisplayName,
		Status: StatusConnected, HubID: p.hubID, AppID: p.appID,
		AccountTier: tier, AccountTimeZone: p.account.TimeZone, GrantedScopes: report.Granted,
		TokenHint: tok.Hint(), CreateTime: now, UpdateTime: now,
		TokenFingerprint: m.fingerprint(req.Workspace, strings.TrimSpace(req.AccessToken)),
		CredentialKind:   credentialKind(strings.TrimSpace(req.AccessToken), p.introspected), CredentialsUpdateTime: now,
	}
	name := resname.Connection{Workspace: c.Workspace, ID: c.ID}.String()
	sealed, err := sealToken(m.ring, c.Workspace, c.ID, c.UID, []byte(strings.TrimSpace(req.AccessToken)))
	if err != nil {
		return store.Connection{}, err
	}
	c.TokenKeyID, c.TokenCiphertext, c.TokenAADVersion = sealed.KeyID, sealed.Ciphertext, sealed.AADVersion
	err = m.store.CreateConnection(ctx, &c, req.RequestID, m.maxPerWorkspace())
	var replay *store.ReplayError
	switch {
	case errors.Is(err, store.ErrConnectionLimit):
		return store.Connection{}, &LimitError{Limit: m.maxPerWorkspace()}
	case errors.As(err, &replay):
		// A concurrent call with the same request_id won; answer with its connection.
		c, _, err := m.replayed(ctx, req.Workspace, req.RequestID)
		return c, err
	case errors.Is(err, store.ErrConflict):
		// Lost a race with a concurrent Connect using the same token, name or id.
		if terr := m.checkTokenFree(ctx, req.Workspace, "", strings.TrimSpace(req.AccessToken)); terr != nil {
			return store.Connection{}, terr
		}
		return store.Connection{}, ErrDisplayNameTaken
	case err != nil:
		return store.Connection{}, err
	}
	m.cfg.Logger.InfoContext(ctx, "connected HubSpot", "connection", name, "hub_id", c.HubID, "app_id", c.AppID,
		"tier", c.AccountTier, "token_hint", c.TokenHint)
	return c, nil
}

// probeClients returns, for probeToken, a client of tok on the limiter of an app (or account)
// once the probe has learnt it.
func (m *Manager) probeClients(tok hubspot.Token, uid string) func(appID, hubID int64) (*hubspot.Client, error) {
	return func(appID, hubID int64) (*hubspot.Client, error) {
		return m.newClient(tok, m.limiterFor(appID, hubID), uid)
	}
}

// replayed returns the connection recorded for a Connect request_id, if any.
func (m *Manager) replayed(ctx context.Context, workspace, requestID string) (store.Connection, bool, error) {
	res, err := m.store.RequestResource(ctx, workspace, "Connect", requestID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, false, nil
	}
	if err != nil {
		return store.Connection{}, false, err
	}
	name, err := resname.ParseConnection("request_id", res)
	if err != nil {
		return store.Connection{}, false, err
	}
	c, err := m.store.GetConnection(ctx, name.Workspace, name.ID)
	if errors.Is(err, store.ErrNotFound) {
		// The first call's connection was deleted since; the request_id is spent.
		return store.Connection{}, true, fmt.Errorf("%w: request_id %q created %s, which has since been deleted; use a new request_id", ErrNotFound, requestID, res)
	}
	return c, err == nil, err
}

// Get returns a connection, from a read of its row begun after the call (concurrent Gets of
// one connection share one; see connectionReads).
func (m *Manager) Get(ctx context.Context, name resname.Connection) (store.Connection, error) {
	c, err := m.reads.get(ctx, name.String(), func(ctx context.Context) (store.Connection, error) {
		return m.store.GetConnection(ctx, name.Workspace, name.ID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, ErrNotFound
	}
	return c, err
}

// UpdateCredentials rotates a connection's token: the new token must pass Connect's checks
// and belong to the same HubSpot account. Fields are marked for rediscovery.
func (m *Manager) UpdateCredentials(ctx context.Context, name resname.Connection, accessToken string) (store.Connection, error) {
	tok, err := parseToken(accessToken)
	if err != nil {
		return store.Connection{}, err
	}
	cur, err := m.Get(ctx, name)
	if err != nil {
		return store.Connection{}, err
	}
	if err := m.checkTokenFree(ctx, name.Workspace, name.ID, strings.TrimSpace(accessToken)); err != nil {
		return store.Connection{}, err
	}
	// The new token is most likely of the connection's app: its first call goes on that
	// app's limiter, the others on the limiter of the app it turns out to be of.
	client, err := m.newClient(tok, m.limiterFor(cur.AppID, cur.HubID), cur.UID)
	if err != nil {
		return store.Connection{}, err
	}
	p, err := m.probeToken(ctx, client, m.probeClients(tok, cur.UID))
	if err != nil {
		return store.Connection{}, err
	}
	if p.hubID != cur.HubID {
		return store.Connection{}, &AccountMismatchError{Want: cur.HubID, Got: p.hubID}
	}
	report := p.scopeReport()
	if len(report.MissingRequired) > 0 {
		return store.Connection{}, &MissingScopesError{Missing: report.MissingRequired, Kind: credentialKind(strings.TrimSpace(accessToken), p.introspected)}
	}
	// Sealed for the connection read above: if it is deleted and created again meanwhile,
	// the write finds another uid and fails rather than give the successor this token.
	sealed, err := sealToken(m.ring, name.Workspace, name.ID, cur.UID, []byte(strings.TrimSpace(accessToken)))
	if err != nil {
		return store.Connection{}, err
	}
	err = m.store.UpdateCredentials(ctx, name.Workspace, name.ID, store.Credentials{
		UID: cur.UID, AppID: p.appID, GrantedScopes: report.Granted, TokenHint: tok.Hint(),
		TokenKeyID: sealed.KeyID, TokenCiphertext: sealed.Ciphertext, TokenAADVersion: sealed.AADVersion,
		Status: StatusConnected, UpdateTime: m.now().UTC(),
		TokenFingerprint: m.fingerprint(name.Workspace, strings.TrimSpace(accessToken)),
		CredentialKind:   credentialKind(strings.TrimSpace(accessToken), p.introspected),
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, ErrNotFound // deleted meanwhile
	}
	if errors.Is(err, store.ErrConflict) {
		// Lost a race with a Connect or rotation of the same token elsewhere in the workspace.
		if terr := m.checkTokenFree(ctx, name.Workspace, name.ID, strings.TrimSpace(accessToken)); terr != nil {
			return store.Connection{}, terr
		}
	}
	if err != nil {
		return store.Connection{}, err
	}
	m.cfg.Logger.InfoContext(ctx, "rotated HubSpot token", "connection", name.String(), "token_hint", tok.Hint())
	return m.Get(ctx, name)
}

// Delete erases a connection with its sealed token and everything kept for it. A retry with
// the request_id of a delete that succeeded is ErrDeleteReplayed and deletes nothing, even if a
// connection was created under the same name since.
func (m *Manager) Delete(ctx context.Context, name resname.Connection, requestID string) error {
	err := m.store.DeleteConnection(ctx, name.Workspace, name.ID, requestID)
	var replay *store.ReplayError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	case errors.As(err, &replay) && replay.Resource == name.String():
		return ErrDeleteReplayed
	case errors.As(err, &replay):
		return &RequestIDReusedError{Resource: replay.Resource}
	case err != nil:
		return err
	}
	m.cfg.Logger.InfoContext(ctx, "deleted connection", "connection", name.String())
	return nil
}

// OpenClient opens a connection's stored token into a new HubSpot client sharing the rate
// limiter of its HubSpot app. It caches nothing: the caller keeps the client for as long as
// the row's sealed token stays the same (package handles does). A token that cannot be
// decrypted puts the connection in ERROR and returns ErrTokenUnreadable.
func (m *Manager) OpenClient(ctx context.Context, c store.Connection) (*hubspot.Client, error) {
	name := resname.Connection{Workspace: c.Workspace, ID: c.ID}.String()
	plain, err := openToken(m.ring, c)
	if err != nil {
		reason := fmt.Sprintf("the stored HubSpot token cannot be decrypted (%v): restore encryption key %q in INTEGRATIONS_ENCRYPTION_KEYS or the key file, or Update Credentials with the token from HubSpot", err, c.TokenKeyID)
		if serr := m.store.SetConnectionStatus(ctx, c.Workspace, c.ID, StatusError, reason, m.now().UTC()); serr != nil {
			m.cfg.Logger.ErrorContext(ctx, "record connection status", "connection", name, "err", serr)
		}
		m.cfg.Logger.ErrorContext(ctx, "cannot decrypt token", "connection", name, "key_id", c.TokenKeyID, "err", err)
		return nil, fmt.Errorf("%w: %s", ErrTokenUnreadable, reason)
	}
	tok, err := hubspot.ParseToken(string(plain))
	if err != nil {
		return nil, fmt.Errorf("%w: the decrypted value is not a token", ErrTokenUnreadable)
	}
	m.refreshFingerprint(ctx, c, plain)
	return m.newClient(tok, m.limiterFor(c.AppID, c.HubID), c.UID)
}

// SetStatus records a connection's health observed outside a diagnosis (for example field
// discovery failing right after Connect).
func (m *Manager) SetStatus(ctx context.Context, name resname.Connection, status, reason string) error {
	err := m.store.SetConnectionStatus(ctx, name.Workspace, name.ID, status, reason, m.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// heldPrefix starts the status reason of a connection whose timeline events are held.
const heldPrefix = "timeline events are held: "

// EventsHeld records that the connection's timeline events are held (DEGRADED, with why and
// what to do) or released; a release restores CONNECTED only if the hold was the reason.
func (m *Manager) EventsHeld(ctx context.Context, name resname.Connection, held bool, message string) error {
	if held {
		return m.SetStatus(ctx, name, StatusDegraded, heldPrefix+message)
	}
	c, err := m.Get(ctx, name)
	if err != nil {
		return err
	}
	if c.Status == StatusDegraded && strings.HasPrefix(c.StatusReason, heldPrefix) {
		return m.SetStatus(ctx, name, StatusConnected, "")
	}
	return nil
}
