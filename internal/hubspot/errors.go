package hubspot

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Every error this package returns for a HubSpot failure
// matches exactly one of these with errors.Is (ErrDailyLimitExhausted also
// matches ErrRateLimited); use errors.As with *APIError or *RateLimitError
// for the details.
var (
	// ErrInvalidToken: 401, the token is wrong, revoked or expired.
	ErrInvalidToken = errors.New("hubspot: access token is invalid or expired")
	// ErrMissingScopes: 403 MISSING_SCOPES; APIError.RequiredScopes lists them.
	ErrMissingScopes = errors.New("hubspot: access token lacks a required scope")
	// ErrForbidden: a 403 that is not about scopes.
	ErrForbidden = errors.New("hubspot: access denied")
	// ErrNotFound: 404, or OBJECT_NOT_FOUND for one input of a batch.
	ErrNotFound = errors.New("hubspot: not found")
	// ErrConflict: 409; APIError.ExistingID holds the record that already exists.
	ErrConflict = errors.New("hubspot: conflict")
	// ErrValidation: 400; APIError.Violations lists the rejected properties.
	ErrValidation = errors.New("hubspot: request rejected as invalid")
	// ErrLocked: 423, HubSpot locked the object while it syncs; retry after ≥2 s.
	ErrLocked = errors.New("hubspot: object is locked")
	// ErrUnavailable: 5xx, 477, network failures and per-attempt timeouts.
	ErrUnavailable = errors.New("hubspot: unavailable")
	// ErrRateLimited: a 429 from HubSpot or the local limiter refusing to wait
	// past the caller's deadline; see *RateLimitError for when to retry.
	ErrRateLimited = errors.New("hubspot: rate limited")
	// ErrDailyLimitExhausted: the account's daily budget is spent until
	// RateLimitError.RetryAt (midnight in the account's time zone).
	ErrDailyLimitExhausted = errors.New("hubspot: daily request limit exhausted")
	// ErrBatchTooLarge: more than MaxBatchInputs inputs; checked before sending.
	ErrBatchTooLarge = errors.New("hubspot: too many inputs for one batch request")
	// ErrTooLarge: 413 or 414, HubSpot refused the request's body or URL as too large
	// (e.g. too many properties named in one read).
	ErrTooLarge = errors.New("hubspot: request too large")
	// ErrInvalidRequest: the call's arguments were rejected before sending.
	ErrInvalidRequest = errors.New("hubspot: invalid request")
	// ErrUnexpectedResponse: a success response whose body could not be
	// decoded (the call may have taken effect).
	ErrUnexpectedResponse = errors.New("hubspot: unexpected response body")
	// ErrNoResult: a batch response carried neither a result nor an error for an input.
	ErrNoResult = errors.New("hubspot: batch response has no result for this input")
)

// Violation is one property HubSpot rejected in a 400 response.
type Violation struct {
	PropertyName string // e.g. "foo"; empty when HubSpot did not say
	Code         string // e.g. PROPERTY_DOESNT_EXIST, INVALID_EMAIL, INVALID_INTEGER, CodeMissingRequiredProperty
	Message      string
	// Current and Requested are, for CodeLifecycleStageBackward, the stage the record holds
	// and the one the write asked for (from errors[].context currentValue/requestedValue).
	Current, Requested string
	// WhenProperty and WhenValue are, for CodeMissingConditionalRequiredProperty, the
	// condition that made the property required, when the body names it
	// (errors[].context conditionPropertyName/conditionValue).
	WhenProperty, WhenValue string
}

