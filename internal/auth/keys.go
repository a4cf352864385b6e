// Package auth authenticates callers by API key and tells handlers which workspaces a caller
// may act in.
//
// A key looks like cfk_<id>_<secret>: the id is a public lookup handle and the secret 256
// random bits. Only SHA-256(key) is stored (the secret's entropy makes a slow hash pointless);
// the presented key's hash is compared with the stored one in constant time.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"

	"github.com/connectflo/integrations/internal/truncate"
)

const keyPrefix = "cfk_"

// Errors of Authenticate.
var (
	// ErrNoKey means the call carried no API key.
	ErrNoKey = errors.New("auth: no API key")
	// ErrInvalidKey means the key is malformed or unknown.
	ErrInvalidKey = errors.New("auth: invalid API key")
	// ErrRevokedKey means the whole key matched a key that was revoked.
	ErrRevokedKey = errors.New("auth: revoked API key")
)

// KeyStore is the part of the store that auth needs.
type KeyStore interface {
	CreateAPIKey(ctx context.Context, k store.APIKey) error
	APIKeyByID(ctx context.Context, id string) (store.APIKey, error)
}

var lowerBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// CreateKey makes a new API key for workspace (an id, or store.AllWorkspaces), stores its hash
// and returns the key. The key cannot be recovered later.
func CreateKey(ctx context.Context, ks KeyStore, workspace string, now time.Time) (string, error) {
	if workspace != store.AllWorkspaces && !resname.ValidID(workspace) {
		return "", fmt.Errorf("workspace %q is not a valid id: use lowercase letters, digits and hyphens, starting with a letter (or %q for every workspace)", workspace, store.AllWorkspaces)
	}
	idBytes := make([]byte, 10)
	secret := make([]byte, 32)
	if _, err := rand.Read(idBytes); err != nil {
		return "", err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	id := strings.ToLower(lowerBase32.EncodeToString(idBytes))
	key := keyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(key))
	if err := ks.CreateAPIKey(ctx, store.APIKey{ID: id, Hash: sum[:], Workspace: workspace, CreateTime: now}); err != nil {
		return "", err
	}
	return key, nil
}

// idOf returns the id part of a whole key (cfk_<id>_<secret>), or false when key does not
// have that shape.
func idOf(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, keyPrefix)
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok || id == "" || len(id) > 32 {
		return "", false
	}
	return id, true
}

// IDOf returns the id of a key CreateKey made, which "apikey list" shows and the audit log
// records; "" for anything else.
func IDOf(key string) string {
	id, _ := idOf(key)
	return id
}

// ErrSecretGiven means a command was given a whole API key where it takes the key's id.
var ErrSecretGiven = errors.New("auth: a whole API key was given where its id is wanted")

// KeyID checks a key id given to a command that names a key (from "apikey list"). A whole key
// (cfk_<id>_<secret>) is refused with ErrSecretGiven: a secret on a command line is kept in
// shell history and shown to every user by ps. The error names the key's id, which is public,
// so the operator can run the command again with it; it never repeats the secret.
func KeyID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, keyPrefix) {
		if id, ok := idOf(s); ok && validKeyID(id) {
			return "", fmt.Errorf("%w: pass the key id %s, not the whole key; a key on a command line is kept in shell history "+
				"and shown by ps, so treat this one as exposed: revoke it by id and replace it", ErrSecretGiven, id)
		}
		return "", fmt.Errorf("%w: pass the key id that \"apikey list\" shows (the part after cfk_ and before the next _)", ErrSecretGiven)
	}
	if !validKeyID(s) {
		return "", fmt.Errorf("%q is not a key id: ids are lowercase letters and digits 2-7, as \"apikey list\" shows them", redactKey(s))
	}
	return s, nil
}

// validKeyID reports whether s has the shape of the ids CreateKey makes.
func validKeyID(s string) bool {
	return s != "" && len(s) <= 32 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz234567") == ""
}

// redactKey keeps what is safe to echo of something that may be a whole key or a mangled one.
func redactKey(s string) string {
	if len(s) > 40 {
		return truncate.Text(s, 12+len(truncate.Ellipsis))
	}
	return s
}

// Principal is an authenticated caller.
type Principal struct {
	KeyID     string // the key's public id, safe to log
	Workspace string // a workspace id, or store.AllWorkspaces
}

// CanAccess reports whether the caller may act in workspace.
func (p Principal) CanAccess(workspace string) bool {
	return p.Workspace == store.AllWorkspaces || p.Workspace == workspace
}

// verifiedTTL is how long a verified key is trusted without asking the store again: every RPC
// is authenticated, and a SQLite read per call is measurable at thousands of calls per second.
// It is also how long a running server may go on accepting a key after "apikey revoke", which
// runs as another process: docs/configuration.md says so (apikey revoke).
const verifiedTTL = 30 * time.Second

// VerifiedTTL is how long a running server may accept a key after it was revoked.
const VerifiedTTL = verifiedTTL

// Authenticator checks API keys against the store.
type Authenticator struct {
	lookups  *keyLookups
	now      func() time.Time
	verified sync.Map // [sha256.Size]byte → verifiedKey; only keys that passed are kept
}

type verifiedKey struct {
	principal Principal
	until     time.Time
}

// NewAuthenticator returns an Authenticator over keys.
func NewAuthenticator(keys KeyStore) *Authenticator {
	return &Authenticator{lookups: newKeyLookups(keys), now: time.Now}
}

// Authenticate checks an authorization header value ("Bearer <key>").
func (a *Authenticator) Authenticate(ctx context.Context, authorization string) (Principal, error) {
	if strings.TrimSpace(authorization) == "" {
		return Principal{}, ErrNoKey
	}
	scheme, key, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Principal{}, ErrInvalidKey
	}
	key = strings.TrimSpace(key)
	id, ok := idOf(key)
	if !ok {
		return Principal{}, ErrInvalidKey
	}
	sum := sha256.Sum256([]byte(key))
	if v, ok := a.verified.Load(sum); ok && a.now().Before(v.(verifiedKey).until) {
		return v.(verifiedKey).principal, nil
	}
	stored, err := a.lookups.byID(ctx, id, a.now())
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrInvalidKey
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: look up key %s: %w", id, err)
	}
	if subtle.ConstantTimeCompare(sum[:], stored.Hash) != 1 {
		return Principal{}, ErrInvalidKey
	}
	if stored.Revoked() {
		// Only a caller holding the whole key learns that it was revoked.
		return Principal{}, ErrRevokedKey
	}
	p := Principal{KeyID: stored.ID, Workspace: stored.Workspace}
	a.verified.Store(sum, verifiedKey{principal: p, until: a.now().Add(verifiedTTL)})
	return p, nil
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller set by the interceptor.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
