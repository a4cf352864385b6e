package hubspot

import (
	"context"
	"encoding/json"
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
	var info TokenInfo
	r := c.request(opIntrospectToken)
	r.body = introspectionBody{token: c.token}
	_, err := c.send(ctx, r, &info)
	if err != nil {
		return nil, err
	}
	return &info, nil
}