// Violation codes the callers of this package act on.
const (
	// CodeMissingRequiredProperty is the code for a property a create left unset although
	// HubSpot requires it: one HubSpot itself requires (its body has no errors[], the names
	// come from context.properties), or a required field of the account's "create record"
	// form under the 2026-09 write validation (an errors[] entry with this code). Unlike
	// the value codes it names a property the write did NOT set.
	CodeMissingRequiredProperty = "MISSING_REQUIRED_PROPERTY"
	// CodeMissingConditionalRequiredProperty is the 2026-09 write validation's code for a
	// property an account admin made required when another property has a given value
	// (https://developers.hubspot.com/changelog, September 2026). It too names a property
	// the write did not set.
	CodeMissingConditionalRequiredProperty = "MISSING_CONDITIONAL_REQUIRED_PROPERTY"
	// CodeLifecycleStageBackward is the code for a write that moves lifecyclestage to a
	// stage before the record's current one. HubSpot documents the rule (the stage can only
	// be set forward; clear it first to go back:
	// https://developers.hubspot.com/docs/guides/api/crm/objects/contacts) but not its
	// error body; this is the code our sandbox answers, with both stages in context.
	CodeLifecycleStageBackward = "INVALID_LIFECYCLE_STAGE_TRANSITION"
)

// DependsOnRecord reports whether the refusal depends on more than the value the input
// sent for PropertyName: on the record's current state (a backward lifecycle stage) or on
// properties the input did not set (a missing required property). Inputs sending the same
// value are then not all guilty, so a batch's culprit cannot be found by value.
func (v Violation) DependsOnRecord() bool {
	switch v.Code {
	case CodeMissingRequiredProperty, CodeMissingConditionalRequiredProperty, CodeLifecycleStageBackward:
		return true
	}
	return false
}

// LifecycleStageBackward returns the violation of err that refused moving lifecyclestage
// backward, if any: its Current and Requested name the two stages.
func LifecycleStageBackward(err error) (Violation, bool) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return Violation{}, false
	}
	for _, v := range apiErr.Violations {
		if v.Code == CodeLifecycleStageBackward {
			return v, true
		}
	}
	return Violation{}, false
}

// APIError is a HubSpot error response, or one failed input of a batch
// (then StatusCode is 0 and Category says what went wrong).
//
// Messages come from HubSpot and are scrubbed of anything shaped like an
// access token; request bodies and full URLs are never included.
type APIError struct {
	StatusCode    int
	Operation     string // method and path template, e.g. "GET /crm/objects/2026-03/{objectType}/{objectId}"
	Category      string // e.g. VALIDATION_ERROR, OBJECT_NOT_FOUND, MISSING_SCOPES
	SubCategory   string
	Message       string
	CorrelationID string
	Attempts      int // how many attempts were made before giving up

	RequiredScopes []string            // 403: any one of these would do
	ExistingID     string              // 409: id of the record that already exists
	Violations     []Violation         // 400: per-property problems
	Context        map[string][]string // HubSpot's context, e.g. {"ids":["123"]} for batch items
	ObjectID       string              // batch items: the id HubSpot attached to the error
	TraceID        string              // batch items: the objectWriteTraceId, when echoed
	RetryAfter     time.Duration       // from Retry-After (477) or the 2 s lock of a 423
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("hubspot: ")
	if e.Operation != "" {
		b.WriteString(e.Operation)
		b.WriteString(": ")
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "%d ", e.StatusCode)
	}
	if e.Category != "" {
		b.WriteString(e.Category)
		b.WriteString(" ")
	}
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString("(no message)")
	}
	if len(e.RequiredScopes) > 0 {
		fmt.Fprintf(&b, " (required scopes: %s)", strings.Join(e.RequiredScopes, ", "))
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " [correlationId %s]", e.CorrelationID)
	}
	return b.String()
}

// Is maps the error onto the package's sentinels, by HTTP status first and
// by category for batch items (which have no status of their own).
func (e *APIError) Is(target error) bool {
	return e.sentinel() == target
}

