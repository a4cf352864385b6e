package idempotency

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/store"
)

// MaxRequestIDLength bounds a request_id.
const MaxRequestIDLength = 128

// RequestIDRule is what a valid request_id looks like, for the caller's error.
const RequestIDRule = "must be at most 128 characters without control characters; a UUID is a good choice"

// ValidRequestID reports whether id can be a request_id ("" included: it means none).
func ValidRequestID(id string) bool {
	return len(id) <= MaxRequestIDLength && !strings.ContainsAny(id, "\x00\n\r")
}

// reused refuses c, whose request_id already names another request in its workspace:
// INVALID_ARGUMENT, since no retry of this request can succeed with it (the request_id is
// the wrong argument, not the state of the system), reason REQUEST_ID_REUSED, naming the first
// difference (the method, or a field) in the field violation and in the metadata "differs".
func reused(c call, first store.RequestReply) error {
	differs, what := "method", "another method ("+shortMethod(first.Method)+")"
	if first.Method == c.method {
		differs = firstDifference(decodeFields(first.FieldDigests), c.print.fields)
		if differs == "" {
			differs = "request" // equal digests, different requests: not seen in practice
		}
		what = "a request with another " + differs
	}
	return rpcerr.Invalid(rpcerr.ReasonRequestIDReused, "", map[string]string{"differs": differs},
		rpcerr.Violation{Field: "request_id", Description: "was already used in this workspace within the last " +
			strconv.Itoa(int(store.RequestIDRetention.Hours())) + " hours for " + what + ": a request_id names one request, and a retry must repeat it exactly; " +
			"send a new request_id for a new request"})
}

// shortMethod is the RPC name of a full gRPC method.
func shortMethod(method string) string { return method[strings.LastIndex(method, "/")+1:] }

// waitEnded answers a duplicate whose deadline came while the first call still ran.
func waitEnded(ctx context.Context) error {
	code := codes.DeadlineExceeded
	if errors.Is(ctx.Err(), context.Canceled) {
		code = codes.Canceled
	}
	return rpcerr.New(code, rpcerr.ReasonDeadline,
		"a call with the same request_id is still running; retry with the same request_id to get its answer", nil)
}

// cloneAnswer gives a waiting duplicate the first call's answer, in a message of its own.
func cloneAnswer(resp any, err error) (any, error) {
	if err != nil {
		return nil, status.Convert(err).Err()
	}
	if m, ok := resp.(proto.Message); ok {
		return proto.Clone(m), nil
	}
	return resp, nil
}
