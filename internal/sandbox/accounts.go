package sandbox

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Tier is a HubSpot subscription tier; it sets the default rate limits
// (https://developers.hubspot.com/docs/api/usage-details).
type Tier string

// The tiers HubSpot's usage guidelines distinguish.
const (
	TierFree         Tier = "FREE"
	TierStarter      Tier = "STARTER"
	TierProfessional Tier = "PROFESSIONAL"
	TierEnterprise   Tier = "ENTERPRISE"
)

// Account describes a HubSpot portal.
type Account struct {
	HubID    int64  `json:"hubId"`
	Tier     Tier   `json:"tier"`
	TimeZone string `json:"timeZone"` // IANA name; the daily budget resets at its midnight
	Currency string `json:"companyCurrency"`
}

// TokenKind is the kind of credential a customer creates in HubSpot.
type TokenKind string

// The credentials HubSpot issues today for one account's system-to-system use
// (https://developers.hubspot.com/docs/apps/legacy-apps/private-apps/overview,
// https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/service-keys,
// https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/overview).
const (
	// KindPrivateApp is a legacy private app's token, pat-<region>-<uuid>.
	KindPrivateApp TokenKind = "PRIVATE_APP"
	// KindServiceKey is a Service Key. HubSpot does not document its format; it is reported
	// to be pat-<region>-<uuid> like a private app's, which is what the sandbox issues.
	KindServiceKey TokenKind = "SERVICE_KEY"
	// KindStaticAppToken is the token of a project app with static auth, shown on the app's
	// Distribution tab. HubSpot does not document its format; the sandbox issues
	// CN<region>-<base64url of 32 random bytes>, shaped like HubSpot's other opaque tokens.
	KindStaticAppToken TokenKind = "STATIC_APP_TOKEN"
)

// Token is an access token and what it grants.
type Token struct {
	Token string    `json:"token"`
	Kind  TokenKind `json:"kind"` // "" is KindPrivateApp
	HubID int64     `json:"hubId"`
	AppID int64     `json:"appId"` // the ten-second window is per app
	// Introspect says whether POST /oauth/v2/private-apps/get/access-token-info answers
	// for a Service Key or static token; HubSpot documents the endpoint for private apps
	// only, so both answers must be handled. Private-app tokens are always introspected.
	Introspect bool     `json:"introspect"`
	UserID     int64    `json:"userId"`
	Scopes     []string `json:"scopes"`
	Revoked    bool     `json:"revoked"`
}

// introspectable reports whether access-token-info answers for the token.
func (t Token) introspectable() bool { return t.Kind == KindPrivateApp || t.Introspect }

// ErrNotFound is returned by the Go admin methods for an unknown account, token or fault.
var ErrNotFound = errors.New("sandbox: not found")

type account struct {
	info    Account
	loc     *time.Location
	schema  map[string]*propertySet       // by object type name
	records map[string]map[string]*record // by object type name, then id
	nextID  int64
	emails  map[string]string // lower-cased contact email → contact id
	links   *associationStore
	// pipelines by object type name (deals only); fixed at creation.
	pipelines map[string][]Pipeline
	// owners in creation order, archived ones included; nextOwnerID feeds CreateOwner.
	owners      []Owner
	nextOwnerID int64
	// writeRules are the admin's write-validation rules, in the order added.
	writeRules []WriteRule
	// changes logs every change of a contact, company or deal (events.go).
	changes *changeLog
	// searchLag is how long a write to one of its records takes to reach search (0: at once).
	searchLag time.Duration
	// searchPending lists, in write order, the writes of the last searchLag or so: the
	// records whose unindexed states catchUpSearch will drop.
	searchPending []pendingWrite
}

type token struct {
	Token
}

// CreateAccount adds a portal with the default property schema (including the sample
// custom properties), two deal pipelines, the sample owners and no records. A zero HubID picks the next free one; an empty
// tier is Free and an empty time zone is America/New_York.
func (s *Sandbox) CreateAccount(spec Account) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if spec.Tier == "" {
		spec.Tier = TierFree
	}
	switch spec.Tier {
	case TierFree, TierStarter, TierProfessional, TierEnterprise:
	default:
		return Account{}, fmt.Errorf("sandbox: unknown tier %q", spec.Tier)
	}
	if spec.TimeZone == "" {
		spec.TimeZone = "America/New_York"
	}
	if spec.Currency == "" {
		spec.Currency = "USD"
	}
	loc, err := time.LoadLocation(spec.TimeZone)
	if err != nil {
		return Account{}, fmt.Errorf("sandbox: time zone: %w", err)
	}
	if spec.HubID == 0 {
		s.nextHubID++
		spec.HubID = s.nextHubID
	}
	if _, dup := s.accounts[spec.HubID]; dup {
		return Account{}, fmt.Errorf("sandbox: account %d already exists", spec.HubID)
	}
	ts := isoMillis(s.now())
	owners := sampleOwners(ts)
	a := &account{info: spec, loc: loc, schema: defaultSchema(s.now()),
		records: map[string]map[string]*record{}, nextID: 100, emails: map[string]string{},
		links: newAssociationStore(), pipelines: map[string][]Pipeline{"deals": dealPipelines(ts)},
		owners: owners, nextOwnerID: firstSampleOwnerID + int64(len(owners)) - 1, searchLag: s.searchLag,
		changes: newChangeLog(s, spec.HubID)}
	a.links.onChange = a.changes.associationHook()
	for _, ot := range objectTypes {
		a.records[ot.name] = map[string]*record{}
	}
	s.accounts[spec.HubID] = a
	return spec, nil
}

