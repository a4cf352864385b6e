package hubspot

import (
	"context"
	"encoding/json"
	"time"
)

// TokenInfo is what HubSpot says about a private-app token.
type TokenInfo struct {
	UserID ID       `json:"userId"`
	HubID  ID       `json:"hubId"` // the portal (account) id
	AppID  ID       `json:"appId"`
	Scopes []string `json:"scopes"`
}

// HasScope reports whether scope was granted.
func (t *TokenInfo) HasScope(scope string) bool {
	for _, s := range t.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// introspectionBody is the one place the token goes into a body. It is
// built by hand at send time and is never kept on an error or logged.
type introspectionBody struct {
	token Token
}

func (b introspectionBody) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"tokenKey": b.token.reveal()})
}

// IntrospectToken asks HubSpot who the client's token belongs to and which
// scopes it has. It needs no scope. The Authorization header is sent as well
// because EU-hosted tokens reportedly require it.
//
// Idempotent (a read), so it is retried on transient failures.
func (c *Client) IntrospectToken(ctx context.Context) (*TokenInfo, error) {
	const template = "/oauth/v2/private-apps/get/access-token-info"
	var info TokenInfo
	_, err := c.send(ctx, request{
		endpoint: endpoint{method: "POST", template: template, idempotent: true},
		path:     template,
		body:     introspectionBody{token: c.token},
	}, &info)
	if err != nil {
		return nil, err
	}
	return &info, nil
}

// AccountDetails is GET /account-info/v3/details.
type AccountDetails struct {
	PortalID              ID       `json:"portalId"`
	AccountType           string   `json:"accountType"` // e.g. STANDARD, SANDBOX, DEVELOPER_TEST
	TimeZone              string   `json:"timeZone"`    // IANA name, e.g. US/Eastern
	CompanyCurrency       string   `json:"companyCurrency"`
	AdditionalCurrencies  []string `json:"additionalCurrencies"`
	UTCOffset             string   `json:"utcOffset"`
	UTCOffsetMilliseconds int64    `json:"utcOffsetMilliseconds"`
	UIDomain              string   `json:"uiDomain"`
	DataHostingLocation   string   `json:"dataHostingLocation"` // e.g. na1, eu1
}

// Location returns the account's time zone, falling back to its fixed UTC
// offset when the zone name is unknown to this machine.
func (a *AccountDetails) Location() *time.Location {
	if a.TimeZone != "" {
		if loc, err := time.LoadLocation(a.TimeZone); err == nil {
			return loc
		}
	}
	if a.UTCOffset != "" || a.UTCOffsetMilliseconds != 0 {
		return time.FixedZone(a.UTCOffset, int(a.UTCOffsetMilliseconds/1000))
	}
	return time.UTC
}

// AccountDetails reads the account's settings. As a side effect the
// client's limiter learns the account's time zone, which decides when the
// daily budget resets. This is the service's "one cheap API call" check.
func (c *Client) AccountDetails(ctx context.Context) (*AccountDetails, error) {
	const template = "/account-info/v3/details"
	var details AccountDetails
	_, err := c.send(ctx, request{
		endpoint: endpoint{method: "GET", template: template, idempotent: true},
		path:     template,
	}, &details)
	if err != nil {
		return nil, err
	}
	c.limiter.SetDailyResetLocation(details.Location())
	return &details, nil
}
