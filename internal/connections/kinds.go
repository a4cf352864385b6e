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

// scopeSteps are the steps to give each kind of token a scope in HubSpot, %s the scope
// (https://developers.hubspot.com/docs/apps/legacy-apps/private-apps/overview "Edit your
// app's scopes"; https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/service-keys;
// https://developers.hubspot.com/docs/apps/developer-platform/build-apps/app-configuration
// for a project app's scopes).
var scopeSteps = map[string]string{
	KindPrivateApp: "In HubSpot open Settings → Integrations → Private Apps → your app → Scopes, add %s and commit the changes",
	KindServiceKey: "In HubSpot open Development → Keys → Service keys → your key, add %s to its scopes and save",
	KindStaticAppToken: "Add %s to the scopes in your project app's configuration, upload the project, " +
		"then reinstall the app in this HubSpot account (its Distribution tab)",
}

// ScopeSteps tells a customer admin how to give a token of the kind (a Kind… constant) the
// scope (one, or several joined by "and"/"or"), without what to do here afterwards; for a kind
// not known (KindUnknown, "") it gives each kind's way.
func ScopeSteps(kind, scope string) string {
	if steps, ok := scopeSteps[kind]; ok {
		return fmt.Sprintf(steps, scope)
	}
	return "In HubSpot add " + scope + " to the token's scopes (a Service Key under Development → Keys → Service keys → your key; " +
		"a static-auth app in its project's configuration, then upload the project and reinstall the app; " +
		"a legacy private app under Settings → Integrations → Private Apps → your app → Scopes)"
}

// ScopeRemedy is ScopeSteps followed by what to do here afterwards.
func ScopeRemedy(kind, scope string) string {
	return ScopeSteps(kind, scope) + ", then run Test Connection here (or Update Credentials if HubSpot shows a new token)"
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
