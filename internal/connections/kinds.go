package connections

import (
	"fmt"
	"strings"
	"time"
)

// Credential kinds as stored: the kinds of token HubSpot issues today for one account's
// system-to-system use.
const (
	KindPrivateApp     = "PRIVATE_APP"      // a legacy private app's token
	KindServiceKey     = "SERVICE_KEY"      // a Service Key (Development › Keys › Service keys)
	KindStaticAppToken = "STATIC_APP_TOKEN" //nolint:gosec // a kind's name, not a credential: a project app's static-auth token (its Distribution tab)
	KindUnknown        = "UNKNOWN"          // stored before kinds were recorded
)

// credentialKind tells a token's kind from its shape and whether HubSpot introspected it;
// HubSpot's answers name no kind. Private-app tokens are pat-<region>-<uuid> and introspected
// (the only kind the introspection endpoint is documented for); Service Keys are reported to be
// pat-shaped, so a pat token introspection refuses is a Service Key; any other shape is a static
// app token, the one kind whose format is not even reported. A Service Key that HubSpot does
// introspect cannot be told from a private-app token and is recorded as one.
func credentialKind(token string, introspected bool) string {
	switch {
	case !strings.HasPrefix(token, "pat-"):
		return KindStaticAppToken
	case introspected:
		return KindPrivateApp
	default:
		return KindServiceKey
	}
}

// RotationAdvisedAfter is how old a token may get before TestConnection advises rotating it:
// ConnectFlo's HubSpot guide says to rotate tokens every 6 months.
const RotationAdvisedAfter = 180 * 24 * time.Hour

// rotationSteps are the steps to rotate each kind of token in HubSpot
// (https://developers.hubspot.com/docs/apps/legacy-apps/private-apps/overview "Rotate your
// access token"; https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/service-keys).
var rotationSteps = map[string]string{
	KindPrivateApp: "In HubSpot open Settings → Integrations → Private Apps → your app → Auth → Rotate " +
		"(choose \"expire later\" to keep the old token working 7 more days), then Update Credentials here with the new token",
	KindServiceKey: "In HubSpot open Development → Keys → Service keys, rotate the key (or set it to rotate on a schedule), " +
		"then Update Credentials here with the new key",
	KindStaticAppToken: "In HubSpot open your project app's Distribution tab, rotate the static auth token, " +
		"then Update Credentials here with the new token",
}

// rotationProblem is the rotation advice for a connection whose token was set more than
// RotationAdvisedAfter before now, or nil.
func rotationProblem(kind string, set, now time.Time) *Problem {
	if set.IsZero() || now.Sub(set) <= RotationAdvisedAfter {
		return nil
	}
	steps, ok := rotationSteps[kind]
	if !ok {
		steps = "Rotate the token where it was created in HubSpot — a Service Key under Development → Keys → Service keys, " +
			"a static app token on its app's Distribution tab, a legacy private app's token under Settings → Integrations → Private Apps → your app → Auth — " +
			"then Update Credentials here with the new token"
	}
	return &Problem{Code: "CREDENTIALS_ROTATION_DUE",
		Message: fmt.Sprintf("the access token was set %d days ago (%s); HubSpot tokens should be rotated every 180 days",
			int(now.Sub(set)/(24*time.Hour)), set.UTC().Format(time.DateOnly)),
		Remedy: steps}
}