// CreateToken registers a token of any kind on an existing account. An empty Token is
// generated in the kind's shape (pat-na1-<uuid>, or CNna1-<base64url> for a static token);
// an empty Kind is a private app; a zero AppID gives the token an app of its own (share an
// AppID to make two tokens share one ten-second window).
func (s *Sandbox) CreateToken(spec Token) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[spec.HubID]; !ok {
		return Token{}, fmt.Errorf("sandbox: account %d: %w", spec.HubID, ErrNotFound)
	}
	switch spec.Kind {
	case "":
		spec.Kind = KindPrivateApp
	case KindPrivateApp, KindServiceKey, KindStaticAppToken:
	default:
		return Token{}, fmt.Errorf("sandbox: unknown token kind %q", spec.Kind)
	}
	if spec.Token == "" {
		if spec.Kind == KindStaticAppToken {
			spec.Token = "CNna1-" + s.staticTokenLocked()
		} else {
			spec.Token = "pat-na1-" + s.uuidLocked()
		}
	}
	if _, dup := s.tokens[spec.Token]; dup {
		return Token{}, fmt.Errorf("sandbox: token already registered")
	}
	if spec.AppID == 0 {
		s.nextAppID++
		spec.AppID = s.nextAppID
	}
	if spec.UserID == 0 {
		s.nextUser++
		spec.UserID = s.nextUser
	}
	spec.Scopes = slices.Clone(spec.Scopes)
	spec.Revoked = false
	s.tokens[spec.Token] = &token{Token: spec}
	return spec, nil
}

// RevokeToken makes a token answer 401 from now on, as deleting or rotating a private
// app's token does.
func (s *Sandbox) RevokeToken(tok string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	if !ok {
		return ErrNotFound
	}
	t.Revoked = true
	return nil
}

// SetTokenScopes changes a token's scopes in place, as editing a private app's scopes in
// HubSpot does: the token stays the same and its new scopes apply from the next request.
func (s *Sandbox) SetTokenScopes(tok string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	if !ok {
		return ErrNotFound
	}
	t.Scopes = append([]string(nil), scopes...)
	return nil
}

// Accounts lists the accounts, ordered by hub id.
func (s *Sandbox) Accounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, a.info)
	}
	slices.SortFunc(out, func(a, b Account) int { return int(a.HubID - b.HubID) })
	return out
}

// Tokens lists the tokens of one account (revoked ones included).
func (s *Sandbox) Tokens(hubID int64) []Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Token
	for _, t := range s.tokens {
		if t.HubID == hubID {
			tt := t.Token
			tt.Scopes = slices.Clone(tt.Scopes)
			out = append(out, tt)
		}
	}
	slices.SortFunc(out, func(a, b Token) int { return strings.Compare(a.Token, b.Token) })
	return out
}

func (s *Sandbox) accountLocked(hubID int64) (*account, error) {
	a, ok := s.accounts[hubID]
	if !ok {
		return nil, fmt.Errorf("sandbox: account %d: %w", hubID, ErrNotFound)
	}
	return a, nil
}

// AllScopes are the scopes the sandbox knows: everything its endpoints can require.
func AllScopes() []string {
	return []string{
		"crm.objects.contacts.read", "crm.objects.contacts.write",
		"crm.objects.companies.read", "crm.objects.companies.write",
		"crm.objects.deals.read", "crm.objects.deals.write",
		"crm.objects.owners.read",
		"crm.schemas.contacts.read", "crm.schemas.contacts.write",
		"crm.schemas.companies.read", "crm.schemas.companies.write",
		"crm.schemas.deals.read", "crm.schemas.deals.write",
		// Not checked by any emulated endpoint, but part of ConnectFlo's required and
		// recommended sets, so a demo token must carry them like a real one would.
		"crm.schemas.appointments.read", "timeline", "sales-email-read",
	}
}

// ScopesWithout returns AllScopes minus every scope that mentions one of the given
// object types, e.g. ScopesWithout("deals") for "a token lacking the deal scopes".
func ScopesWithout(objectTypes ...string) []string {
	var out []string
	for _, sc := range AllScopes() {
		drop := false
		for _, ot := range objectTypes {
			if strings.Contains(sc, "."+ot+".") {
				drop = true
			}
		}
		if !drop {
			out = append(out, sc)
		}
	}
	return out
}
