// Package connections is the lifecycle of HubSpot connections: checking a private-app token
// with HubSpot, sealing it at rest, rotating and deleting it, diagnosing a connection, and
// opening a connection's stored token into a HubSpot client. It keeps no per-connection state
// in memory (a connection's live state has one owner, package handles); what it shares across
// connections is the rate limiter of each HubSpot app. It never returns, logs or stores a
// token in the clear.
package connections

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
)

// The shapes of the tokens HubSpot issues for one account's system-to-system use. Legacy
// private-app tokens are pat-<region>-<uuid>
// (https://developers.hubspot.com/docs/apps/legacy-apps/private-apps/overview), and Service Keys
// are reported to share that shape; the format of a project app's static token is not
// documented, so any other value is accepted as an opaque bearer token of RFC 6750's token
// characters (https://www.rfc-editor.org/rfc/rfc6750#section-2.1), long enough to be a credential.
// A value that starts with pat- must be a whole pat token: that catches a truncated copy before
// HubSpot is asked.
var (
	patPattern    = regexp.MustCompile(`^pat-[a-z]{2,4}[0-9]{0,3}-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	opaquePattern = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9._~+/-]{%d,1000}=*$`, minOpaqueTokenLength))
)

// minOpaqueTokenLength is the shortest value taken as a static app token.
const minOpaqueTokenLength = 32

// TokenShapeRule says in words what validTokenShape accepts, and where to copy a token from.
var TokenShapeRule = fmt.Sprintf("a Service Key or a legacy private app's token looks like pat-na1-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, "+
	"a static app token is one unbroken string of at least %d letters, digits and -._~+/. Copy the whole value from HubSpot "+
	"(Development → Keys → Service keys; your app's Distribution tab; or Settings → Integrations → Private Apps → your app → Auth)", minOpaqueTokenLength)

// validTokenShape is the one token-shape rule of the service.
func validTokenShape(raw string) bool {
	if strings.HasPrefix(raw, "pat-") {
		return patPattern.MatchString(raw)
	}
	return opaquePattern.MatchString(raw)
}

// Store is the persistence the manager needs.
type Store interface {
	CreateConnection(ctx context.Context, c *store.Connection, requestID string, maxPerWorkspace int) error
	CountConnections(ctx context.Context, workspace string) (int, error)
	ConnectionByTokenFingerprint(ctx context.Context, workspace string, fingerprints []string) (store.Connection, error)
	SetTokenFingerprint(ctx context.Context, workspace, id string, ciphertext []byte, fingerprint string) error
	GetConnection(ctx context.Context, workspace, id string) (store.Connection, error)
	ListConnections(ctx context.Context, workspace string, afterSeq int64, limit int) ([]store.Connection, error)
	RequestResource(ctx context.Context, workspace, method, requestID string) (string, error)
	UpdateCredentials(ctx context.Context, workspace, id string, cr store.Credentials) error
	SetConnectionStatus(ctx context.Context, workspace, id, status, reason string, now time.Time) error
	DeleteConnection(ctx context.Context, workspace, id, requestID string) error
	DisplayNameTaken(ctx context.Context, workspace, displayName string) (bool, error)
}

// Config is how the manager reaches HubSpot.
type Config struct {
	BaseURL    string             // HubSpot's API, or the sandbox
	APIVersion hubspot.APIVersion // the family of HubSpot paths every client calls; "" for hubspot.DefaultAPIVersion
	HTTPClient *http.Client       // nil for the default
	Timeout    time.Duration      // per HubSpot attempt; 0 for the client's default
	Logger     *slog.Logger
	// MaxPerWorkspace is how many connections a workspace may have (0: DefaultMaxPerWorkspace).
	MaxPerWorkspace int
	// Observer, when set, returns the hook that sees every HTTP attempt of the client of the
	// connection with the given uid (package usage counts them). The checks Connect makes
	// before storing a connection are made under the uid it will be stored with.
	Observer func(connectionUID string) func(hubspot.CallInfo)
	// Budget, when set, is the HubSpot budget shared with the other replicas on the same
	// database (package budget): each app's limiter claims its slots there. Nil keeps every
	// budget in this process, right for one process.
	Budget SharedBudget
}

// SharedBudget hands out the shared window of a budget key (budget.Postgres).
type SharedBudget interface {
	Window(key string) hubspot.SharedWindow
}

