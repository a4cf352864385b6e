// Package rpcerr builds the API's errors: a canonical gRPC status with a google.rpc.ErrorInfo
// (UPPER_SNAKE reason, our domain, every dynamic value in metadata) and, where it fits,
// BadRequest, PreconditionFailure, QuotaFailure and RetryInfo details. It is the one place
// where the service turns Go errors into what callers see.
package rpcerr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/connectflo/integrations/internal/resname"

	"github.com/connectflo/integrations/internal/truncate"
)

// Domain is the ErrorInfo domain of every error this service returns.
const Domain = "integrations.connectflo.com"

// New returns a status error with an ErrorInfo and any extra details. Text that echoes a
// caller's input may hold bytes that are not UTF-8, which protobuf cannot encode (the details
// would be lost, and the status itself fail to send): message and metadata are made valid
// UTF-8 first.
func New(code codes.Code, reason, message string, metadata map[string]string, details ...protoadapt.MessageV1) error {
	if metadata != nil {
		valid := make(map[string]string, len(metadata))
		for k, v := range metadata {
			valid[validText(k)] = validText(v)
		}
		metadata = valid
	}
	st := status.New(code, validText(message))
	all := append([]protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason, Domain: Domain, Metadata: metadata}}, details...)
	withDetails, err := st.WithDetails(all...)
	if err != nil {
		return st.Err() // details are well-formed messages; this cannot happen in practice
	}
	return withDetails.Err()
}

// validText is s with every byte that is not UTF-8 replaced by U+FFFD.
func validText(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// Violation is one bad request field.
type Violation struct {
	Field       string // the request field path, e.g. "properties.annualrevenue"
	Description string // what is wrong and what is allowed
}

// InvalidArgument returns INVALID_ARGUMENT (reason INVALID_ARGUMENT) listing the violations;
// see Invalid.
func InvalidArgument(violations ...Violation) error {
	return Invalid(ReasonInvalidArgument, "", nil, violations...)
}

// Invalid returns INVALID_ARGUMENT with reason, the metadata md, and a BadRequest listing the
// violations. The message is lead (if any) followed by the violations, so that a caller
// reading only the message still learns what to fix. Metadata "field" names the first
// violation's field.
//
// Whatever the request held, the answer stays small: at most MaxViolations are listed (in the
// BadRequest and in the message), each field path and description is cut to a bounded length,
// and when some were left out the message says how many and the metadata holds
// "violations" (the total) and "violations_omitted".
func Invalid(reason, lead string, md map[string]string, violations ...Violation) error {
	listed := violations[:min(len(violations), MaxViolations)]
	omitted := len(violations) - len(listed)
	out := make(map[string]string, len(md)+3)
	for k, v := range md {
		out[k] = v
	}
	br := &errdetails.BadRequest{}
	var msg strings.Builder
	msg.WriteString(lead)
	for i, v := range listed {
		field, desc := truncate.Text(validText(v.Field), maxFieldPath), truncate.Text(validText(v.Description), maxDescription)
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: field, Description: desc})
		switch {
		case i > 0:
			msg.WriteString("; ")
		case lead != "":
			msg.WriteString(": ")
		}
		msg.WriteString(field + ": " + desc)
		if i == 0 {
			out["field"] = field
		}
	}
	if omitted > 0 {
		fmt.Fprintf(&msg, "; and %d more violations (%d in all; the first %d are listed: fix them and send again to see the rest)",
			omitted, len(violations), len(listed))
		out["violations"] = strconv.Itoa(len(violations))
		out["violations_omitted"] = strconv.Itoa(omitted)
	}
	if msg.Len() == 0 {
		msg.WriteString("invalid request")
	}
	return New(codes.InvalidArgument, reason, msg.String(), out, br)
}

// FromFieldError turns a resname.FieldError (or any error wrapping one) into INVALID_ARGUMENT.
// Other errors are returned unchanged.
func FromFieldError(err error) error {
	var fe *resname.FieldError
	if errors.As(err, &fe) {
		return InvalidArgument(Violation{Field: fe.Field, Description: fe.Description})
	}
	return err
}

// PermissionDenied answers a call on a workspace the API key may not act in.
func PermissionDenied(workspace string) error {
	return New(codes.PermissionDenied, ReasonPermissionDenied,
		fmt.Sprintf("this API key may not act in workspace %q; use a key created for that workspace (go run ./server apikey create --workspace %s)", workspace, workspace),
		map[string]string{"workspace": workspace})
}

// NotFound answers a call on a resource that does not exist.
func NotFound(resourceType, name string) error {
	return New(codes.NotFound, ReasonNotFound, fmt.Sprintf("%s %q does not exist", resourceType, name),
		map[string]string{"resource_type": resourceType, "name": name})
}

// Internal hides an unexpected error behind a generic message; the caller logs the error in
// full first.
func Internal(requestID string) error {
	return New(codes.Internal, ReasonInternal,
		"internal error; it has been logged with request id "+requestID+"; retry later or report it with that id",
		map[string]string{"request_id": requestID})
}

// RetryInfo is a detail telling the caller when to retry.
func RetryInfo(after time.Duration) *errdetails.RetryInfo {
	return &errdetails.RetryInfo{RetryDelay: durationpb.New(after)}
}
