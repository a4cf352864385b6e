package connections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
)

// Problem is one finding of a diagnosis with what to do about it.
type Problem struct {
	Code    string
	Message string
	Remedy  string
}

// Diagnosis is TestConnection's answer: not a yes/no, but what works, what does not, and why.
type Diagnosis struct {
	Connection store.Connection // with its status updated by the test
	Reachable  bool
	TokenValid bool
	Latency    time.Duration
	Scopes     ScopeReport
	// Introspected says where the token's facts come from: true, HubSpot's token introspection
	// (hub id, app id, scopes); false, account-info (hub id, time zone) and one call per scope
	// (Scopes.Granted proven, Scopes.Unverified assumed).
	Introspected bool
	// IntrospectedFacts and ProbedFacts name the facts each way gave ("hub_id", "app_id",
	// "time_zone", "scopes"), for the customer to see how sure the diagnosis is.
	IntrospectedFacts []string
	ProbedFacts       []string
	Limits            hubspot.LimiterStats
	LimitsKnown       bool
	Problems          []Problem
	TestTime          time.Time
}

// Remedies of the guide's troubleshooting list for a token HubSpot rejects.
const tokenInvalidRemedy = "Copy the whole access token again from HubSpot: a Service Key from Development → Keys → Service keys, " +
	"a static app token from your app's Distribution tab, a legacy private app's token from Settings → Integrations → Private Apps → your app → Auth; " +
	"check the key, app or token was not deleted or rotated in HubSpot; check the HubSpot account is active; then Update Credentials here"

// Test diagnoses a connection with live HubSpot calls and records its status.
func (m *Manager) Test(ctx context.Context, name resname.Connection) (*Diagnosis, error) {
	c, err := m.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	d := &Diagnosis{TestTime: m.now().UTC()}
	client, err := m.OpenClient(ctx, c)
	switch {
	case errors.Is(err, ErrTokenUnreadable):
		d.Reachable = true // not tried; the problem is ours
		d.Problems = append(d.Problems, Problem{Code: "TOKEN_UNREADABLE", Message: err.Error(),
			Remedy: fmt.Sprintf("Restore encryption key %q (INTEGRATIONS_ENCRYPTION_KEYS or the key file), or Update Credentials with the token from HubSpot", c.TokenKeyID)})
		return m.finish(ctx, name, d)
	case err != nil:
		return nil, err
	}

	p, err := m.probeToken(ctx, client, nil) // the stored app's limiter already
	switch {
	case errors.Is(err, ErrTokenInvalid):
		d.Reachable = true
		d.Problems = append(d.Problems, Problem{Code: "HUBSPOT_TOKEN_INVALID",
			Message: "HubSpot does not accept this connection's access token (token ending " + c.TokenHint + ")", Remedy: tokenInvalidRemedy})
		return m.finish(ctx, name, d)
	case errors.Is(err, hubspot.ErrRateLimited) || errors.Is(err, hubspot.ErrDailyLimitExhausted):
		d.Reachable, d.TokenValid = true, true
		d.Limits, d.LimitsKnown = client.Limiter().Stats(), true
		d.Problems = append(d.Problems, Problem{Code: "HUBSPOT_RATE_LIMITED", Message: "HubSpot's API limit for this app or account is spent: " + err.Error(),
			Remedy: "Wait for the limit to reset (the daily limit resets at midnight in the HubSpot account's time zone), or raise it with HubSpot's API limit increase"})
		return m.finish(ctx, name, d)
	case err != nil:
		d.Problems = append(d.Problems, Problem{Code: "HUBSPOT_UNAVAILABLE", Message: "HubSpot did not answer: " + err.Error(),
			Remedy: "Retry in a few minutes and check HubSpot's status page; if it persists, check this server's network access to HubSpot"})
		return m.finish(ctx, name, d)
	}
	d.Reachable, d.TokenValid, d.Latency, d.Introspected = true, true, p.latency, p.introspected
	if p.introspected {
		d.IntrospectedFacts = []string{"hub_id", "app_id", "scopes"}
	} else {
		d.ProbedFacts = []string{"hub_id", "time_zone", "scopes"}
	}
	d.Scopes = p.scopeReport()
	d.Limits, d.LimitsKnown = client.Limiter().Stats(), true
	for _, s := range d.Scopes.MissingRequired {
		d.Problems = append(d.Problems, Problem{Code: "HUBSPOT_MISSING_SCOPES",
			Message: fmt.Sprintf("the token lacks the required scope %s (needed to %s)", s.Name, s.Purpose), Remedy: ScopeRemedy(c.CredentialKind, s.Name)})
	}
	for _, s := range d.Scopes.MissingRecommended {
		d.Problems = append(d.Problems, Problem{Code: "HUBSPOT_MISSING_RECOMMENDED_SCOPE",
			Message: fmt.Sprintf("the token lacks the recommended scope %s (used to %s)", s.Name, s.Purpose), Remedy: ScopeRemedy(c.CredentialKind, s.Name)})
	}
	for _, cs := range d.Scopes.Capabilities {
		if !cs.Available {
			d.Problems = append(d.Problems, Problem{Code: "CAPABILITY_UNAVAILABLE",
				Message: fmt.Sprintf("%s is unavailable: the token lacks %s", cs.Description, strings.Join(cs.MissingScopes, ", ")),
				Remedy:  ScopeRemedy(c.CredentialKind, strings.Join(cs.MissingScopes, " and "))})
		}
	}
	if rp := rotationProblem(c.CredentialKind, c.CredentialsUpdateTime, d.TestTime); rp != nil {
		d.Problems = append(d.Problems, *rp)
	}
	if d.Limits.DailyRemaining == 0 {
		d.Problems = append(d.Problems, Problem{Code: "HUBSPOT_DAILY_LIMIT_REACHED",
			Message: "the HubSpot account has used its daily API limit; calls resume at " + d.Limits.DailyResetAt.Format(time.RFC3339),
			Remedy:  "Wait for the reset, or reduce other integrations' use of this HubSpot account"})
	}
	return m.finish(ctx, name, d)
}

// finish derives the status from the problems, records it, and returns the diagnosis.
func (m *Manager) finish(ctx context.Context, name resname.Connection, d *Diagnosis) (*Diagnosis, error) {
	status, reason := StatusConnected, ""
	for _, p := range d.Problems {
		severe := p.Code == "HUBSPOT_TOKEN_INVALID" || p.Code == "TOKEN_UNREADABLE" || p.Code == "HUBSPOT_UNAVAILABLE" || p.Code == "HUBSPOT_MISSING_SCOPES"
		switch {
		case severe && status != StatusError:
			status, reason = StatusError, p.Message+". "+p.Remedy
		case !severe && status == StatusConnected:
			status, reason = StatusDegraded, p.Message+". "+p.Remedy
		}
	}
	if err := m.store.SetConnectionStatus(ctx, name.Workspace, name.ID, status, reason, d.TestTime); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	c, err := m.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	d.Connection = c
	return d, nil
}
