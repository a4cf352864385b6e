package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// call is one authenticated API request in flight. Handlers run with s.mu held (read
// handlers with its read lock).
type call struct {
	s             *Sandbox
	r             *http.Request
	acct          *account
	tok           *token
	correlationID string
	now           time.Time
	limitHeaders  http.Header // the rate-limit headers of its admission
}

// budget says which rate limits a route counts against.
type budget int

const (
	budgetStandard budget = iota // ten-second window per app + daily per account
	budgetSearch                 // five per second per account + daily, no headers
)

// api wraps a HubSpot endpoint: authenticate, count against the limits, then run the
// handler. Scope checks are the handler's first step because they depend on the object
// type in the path.
func (s *Sandbox) api(kind budget, h func(*call) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		correlationID := correlationIDFrom(r.Context())
		s.mu.Lock()
		c, rep, admitted := s.admitAPILocked(r, kind, correlationID)
		if admitted {
			c.acct.changes.by = writer{appID: c.tok.AppID} // the call's changes are the app's
			rep = c.withLimitHeaders(h(c))
			c.acct.changes.by = writer{}
		}
		s.mu.Unlock()
		rep.write(w, correlationID)
	}
}

// apiRead is api for an endpoint whose handler changes nothing: admission, which counts
// against the limits, takes the lock; the handler, and the encoding of its answer, run
// under the read lock, alongside other reads.
func (s *Sandbox) apiRead(kind budget, h func(*call) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		correlationID := correlationIDFrom(r.Context())
		s.mu.Lock()
		c, rep, admitted := s.admitAPILocked(r, kind, correlationID)
		s.mu.Unlock()
		if admitted {
			s.mu.RLock()
			rep = c.withLimitHeaders(h(c))
			s.mu.RUnlock()
		}
		rep.write(w, correlationID)
	}
}

// admitAPILocked authenticates a request and counts it against the limits. When it is
// refused, the reply says why.
func (s *Sandbox) admitAPILocked(r *http.Request, kind budget, correlationID string) (*call, reply, bool) {
	tok := s.authenticateLocked(r)
	if tok == nil {
		return nil, unauthenticated(correlationID), false
	}
	acct := s.accounts[tok.HubID]
	now := s.now()
	c := &call{s: s, r: r, acct: acct, tok: tok, correlationID: correlationID, now: now}
	headers, limited := s.admitLocked(c, kind)
	if limited != nil {
		limited.header = headers
		return nil, *limited, false
	}
	c.limitHeaders = headers
	return c, reply{}, true
}

// withLimitHeaders adds the rate-limit headers of the admission to the handler's reply.
func (c *call) withLimitHeaders(rep reply) reply {
	if rep.header == nil {
		rep.header = http.Header{}
	}
	for k, v := range c.limitHeaders {
		rep.header[k] = v
	}
	return rep
}

// authenticateLocked returns the live token of a request's Bearer header, or nil.
func (s *Sandbox) authenticateLocked(r *http.Request) *token {
	auth := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return nil
	}
	t, ok := s.tokens[strings.TrimSpace(raw)]
	if !ok || t.Revoked {
		return nil
	}
	if _, ok := s.accounts[t.HubID]; !ok {
		return nil
	}
	return t
}

// requireAny returns a 403 unless the token holds at least one of the scopes.
func (c *call) requireAny(scopes []string) (reply, bool) {
	for _, sc := range scopes {
		if slices.Contains(c.tok.Scopes, sc) {
			return reply{}, true
		}
	}
	return c.missingScopes(scopes), false
}

type access int

const (
	accessRead access = iota
	accessWrite
)

// objectType resolves the path's object type and checks the token's scopes for it.
func (c *call) objectType(pathKey string, mode access) (*objectType, reply, bool) {
	ot, ok := lookupObjectType(c.r.PathValue(pathKey))
	if !ok {
		return nil, c.badRequest("Unable to infer object type from: %s", c.r.PathValue(pathKey)), false
	}
	scopes := ot.readScopes()
	if mode == accessWrite {
		scopes = ot.writeScopes()
	}
	if rep, ok := c.requireAny(scopes); !ok {
		return nil, rep, false
	}
	return ot, reply{}, true
}

// tokenInfo answers POST /oauth/v2/private-apps/get/access-token-info. No scope (and
// no Authorization header) is needed. HubSpot's answer for an unknown token is not
// documented; the sandbox answers 401 INVALID_AUTHENTICATION, the body HubSpot uses for
// any bad credential, so clients treat it like a rejected token. A Service Key or static
// token whose Introspect option is off gets the same answer as an unknown token.
func (s *Sandbox) tokenInfo(w http.ResponseWriter, r *http.Request) {
	correlationID := correlationIDFrom(r.Context())
	var body struct {
		TokenKey string `json:"tokenKey"`
	}
	if err := decodeJSON(r, &body); err != nil || body.TokenKey == "" {
		rep := jsonReply(http.StatusBadRequest, apiError{Status: "error", Message: "tokenKey is required",
			CorrelationID: correlationID, Category: categoryValidation})
		rep.write(w, correlationID)
		return
	}
	s.mu.Lock()
	t, ok := s.tokens[body.TokenKey]
	var rep reply
	if !ok || t.Revoked || !t.introspectable() {
		rep = unauthenticated(correlationID)
	} else {
		rep = jsonReply(http.StatusOK, map[string]any{"userId": t.UserID, "hubId": t.HubID,
			"appId": t.AppID, "scopes": slices.Clone(t.Scopes)})
	}
	s.mu.Unlock()
	rep.write(w, correlationID)
}

// accountDetails answers GET /account-info/v3/details; any valid token may call it.
func accountDetails(c *call) reply {
	a := c.acct.info
	_, offset := c.now.In(c.acct.loc).Zone()
	sign, off := "+", offset
	if off < 0 {
		sign, off = "-", -off
	}
	return jsonReply(http.StatusOK, map[string]any{
		"portalId":              a.HubID,
		"accountType":           "STANDARD",
		"timeZone":              a.TimeZone,
		"companyCurrency":       a.Currency,
		"additionalCurrencies":  []string{},
		"utcOffset":             fmt.Sprintf("%s%02d:%02d", sign, off/3600, off%3600/60),
		"utcOffsetMilliseconds": offset * 1000,
		"uiDomain":              "app.hubspot.com",
		"dataHostingLocation":   "na1",
	})
}
