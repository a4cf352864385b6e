package main

import (
	"context"
	"net/http/httptest"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// benchHub is a sandbox HubSpot served on loopback with one account and an all-scopes token.
type benchHub struct {
	sb    *sandbox.Sandbox
	srv   *httptest.Server
	acct  sandbox.Account
	token sandbox.Token
}

func newBenchHub(opts sandbox.Options, tier sandbox.Tier) (*benchHub, error) {
	h := &benchHub{sb: sandbox.New(opts)}
	h.srv = httptest.NewServer(h.sb)
	var err error
	if h.acct, err = h.sb.CreateAccount(sandbox.Account{Tier: tier}); err != nil {
		h.srv.Close()
		return nil, err
	}
	if h.token, err = h.sb.CreateToken(sandbox.Token{HubID: h.acct.HubID, Scopes: sandbox.AllScopes()}); err != nil {
		h.srv.Close()
		return nil, err
	}
	return h, nil
}

func (h *benchHub) close() { h.srv.Close() }

// connectBench makes a typed client for the service at addr and connects the hub's token in
// workspace "bench".
func connectBench(ctx context.Context, addr, key string, h *benchHub, opts ...client.Option) (*client.Client, *integrationsv1.Connection, error) {
	c, err := client.New(addr, append([]client.Option{client.WithAPIKey(key), client.WithPlaintext()}, opts...)...)
	if err != nil {
		return nil, nil, err
	}
	conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/bench", DisplayName: "Bench", AccessToken: h.token.Token})
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, conn, nil
}
