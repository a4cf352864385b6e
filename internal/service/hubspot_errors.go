package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// Reasons of errors that come from HubSpot or the connection lifecycle.
var (
	reasonTokenInvalid     = rpcerr.ReasonHubSpotTokenInvalid
	reasonMissingScopes    = rpcerr.ReasonHubSpotMissingScopes
	reasonAccountMismatch  = rpcerr.ReasonHubSpotAccountMismatch
	reasonHubSpotDown      = rpcerr.ReasonHubSpotUnavailable
	reasonRateLimited      = rpcerr.ReasonHubSpotRateLimited
	reasonDailyLimit       = rpcerr.ReasonHubSpotDailyLimit
	reasonNameTaken        = rpcerr.ReasonConnectionNameTaken
	reasonTokenUnreadable  = rpcerr.ReasonTokenUnreadable
	reasonHubSpotNotFound  = rpcerr.ReasonHubSpotObjectNotFound
	reasonHubSpotRejected  = rpcerr.ReasonHubSpotRejected
	reasonHubSpotForbidden = rpcerr.ReasonHubSpotForbidden
	reasonHubSpotInvalid   = rpcerr.ReasonHubSpotRequestInvalid
)

// tokenFormatViolation is the description of an access token of the wrong shape; the rule is
// the connections package's.
var tokenFormatViolation = "is not a HubSpot access token: " + connections.TokenShapeRule

// mapLifecycleError maps the errors of the connection lifecycle and of HubSpot calls to
// statuses with details; it returns nil for errors it does not know. name is the connection
// concerned, for messages.
func mapLifecycleError(err error, name string) error {
	var missing *connections.MissingScopesError
	var mismatch *connections.AccountMismatchError
	var reused *connections.RequestIDReusedError
	switch {
	case errors.As(err, &reused):
		// The store's record of a delete, for a retry whose kept answer is gone (see
		// DeleteConnection): the same refusal as internal/idempotency's.
		return rpcerr.Invalid(rpcerr.ReasonRequestIDReused, "", map[string]string{"differs": "name"}, rpcerr.Violation{Field: "request_id",
			Description: "was already used to delete " + reused.Resource + ": a retry repeats its first call exactly; use a new request_id for another delete"})
	case errors.Is(err, connections.ErrTokenFormat):
		return rpcerr.InvalidArgument(rpcerr.Violation{Field: "access_token", Description: tokenFormatViolation})
	case errors.Is(err, connections.ErrTokenInvalid):
		return rpcerr.New(codes.FailedPrecondition, reasonTokenInvalid,
			"HubSpot does not accept this access token. Copy the whole token again from HubSpot (a Service Key: Development → Keys → Service keys; "+
				"a static app token: your app's Distribution tab; a legacy private app: Settings → Integrations → Private Apps → your app → Auth); "+
				"check that the key, app or token was not deleted or rotated in HubSpot; check that the HubSpot account is active", nil)
	case errors.As(err, &missing):
		pf := &errdetails.PreconditionFailure{}
		var names []string
		for _, s := range missing.Missing {
			names = append(names, s.Name)
			pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{
				Type: "HUBSPOT_SCOPE", Subject: s.Name, Description: "needed to " + s.Purpose + ". " + connections.ScopeRemedy(missing.Kind, s.Name)})
		}
		return rpcerr.New(codes.FailedPrecondition, reasonMissingScopes,
			fmt.Sprintf("the token lacks required scope(s) %s. %s, and connect again",
				strings.Join(names, ", "), connections.ScopeSteps(missing.Kind, strings.Join(names, " and "))),
			map[string]string{"missing_scopes": strings.Join(names, " ")}, pf)
	case errors.As(err, &mismatch):
		return rpcerr.New(codes.FailedPrecondition, reasonAccountMismatch,
			fmt.Sprintf("the new token belongs to HubSpot account %d, but this connection is for account %d: use a token of account %d, or create a new connection for the other account",
				mismatch.Got, mismatch.Want, mismatch.Want),
			map[string]string{"connection_hub_id": fmt.Sprint(mismatch.Want), "token_hub_id": fmt.Sprint(mismatch.Got)})
	case errors.Is(err, connections.ErrConnectionLimit), errors.Is(err, connections.ErrTokenInUse):
		return workspaceLimitError(err)
	case errors.Is(err, connections.ErrDisplayNameTaken):
		return rpcerr.New(codes.AlreadyExists, reasonNameTaken,
			"the workspace already has a connection with this display name: choose another name, or rotate that connection's token with UpdateCredentials", nil)
	case errors.Is(err, connections.ErrIDTaken):
		return rpcerr.New(codes.AlreadyExists, rpcerr.ReasonConnectionIDTaken,
			"the workspace already has a connection with this connection_id: choose another id, or leave it empty to have one generated", nil)
	case errors.Is(err, connections.ErrNotFound):
		return rpcerr.NotFound("connection", name)
	case errors.Is(err, connections.ErrTokenUnreadable):
		return rpcerr.New(codes.FailedPrecondition, reasonTokenUnreadable, err.Error(), map[string]string{"connection": name})
	}
	return mapHubSpotError(err)
}

