package connections

import (
	"context"
	"errors"
	"slices"

	"github.com/connectflo/integrations/internal/hubspot"
)

// Learning what a token may do without introspection.
//
// HubSpot documents POST /oauth/v2/private-apps/get/access-token-info for legacy private-app
// tokens only; whether it answers for a Service Key or a project app's static token is not
// documented (https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/service-keys).
// When it refuses a token that account-info accepts, the token is valid and the account is
// identified by account-info's portalId. Its scopes are then learnt by trying, for each scope
// ConnectFlo relies on, the cheapest call that needs it: a 403 MISSING_SCOPES means the scope is
// missing (HubSpot's error names the scopes it wants,
// https://developers.hubspot.com/docs/api/error-handling), any other answer from past the scope
// check (a 404 for record 0, which no portal has) means it is granted. Nothing is written: the
// write probes update record 0, which does not exist.

// scopeProbe is the one request that tells whether a token holds scope.
type scopeProbe struct {
	scope string
	call  func(ctx context.Context, c *hubspot.Client) error
}

// absentRecord is an id no HubSpot portal gives a record: ids start at 1.
const absentRecord = "0"

func readProbe(objectType string) func(context.Context, *hubspot.Client) error {
	return func(ctx context.Context, c *hubspot.Client) error {
		_, err := c.GetObject(ctx, objectType, absentRecord, hubspot.GetObjectOptions{})
		return err
	}
}

func writeProbe(objectType string) func(context.Context, *hubspot.Client) error {
	return func(ctx context.Context, c *hubspot.Client) error {
		_, err := c.UpdateObject(ctx, objectType, absentRecord, map[string]string{"hs_object_id": ""}, hubspot.UpdateObjectOptions{})
		return err
	}
}

func schemaProbe(objectType string) func(context.Context, *hubspot.Client) error {
	return func(ctx context.Context, c *hubspot.Client) error {
		_, err := c.GetProperty(ctx, objectType, "hs_object_id")
		return err
	}
}

// scopeProbes are tried in this order, one request each. A schema read scope is probed by
// reading a property definition, which HubSpot also allows with the object's read scope: it
// stands for what ConnectFlo needs the scope for, discovering the object's fields, and is
// skipped (counted as granted) when the object read scope was already proven.
var scopeProbes = []scopeProbe{
	{"crm.objects.contacts.read", readProbe("contacts")},
	{"crm.objects.contacts.write", writeProbe("contacts")},
	{"crm.objects.companies.read", readProbe("companies")},
	{"crm.objects.companies.write", writeProbe("companies")},
	{"crm.objects.deals.read", readProbe("deals")},
	{"crm.objects.deals.write", writeProbe("deals")},
	{"crm.schemas.contacts.read", schemaProbe("contacts")},
	{"crm.schemas.companies.read", schemaProbe("companies")},
	{"crm.schemas.deals.read", schemaProbe("deals")},
	{"crm.objects.owners.read", func(ctx context.Context, c *hubspot.Client) error {
		_, err := c.ListOwners(ctx, hubspot.ListOwnersOptions{FirstPage: true})
		return err
	}},
}

// impliedBy maps a schema read scope to the object read scope whose proof makes its probe
// unnecessary.
var impliedBy = map[string]string{
	"crm.schemas.contacts.read":  "crm.objects.contacts.read",
	"crm.schemas.companies.read": "crm.objects.companies.read",
	"crm.schemas.deals.read":     "crm.objects.deals.read",
}

// probedScopes is what probing learnt.
type probedScopes struct {
	granted    []string // proven by a call that passed the scope check
	missing    []string // refused with MISSING_SCOPES
	unverified []string // ConnectFlo relies on them but no call proves them without side effects
	requests   int
}

// probeScopes learns the token's scopes call by call. A 401 is ErrTokenInvalid; any answer
// that is neither a scope refusal nor a pass (HubSpot unavailable, rate limited) ends the
// probing with that error.
func probeScopes(ctx context.Context, c *hubspot.Client) (*probedScopes, error) {
	p := &probedScopes{}
	for _, sp := range scopeProbes {
		if obj, ok := impliedBy[sp.scope]; ok && slices.Contains(p.granted, obj) {
			p.granted = append(p.granted, sp.scope)
			continue
		}
		p.requests++
		err := sp.call(ctx, c)
		switch {
		case err == nil, errors.Is(err, hubspot.ErrNotFound), errors.Is(err, hubspot.ErrValidation):
			p.granted = append(p.granted, sp.scope)
		case errors.Is(err, hubspot.ErrMissingScopes):
			p.missing = append(p.missing, sp.scope)
		default:
			return nil, classify(err)
		}
	}
	probed := make(map[string]bool, len(scopeProbes))
	for _, sp := range scopeProbes {
		probed[sp.scope] = true
	}
	for _, s := range append(slices.Clone(requiredScopes), recommendedScopes...) {
		if !probed[s.Name] {
			p.unverified = append(p.unverified, s.Name)
		}
	}
	slices.Sort(p.unverified)
	return p, nil
}
