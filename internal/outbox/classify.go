package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/hubspot"
)

// class is what a failed HubSpot call means for the events it carried.
type class int

const (
	// classRetry: HubSpot provably did nothing (429, dial failure, 423); retry with backoff.
	classRetry class = iota
	// classUnknown: the request may have been applied (5xx, reset, timeout, lost response);
	// a create must be looked for before it is sent again.
	classUnknown
	// classHold: nothing was done and nothing will be until someone acts (daily budget, scopes,
	// token); keep the events queued and report the connection.
	classHold
	// classPermanent: HubSpot rejected the input; a retry cannot fix it.
	classPermanent
)

// classification is a class with what the worker needs to act on it.
type classification struct {
	class   class
	hold    *Health   // classHold
	retryAt time.Time // classRetry: not before (from a rate limit), zero if unknown
}

// classify interprets an error of a whole call.
func classify(err error) classification {
	if rl, ok := errors.AsType[*hubspot.RateLimitError](err); ok {
		if rl.Policy == hubspot.PolicyDaily {
			return classification{class: classHold, hold: &Health{Reason: HoldDailyLimit, RetryAt: rl.RetryAt,
				Message: "the HubSpot account's daily API budget is spent; queued activities are held and go out after it resets at " +
					rl.RetryAt.UTC().Format(time.RFC3339)}}
		}
		return classification{class: classRetry, retryAt: rl.RetryAt}
	}
	if te, ok := errors.AsType[*hubspot.TransportError](err); ok {
		if te.NotSent {
			return classification{class: classRetry}
		}
		return classification{class: classUnknown}
	}
	if apiErr, ok := errors.AsType[*hubspot.APIError](err); ok {
		return classifyAPIError(apiErr)
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// Not a TransportError: the call ended before a request was made (e.g. in the limiter's queue).
		return classification{class: classRetry}
	case errors.Is(err, hubspot.ErrInvalidRequest), errors.Is(err, hubspot.ErrBatchTooLarge):
		return classification{class: classPermanent}
	}
	return classification{class: classUnknown}
}

// classifyAPIError interprets an error HubSpot answered, for a whole call or one batch input.
func classifyAPIError(e *hubspot.APIError) classification {
	switch {
	case errors.Is(e, hubspot.ErrMissingScopes):
		msg, scope := "the HubSpot token lacks a scope needed to log activities", "the scope"
		if len(e.RequiredScopes) > 0 {
			scope = strings.Join(e.RequiredScopes, " or ")
			msg += " (" + scope + ")"
		}
		return classification{class: classHold, hold: &Health{Reason: HoldMissingScopes, RequiredScopes: e.RequiredScopes,
			Message: msg + ". " + connections.ScopeSteps(connections.KindUnknown, scope) + ", then Update Credentials; queued activities are held until then"}}
	case errors.Is(e, hubspot.ErrInvalidToken):
		return classification{class: classHold, hold: &Health{Reason: HoldInvalidToken,
			Message: "HubSpot rejects the token (revoked or expired): Update Credentials with a valid token; queued activities are held until then"}}
	case errors.Is(e, hubspot.ErrForbidden):
		return classification{class: classHold, hold: &Health{Reason: HoldForbidden,
			Message: "HubSpot denies access to activities for this token: check its Service Key, app or private app in HubSpot, then Update Credentials"}}
	case errors.Is(e, hubspot.ErrValidation), errors.Is(e, hubspot.ErrNotFound), errors.Is(e, hubspot.ErrConflict):
		return classification{class: classPermanent}
	case errors.Is(e, hubspot.ErrLocked):
		return classification{class: classRetry}
	case e.StatusCode == 0:
		// A batch input HubSpot reports as failed was not applied, whatever the category.
		return classification{class: classRetry}
	}
	return classification{class: classUnknown}
}

// reasonOf is the text kept in last_error: HubSpot's message (tokens are already scrubbed
// by the client), with the rejected properties when HubSpot named them.
func reasonOf(err error) string {
	if apiErr, ok := errors.AsType[*hubspot.APIError](err); ok && len(apiErr.Violations) > 0 {
		parts := make([]string, 0, len(apiErr.Violations))
		for _, v := range apiErr.Violations {
			parts = append(parts, fmt.Sprintf("%s: %s (%s)", v.PropertyName, v.Message, v.Code))
		}
		return "HubSpot rejected the activity: " + strings.Join(parts, "; ")
	}
	return err.Error()
}
