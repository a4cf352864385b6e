package idempotency

import (
	"fmt"
	"strings"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// MaxKeptAnswerBytes bounds a kept answer (the encoded response or error). An answer over it
// is not kept, and a retry runs again. A BatchUpsertContacts of 1,000 contacts with long
// emails and names answers in about 160 KB (measured: 155,890 bytes).
const MaxKeptAnswerBytes = 256 << 10

// keptCodes are the answers a retry gets again: successes and the caller's errors, which
// running the same request again would only repeat. The rest (UNAVAILABLE, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, ABORTED, INTERNAL, CANCELLED, UNKNOWN, DATA_LOSS, UNAUTHENTICATED) may be
// cured by waiting, so a retry after them runs again.
var keptCodes = map[codes.Code]bool{
	codes.OK: true, codes.InvalidArgument: true, codes.NotFound: true, codes.AlreadyExists: true,
	codes.PermissionDenied: true, codes.FailedPrecondition: true, codes.OutOfRange: true, codes.Unimplemented: true,
}

// encodeAnswer is what is kept of an answer: its code and the response message or the
// google.rpc.Status of the error. ok is false when the answer is not to be kept.
func encodeAnswer(resp any, err error) (code codes.Code, b []byte, ok bool, encErr error) {
	if err != nil {
		st := status.Convert(err)
		if !keptCodes[st.Code()] {
			return st.Code(), nil, false, nil
		}
		b, encErr = marshalDeterministic.Marshal(st.Proto())
		return st.Code(), b, encErr == nil && len(b) <= MaxKeptAnswerBytes, encErr
	}
	m, isProto := resp.(proto.Message)
	if !isProto {
		return codes.OK, nil, false, fmt.Errorf("idempotency: response %T is not a protobuf message", resp)
	}
	b, encErr = marshalDeterministic.Marshal(m)
	return codes.OK, b, encErr == nil && len(b) <= MaxKeptAnswerBytes, encErr
}

// decodeAnswer turns a kept answer back into what the handler returned: the response message
// of method, or the error answer. err is a kept answer that cannot be read.
func decodeAnswer(method string, code codes.Code, b []byte) (resp any, answer, err error) {
	if code != codes.OK {
		st := &spb.Status{}
		if err := proto.Unmarshal(b, st); err != nil {
			return nil, nil, fmt.Errorf("idempotency: kept error of %s: %w", method, err)
		}
		return nil, status.ErrorProto(st), nil
	}
	mt, err := responseType(method)
	if err != nil {
		return nil, nil, err
	}
	m := mt.New().Interface()
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, nil, fmt.Errorf("idempotency: kept response of %s: %w", method, err)
	}
	return m, nil, nil
}

// responseType finds the response message type of a full gRPC method
// ("/connectflo.integrations.v1.IntegrationService/Connect") in the registry of linked
// protobuf types, so that an answer kept by another process can be decoded.
func responseType(method string) (protoreflect.MessageType, error) {
	service, name, ok := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	if !ok {
		return nil, fmt.Errorf("idempotency: %q is not a gRPC method", method)
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return nil, fmt.Errorf("idempotency: service of %s: %w", method, err)
	}
	sd, isService := d.(protoreflect.ServiceDescriptor)
	if !isService || sd.Methods().ByName(protoreflect.Name(name)) == nil {
		return nil, fmt.Errorf("idempotency: no method %s", method)
	}
	return protoregistry.GlobalTypes.FindMessageByName(sd.Methods().ByName(protoreflect.Name(name)).Output().FullName())
}
