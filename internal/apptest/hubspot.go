package apptest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/connectflo/integrations/internal/sandbox"
)

// HubSpotOptions is the HubSpot a test gets.
type HubSpotOptions struct {
	Sandbox sandbox.Options                 // limits, clock, seed
	Tier    sandbox.Tier                    // the account's; TierProfessional when empty
	Wrap    func(http.Handler) http.Handler // wraps the sandbox as served (to watch or disturb its requests); nil serves it as is
}

// HubSpot is a HubSpot sandbox served on loopback with one account, until the end of the test.
type HubSpot struct {
	Sandbox *sandbox.Sandbox
	Account sandbox.Account
	URL     string           // base URL, for --hubspot-base-url
	Server  *httptest.Server // what serves it
}

// StartHubSpot serves a new sandbox with one account on loopback until the test ends.
func StartHubSpot(t testing.TB, opts HubSpotOptions) *HubSpot {
	t.Helper()
	h := &HubSpot{Sandbox: sandbox.New(opts.Sandbox)}
	var handler http.Handler = h.Sandbox
	if opts.Wrap != nil {
		handler = opts.Wrap(handler)
	}
	srv := httptest.NewServer(handler) // loopback, port 0
	t.Cleanup(srv.Close)
	h.URL, h.Server = srv.URL, srv
	if opts.Tier == "" {
		opts.Tier = sandbox.TierProfessional
	}
	var err error
	if h.Account, err = h.Sandbox.CreateAccount(sandbox.Account{Tier: opts.Tier}); err != nil {
		t.Fatalf("sandbox account: %v", err)
	}
	return h
}

// NewToken registers a private-app token of the account with these scopes.
func (h *HubSpot) NewToken(t testing.TB, scopes []string) string {
	t.Helper()
	tok, err := h.Sandbox.CreateToken(sandbox.Token{HubID: h.Account.HubID, Scopes: scopes})
	if err != nil {
		t.Fatalf("sandbox token: %v", err)
	}
	return tok.Token
}
