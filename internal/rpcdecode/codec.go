// Package rpcdecode makes an undecodable request the caller's error, reported through the
// interceptor chain like any other. grpc-go decodes a unary request before the interceptors run
// and answers a decoding failure itself as INTERNAL, so a request whose text fields are not
// valid UTF-8 was counted by no metric, logged by no one, and looked like our fault. Here the
// server's codec decodes what it can and keeps the failure, and each unary handler of a
// service wrapped by WrapService then runs the interceptors with a handler that answers
// INVALID_ARGUMENT naming the field.
package rpcdecode

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/connectflo/integrations/internal/rpcerr"
)

// target is what a wrapped handler decodes into: the request message, and the caller's error
// when the bytes did not decode.
type target struct {
	msg proto.Message
	err error
}

// Codec is the "proto" codec of the server (grpc.ForceServerCodecV2). It decodes and encodes
// like grpc-go's own; only a decoding into a target of WrapService never fails, leaving the
// failure in the target instead.
type Codec struct {
	base     encoding.CodecV2
	maxBytes int
}

// NewCodec returns the codec, over grpc-go's registered proto codec, refusing requests over
// maxBytes. grpc-go answers a message over its own limit (grpc.MaxRecvMsgSize) before any
// handler, with no ErrorInfo; give it RecvLimit(maxBytes) so that requests somewhat over
// maxBytes reach the codec and get the caller's error with a reason instead.
func NewCodec(maxBytes int) *Codec {
	return &Codec{base: encoding.GetCodecV2("proto"), maxBytes: maxBytes}
}

// RecvLimit is the limit to give grpc-go for a codec refusing requests over maxBytes: twice
// as much, so that any request up to that size is answered by the codec.
func RecvLimit(maxBytes int) int { return 2 * maxBytes }

// Name is the content subtype the codec serves.
func (c *Codec) Name() string { return c.base.Name() }

// Marshal encodes like grpc-go's proto codec.
func (c *Codec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

// Unmarshal decodes like grpc-go's proto codec, except into a target of WrapService: then a
// message that is not valid UTF-8 is decoded with U+FFFD in place of the bad bytes (so that
// interceptors reading names still see them) and the field is recorded; any other failure
// leaves the message empty and is recorded as a malformed request.
func (c *Codec) Unmarshal(data mem.BufferSlice, v any) error {
	t, ok := v.(*target)
	if !ok {
		return c.base.Unmarshal(data, v)
	}
	if n := data.Len(); n > c.maxBytes {
		t.err = rpcerr.New(codes.ResourceExhausted, rpcerr.ReasonRequestTooLarge,
			fmt.Sprintf("the request message of %d bytes is over the limit of %d bytes; send fewer or smaller items per call", n, c.maxBytes),
			map[string]string{"size": fmt.Sprint(n), "limit": fmt.Sprint(c.maxBytes)})
		return nil
	}
	b := data.Materialize()
	err := proto.Unmarshal(b, t.msg)
	if err == nil {
		return nil
	}
	proto.Reset(t.msg)
	if clean, field, werr := replaceInvalidUTF8(t.msg.ProtoReflect().Descriptor(), b, ""); werr == nil && field != "" {
		if proto.Unmarshal(clean, t.msg) == nil {
			t.err = rpcerr.InvalidArgument(rpcerr.Violation{Field: field,
				Description: "is not valid UTF-8: text fields must be UTF-8 encoded (in JSON, no lone \\ud800-\\udfff escapes)"})
			return nil
		}
		proto.Reset(t.msg)
	}
	t.err = rpcerr.New(codes.InvalidArgument, rpcerr.ReasonMalformedRequest,
		fmt.Sprintf("the request message could not be decoded (%v): send a %s as described by the service's .proto", err, t.msg.ProtoReflect().Descriptor().FullName()), nil)
	return nil
}
