package client

import (
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is an API error taken apart: what went wrong (Code, Reason, Message), the values
// involved (Metadata), what to fix (FieldViolations, PreconditionViolations) and when to retry
// (RetryDelay, QuotaViolations).
type Error struct {
	Code                   codes.Code
	Message                string
	Reason                 string            // ErrorInfo reason, one of the Reason constants (ReasonHubSpotMissingScopes); empty if none
	Domain                 string            // ErrorInfo domain, "integrations.connectflo.com"
	Metadata               map[string]string // ErrorInfo metadata: the dynamic values of the error
	FieldViolations        []FieldViolation
	PreconditionViolations []PreconditionViolation
	QuotaViolations        []QuotaViolation
	RetryDelay             time.Duration // from RetryInfo; zero if the server gave none
}

// FieldViolation is one bad request field.
type FieldViolation struct {
	Field       string // e.g. "properties.annualrevenue"
	Description string // what is wrong and what is allowed
}

// PreconditionViolation is one unmet precondition, such as a missing HubSpot scope.
type PreconditionViolation struct {
	Type        string // e.g. "HUBSPOT_SCOPE"
	Subject     string // e.g. "crm.schemas.deals.read"
	Description string // what it is for and how to fix it
}

// QuotaViolation is one exhausted quota, such as HubSpot's rolling 10-second budget.
type QuotaViolation struct {
	Subject     string
	Description string
}

// ErrorDetails takes apart an error returned by a Client call. It returns nil for nil, and an
// Error with Code Unknown for errors that did not come from gRPC.
func ErrorDetails(err error) *Error {
	if err == nil {
		return nil
	}
	st := status.Convert(err)
	e := &Error{Code: st.Code(), Message: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Domain, e.Metadata = d.GetReason(), d.GetDomain(), d.GetMetadata()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		case *errdetails.PreconditionFailure:
			for _, v := range d.GetViolations() {
				e.PreconditionViolations = append(e.PreconditionViolations, PreconditionViolation{Type: v.GetType(), Subject: v.GetSubject(), Description: v.GetDescription()})
			}
		case *errdetails.QuotaFailure:
			for _, v := range d.GetViolations() {
				e.QuotaViolations = append(e.QuotaViolations, QuotaViolation{Subject: v.GetSubject(), Description: v.GetDescription()})
			}
		case *errdetails.RetryInfo:
			e.RetryDelay = d.GetRetryDelay().AsDuration()
		}
	}
	return e
}

// Error returns the server's message.
func (e *Error) Error() string { return e.Code.String() + ": " + e.Message }

// Reason returns the ErrorInfo reason of err ("" if none).
func Reason(err error) string {
	if e := ErrorDetails(err); e != nil {
		return e.Reason
	}
	return ""
}

// Retryable says whether err is transient and how long to wait before trying again: true for
// UNAVAILABLE, ABORTED and RESOURCE_EXHAUSTED with a RetryInfo (HubSpot rate limits). A wait of
// zero means "soon, with backoff". Resending a mutation is only safe when it carries a
// request_id (the server then answers a repeat with the first call's answer instead of acting
// again); the Client does that by itself for UNAVAILABLE.
func Retryable(err error) (bool, time.Duration) {
	e := ErrorDetails(err)
	if e == nil {
		return false, 0
	}
	switch e.Code {
	case codes.Unavailable, codes.Aborted:
		return true, e.RetryDelay
	case codes.ResourceExhausted:
		return e.RetryDelay > 0, e.RetryDelay
	}
	return false, 0
}

// retryDelay is the RetryInfo delay of err, if any.
func retryDelay(err error) (time.Duration, bool) {
	e := ErrorDetails(err)
	return e.RetryDelay, e.RetryDelay > 0
}
