package rpcdecode

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// WrapService returns a copy of desc whose unary handlers decode through the Codec's target:
// a request that does not decode, or is over the codec's limit, still passes through the
// interceptors (request id, log, metrics, authentication), which then see the caller's error
// instead of the handler running.
// Streaming methods are left as they are.
func WrapService(desc *grpc.ServiceDesc) *grpc.ServiceDesc {
	out := *desc
	out.Methods = make([]grpc.MethodDesc, len(desc.Methods))
	for i, m := range desc.Methods {
		out.Methods[i] = grpc.MethodDesc{MethodName: m.MethodName, Handler: wrapHandler(m.Handler)}
	}
	out.Streams = make([]grpc.StreamDesc, len(desc.Streams))
	for i, s := range desc.Streams {
		out.Streams[i] = s
		out.Streams[i].Handler = wrapStreamHandler(s.Handler)
	}
	return &out
}

// wrapStreamHandler gives a streaming method the unary methods' decoding: a request that does
// not decode is the caller's error, returned by the handler's RecvMsg.
func wrapStreamHandler(h grpc.StreamHandler) grpc.StreamHandler {
	return func(srv any, stream grpc.ServerStream) error { return h(srv, decodingStream{stream}) }
}

// decodingStream decodes requests as the unary methods do.
type decodingStream struct{ grpc.ServerStream }

// RecvMsg decodes the next request into m, or returns why it does not decode.
func (s decodingStream) RecvMsg(m any) error {
	msg, ok := m.(proto.Message)
	if !ok {
		return s.ServerStream.RecvMsg(m)
	}
	t := &target{msg: msg}
	if err := s.ServerStream.RecvMsg(t); err != nil {
		return err
	}
	return t.err
}

func wrapHandler(h grpc.MethodHandler) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		var decodeErr error
		decode := func(m any) error {
			msg, ok := m.(proto.Message)
			if !ok {
				return dec(m)
			}
			t := &target{msg: msg}
			if err := dec(t); err != nil {
				// grpc-go has answered already (e.g. a message over its own limit, RecvLimit).
				return err
			}
			decodeErr = t.err
			return nil
		}
		chain := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if decodeErr != nil {
				handler = func(context.Context, any) (any, error) { return nil, decodeErr }
			}
			if interceptor == nil {
				return handler(ctx, req)
			}
			return interceptor(ctx, req, info, handler)
		}
		return h(srv, ctx, decode, chain)
	}
}
