package hubspot

import (
	"context"
	"time"
)

// AccountDetails is the account's settings (GET /account-info/2026-03/details).
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
	var details AccountDetails
	_, err := c.send(ctx, c.request(opAccountDetails), &details)
	if err != nil {
		return nil, err
	}
	c.limiter.SetDailyResetLocation(details.Location())
	return &details, nil
}