// mapHubSpotError maps errors of HubSpot calls (missing scopes → FAILED_PRECONDITION
// with the scope, not found → NOT_FOUND, rate limits → RESOURCE_EXHAUSTED with QuotaFailure and
// RetryInfo, HubSpot down → UNAVAILABLE). It returns nil for errors it does not know.
func mapHubSpotError(err error) error {
	var apiErr *hubspot.APIError
	var rl *hubspot.RateLimitError
	switch {
	case errors.As(err, &rl) || errors.Is(err, hubspot.ErrDailyLimitExhausted):
		var after time.Duration
		policy := "TEN_SECONDLY_ROLLING"
		if rl != nil {
			after, policy = rl.RetryAfter, string(rl.Policy)
		}
		reason := reasonRateLimited
		msg := fmt.Sprintf("HubSpot's API limit (%s) is reached for this HubSpot app in this account (every connection and call using the app shares it); retry after %s", policy, after.Round(time.Millisecond))
		if policy == string(hubspot.PolicyDaily) || errors.Is(err, hubspot.ErrDailyLimitExhausted) {
			reason = reasonDailyLimit
			msg = fmt.Sprintf("the HubSpot account's daily API limit is spent; calls resume in %s, at midnight in the account's time zone", after.Round(time.Second))
		}
		return rpcerr.New(codes.ResourceExhausted, reason, msg, map[string]string{"policy": policy, "retry_after": after.String()},
			&errdetails.QuotaFailure{Violations: []*errdetails.QuotaFailure_Violation{{Subject: "hubspot:" + policy, Description: msg}}},
			rpcerr.RetryInfo(after))
	case errors.Is(err, hubspot.ErrMissingScopes) && errors.As(err, &apiErr):
		pf := &errdetails.PreconditionFailure{}
		for _, s := range apiErr.RequiredScopes {
			pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{Type: "HUBSPOT_SCOPE", Subject: s, Description: connections.ScopeRemedy(connections.KindUnknown, s)})
		}
		return rpcerr.New(codes.FailedPrecondition, reasonMissingScopes,
			fmt.Sprintf("HubSpot refused the call: the token lacks %s. %s", strings.Join(apiErr.RequiredScopes, " or "), connections.ScopeRemedy(connections.KindUnknown, strings.Join(apiErr.RequiredScopes, " or "))),
			map[string]string{"missing_scopes": strings.Join(apiErr.RequiredScopes, " ")}, pf)
	case errors.Is(err, hubspot.ErrInvalidToken):
		return mapLifecycleError(connections.ErrTokenInvalid, "")
	case errors.Is(err, hubspot.ErrNotFound):
		return rpcerr.New(codes.NotFound, reasonHubSpotNotFound, "HubSpot has no such record (it may have been deleted or merged)", nil)
	case errors.Is(err, hubspot.ErrUnavailable) || errors.Is(err, hubspot.ErrLocked):
		return rpcerr.New(codes.Unavailable, reasonHubSpotDown, "HubSpot did not answer in time or is failing: retry shortly (the call is safe to retry with the same request_id)", nil)
	case errors.Is(err, context.DeadlineExceeded):
		return rpcerr.New(codes.DeadlineExceeded, rpcerr.ReasonDeadline, "the call's deadline passed before HubSpot answered; give it a longer deadline or retry", nil)
	case errors.Is(err, hubspot.ErrForbidden):
		return rpcerr.New(codes.PermissionDenied, reasonHubSpotForbidden, "HubSpot refused the call for this account: "+safeMessage(err), nil)
	case errors.Is(err, hubspot.ErrRedirected):
		return redirectedError(err)
	case errors.Is(err, hubspot.ErrValidation) || errors.Is(err, hubspot.ErrConflict):
		return rpcerr.New(codes.FailedPrecondition, reasonHubSpotRejected, "HubSpot rejected the request: "+safeMessage(err), nil)
	case errors.Is(err, hubspot.ErrTooLarge):
		return rpcerr.New(codes.InvalidArgument, rpcerr.ReasonRequestTooLarge,
			"HubSpot refused the request as too large: "+safeMessage(err)+"; ask for fewer properties or records per call", nil)
	case errors.Is(err, hubspot.ErrInvalidRequest) || errors.Is(err, hubspot.ErrBatchTooLarge):
		// Checked by the client before sending: what the caller asked for cannot be put to HubSpot.
		return rpcerr.New(codes.InvalidArgument, reasonHubSpotInvalid,
			"the request cannot be sent to HubSpot: "+safeMessage(err)+"; check the values against the API description", nil)
	}
	return nil
}

// safeMessage is a HubSpot error's own text; the client never puts tokens in errors.
func safeMessage(err error) string { return err.Error() }

func isHubSpotNotFound(err error) bool { return errors.Is(err, hubspot.ErrNotFound) }
