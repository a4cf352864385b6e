package app

import (
	"log/slog"
	"net/url"

	"github.com/connectflo/integrations/internal/hubspot"
)

// warnPlainHubSpotURL logs one warning at start when HubSpot calls (each carrying a tenant's
// access token) would cross the network unencrypted. Loopback is fine: the demo sandbox and
// tests live there.
func warnPlainHubSpotURL(logger *slog.Logger, baseURL string) {
	if !hubspot.PlainHTTPBeyondLoopback(baseURL) {
		return
	}
	host := ""
	if u, err := url.Parse(baseURL); err == nil {
		host = u.Host
	}
	logger.Warn("the HubSpot base URL is plain http:// to another machine: access tokens and CRM data cross the network in clear text; use https://",
		"hubspot_host", host)
}