// Manager runs the connection lifecycle. It is safe for concurrent use.
type Manager struct {
	store Store
	ring  *secrets.KeyRing
	cfg   Config
	now   func() time.Time

	mu       sync.Mutex
	limiters map[int64]*hubspot.Limiter // HubSpot app id → its shared 10-second budget

	reads connectionReads // Get's reads of connection rows
}

// New returns a Manager.
func New(st Store, ring *secrets.KeyRing, cfg Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{store: st, ring: ring, cfg: cfg, now: time.Now, limiters: map[int64]*hubspot.Limiter{}}
}

// parseToken checks the token's shape before anything is sent to HubSpot.
func parseToken(raw string) (hubspot.Token, error) {
	raw = strings.TrimSpace(raw)
	if !validTokenShape(raw) {
		return hubspot.Token{}, ErrTokenFormat
	}
	return hubspot.ParseToken(raw)
}

// limiterFor returns the limiter shared by every connection of one HubSpot app: the
// 10-second budget is HubSpot's per app, so two connections with tokens of the same app must
// not each assume a full budget. A token whose app is unknown (appID 0: introspection refused
// it) shares the limiter of every such token of its account, which may under-use but never
// over-spend an app's budget.
func (m *Manager) limiterFor(appID, hubID int64) *hubspot.Limiter {
	key := appID
	if appID == 0 {
		key = -hubID
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.limiters[key]
	if !ok {
		var cfg hubspot.LimiterConfig
		if m.cfg.Budget != nil {
			cfg.Shared = m.cfg.Budget.Window(budgetKey(appID, hubID))
		}
		l = hubspot.NewLimiter(cfg)
		m.limiters[key] = l
	}
	return l
}

// budgetKey names a limiter's budget in the shared ledger: HubSpot's 10-second window is the
// app's, across the accounts it is installed in; an app not known yet is counted per account.
func budgetKey(appID, hubID int64) string {
	if appID == 0 {
		return fmt.Sprintf("hub:%d", hubID)
	}
	return fmt.Sprintf("app:%d", appID)
}

// newClient returns a client calling HubSpot with tok for the connection uid.
func (m *Manager) newClient(tok hubspot.Token, limiter *hubspot.Limiter, uid string) (*hubspot.Client, error) {
	var onCall func(hubspot.CallInfo)
	if m.cfg.Observer != nil {
		onCall = m.cfg.Observer(uid)
	}
	return hubspot.NewClient(hubspot.Options{BaseURL: m.cfg.BaseURL, APIVersion: m.cfg.APIVersion, Token: tok, HTTPClient: m.cfg.HTTPClient,
		Limiter: limiter, Logger: m.cfg.Logger, Timeout: m.cfg.Timeout, OnCall: onCall})
}

// probe is what HubSpot says about a token.
type probe struct {
	hubID int64
	appID int64 // 0 when introspection refused the token: HubSpot names the app nowhere else
	// introspected: access-token-info answered, and hub id, app id and scopes are its facts;
	// otherwise the hub id is account-info's and the scopes were probed.
	introspected bool
	info         *hubspot.TokenInfo // nil unless introspected
	probed       *probedScopes      // nil when introspected
	account      *hubspot.AccountDetails
	latency      time.Duration
	limits       hubspot.LimiterStats
}

// probeToken identifies the token's account and learns its scopes with as few requests as
// HubSpot allows: introspection and one account-info call when introspection answers (it is
// documented for private-app tokens only); otherwise account-info for the account and one call
// per scope (see probeScopes).
//
// c makes the calls sent before the token's app (or account) is known. When then is set, the
// calls after it go through the client then returns for what was learnt: a client on the
// app's shared limiter (limiterFor), so that a Connect spends from the budget its app's other
// connections, and on PostgreSQL the other replicas, already share, waiting for it like any
// other call. Only the first call can come before: the introspection, or account-info when
// introspection refuses the token (it alone names the account then). Whether HubSpot counts
// introspection against the app's window is not documented; the sandbox does not count it.
func (m *Manager) probeToken(ctx context.Context, c *hubspot.Client, then func(appID, hubID int64) (*hubspot.Client, error)) (*probe, error) {
	p := &probe{}
	info, err := c.IntrospectToken(ctx)
	switch {
	case err == nil:
		if p.hubID, err = info.HubID.Int64(); err != nil {
			return nil, err
		}
		if p.appID, err = info.AppID.Int64(); err != nil {
			return nil, err
		}
		p.introspected, p.info = true, info
		if then != nil {
			if c, err = then(p.appID, p.hubID); err != nil {
				return nil, err
			}
		}
	case errors.Is(err, hubspot.ErrInvalidToken):
		// Refused: either the token is bad or introspection does not know its kind;
		// account-info tells which.
	default:
		return nil, classify(err)
	}
	start := time.Now()
	account, err := c.AccountDetails(ctx)
	if err != nil {
		return nil, classify(err)
	}
	p.latency = time.Since(start)
	p.account = account
	if !p.introspected {
		if p.hubID, err = account.PortalID.Int64(); err != nil {
			return nil, err
		}
		if then != nil {
			if c, err = then(0, p.hubID); err != nil {
				return nil, err
			}
			c.Limiter().SetDailyResetLocation(account.Location())
		}
		if p.probed, err = probeScopes(ctx, c); err != nil {
			return nil, err
		}
	}
	p.limits = c.Limiter().Stats()
	return p, nil
}

// scopeReport evaluates the token's scopes. Probed scopes that no call can prove without side
// effects count as present for the evaluation, so that they neither refuse a Connect nor
// disable a capability, but Granted lists only what HubSpot confirmed.
func (p *probe) scopeReport() ScopeReport {
	if p.introspected {
		return EvaluateScopes(p.info.Scopes)
	}
	r := EvaluateScopes(append(slices.Clone(p.probed.granted), p.probed.unverified...))
	r.Granted = slices.Sorted(slices.Values(p.probed.granted))
	r.Unverified = slices.Clone(p.probed.unverified)
	return r
}

// classify turns HubSpot's invalid-token answers into ErrTokenInvalid and keeps the rest.
func classify(err error) error {
	if errors.Is(err, hubspot.ErrInvalidToken) {
		return fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	}
	return err
}

// newConnectionID makes a readable, unique id from the display name: "Production HubSpot"
// becomes "production-hubspot-3f9a1c".
func newConnectionID(displayName string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(displayName) {
		switch {
		case (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			if b.Len() == 0 && r >= '0' && r <= '9' {
				b.WriteString("c")
			}
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "hubspot"
	}
	suffix := make([]byte, 3)
	rand.Read(suffix)
	id := slug + "-" + hex.EncodeToString(suffix)
	if !resname.ValidID(id) {
		return "hubspot-" + hex.EncodeToString(suffix)
	}
	return id
}

// HubSpot's API limits by tier, and its API limit increase: an account may buy up to two,
// and with any every app gets 250 requests per 10 s (the same for one or two) while each adds
// 1,000,000 requests a day to the tier's
// (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines).
const (
	maxLimitIncreases   = 2
	limitIncreaseWindow = 250
	limitIncreaseDaily  = 1_000_000
)

// Each tier's daily budget and per-app budget per 10 s; a daily budget names one tier.
var (
	tierByDaily = map[int64]string{250_000: "FREE_OR_STARTER", 625_000: "PROFESSIONAL", 1_000_000: "ENTERPRISE"}
	tierWindow  = map[string]int{"FREE_OR_STARTER": 100, "PROFESSIONAL": 190, "ENTERPRISE": 190}
)

// AccountLimits infers the subscription tier and the number of API limit increases the
// account bought from the limits HubSpot reported; HubSpot's API states neither. Under an
// increase the window (250) hides the tier, which the daily budget less 1,000,000 per
// increase still tells, and only one count fits each budget (Free or Starter 1,250,000 or
// 2,250,000; Professional 1,625,000 or 2,625,000; Enterprise 2,000,000 or 3,000,000). tier is
// "" when the limits match no tier (e.g. custom limits, or the daily budget unknown under an
// increase); increases is 0 when there is none or its count cannot be told.
func AccountLimits(s hubspot.LimiterStats) (tier string, increases int) {
	if s.Standard.Budget == limitIncreaseWindow {
		for n := 1; n <= maxLimitIncreases; n++ {
			if t, ok := tierByDaily[s.DailyLimit-int64(n)*limitIncreaseDaily]; ok {
				return t, n
			}
		}
		return "", 0
	}
	if s.Standard.Budget == tierWindow["FREE_OR_STARTER"] && s.DailyLimit == 0 {
		return "FREE_OR_STARTER", 0 // HubSpot sends the daily limit to private apps only
	}
	if t, ok := tierByDaily[s.DailyLimit]; ok && tierWindow[t] == s.Standard.Budget {
		return t, 0
	}
	return "", 0
}