func (e *APIError) sentinel() error {
	switch s := e.StatusCode; {
	case s == 401:
		return ErrInvalidToken
	case s == 403 && (e.Category == "MISSING_SCOPES" || len(e.RequiredScopes) > 0):
		return ErrMissingScopes
	case s == 403:
		return ErrForbidden
	case s == 404:
		return ErrNotFound
	case s == 409:
		return ErrConflict
	case s == 413 || s == 414:
		return ErrTooLarge
	case s == 423:
		return ErrLocked
	case s == 429:
		return ErrRateLimited
	case s == 477 || s >= 500:
		return ErrUnavailable
	case s == 400 || s == 422:
		return ErrValidation
	}
	switch e.Category {
	case "OBJECT_NOT_FOUND":
		return ErrNotFound
	case "CONFLICT":
		return ErrConflict
	case "VALIDATION_ERROR", "PROPERTY_DOESNT_EXIST", "INVALID_EMAIL":
		return ErrValidation
	case "INVALID_AUTHENTICATION", "EXPIRED_AUTHENTICATION":
		return ErrInvalidToken
	case "MISSING_SCOPES":
		return ErrMissingScopes
	}
	return nil
}

// Policy names HubSpot's rate-limit policies, as sent in a 429's policyName.
type Policy string

const (
	PolicyTenSecondlyRolling Policy = "TEN_SECONDLY_ROLLING" // the per-app burst window
	PolicySecondly           Policy = "SECONDLY"             // search: 5 requests/s per account
	PolicyDaily              Policy = "DAILY"                // per account, resets at midnight in the account's time zone
)

// RateLimitError says a request was not sent, or was refused, because of a
// rate limit, and when it may be tried again. FromHubSpot tells a real 429
// apart from the local limiter refusing to wait past the caller's deadline.
type RateLimitError struct {
	Policy        Policy
	RetryAfter    time.Duration // how long to wait from the moment the error was made
	RetryAt       time.Time     // the same instant as a wall-clock time
	FromHubSpot   bool
	Operation     string
	Message       string
	CorrelationID string
	cause         error // the caller's context error when its deadline passed in the queue
}

// Unwrap returns context.DeadlineExceeded when the caller's deadline passed
// while it queued for a slot.
func (e *RateLimitError) Unwrap() error { return e.cause }

func (e *RateLimitError) Error() string {
	source := "local limiter"
	if e.FromHubSpot {
		source = "HubSpot"
	}
	msg := fmt.Sprintf("hubspot: %s rate limited by %s (policy %s), retry after %s",
		e.Operation, source, e.Policy, e.RetryAfter.Round(time.Millisecond))
	if e.Operation == "" {
		msg = fmt.Sprintf("hubspot: rate limited by %s (policy %s), retry after %s",
			source, e.Policy, e.RetryAfter.Round(time.Millisecond))
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.CorrelationID != "" {
		msg += " [correlationId " + e.CorrelationID + "]"
	}
	return msg
}

// Is matches ErrRateLimited always and ErrDailyLimitExhausted for the daily policy.
func (e *RateLimitError) Is(target error) bool {
	return target == ErrRateLimited || (target == ErrDailyLimitExhausted && e.Policy == PolicyDaily)
}

// TransportError is a failure to get any HTTP response: connection refused or
// reset, DNS, TLS, or the per-attempt timeout. It matches ErrUnavailable,
// except when the caller's own context ended (then it matches the context's
// error instead, so callers can tell "HubSpot is down" from "I gave up").
type TransportError struct {
	Operation string
	Attempts  int
	// NotSent is true when the request provably never left this process
	// (dial failures), which makes even a create safe to retry.
	NotSent    bool
	msg        string // scrubbed description of err
	err        error
	callerDone bool
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("hubspot: %s: %s", e.Operation, e.msg)
}

// Unwrap exposes the cause (for net.Error, context errors and the like).
func (e *TransportError) Unwrap() error { return e.err }

// Is matches ErrUnavailable unless the caller's context was what ended the call.
func (e *TransportError) Is(target error) bool {
	return target == ErrUnavailable && !e.callerDone
}
