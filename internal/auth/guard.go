package auth

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// WorkspaceGuard refuses, before any handler runs, a call whose request names a resource in
// a workspace the caller's key may not act in. Handlers check too; this guard makes the rule
// hold for every RPC, including ones added later, and answers before anything is looked up.
// Malformed names pass through for the handler to report as INVALID_ARGUMENT.
func WorkspaceGuard() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		p, ok := FromContext(ctx)
		m, isProto := req.(proto.Message)
		if !ok || !isProto {
			return handler(ctx, req)
		}
		r := m.ProtoReflect()
		for _, field := range resname.ScopedFields {
			fd := r.Descriptor().Fields().ByName(protoreflect.Name(field))
			if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
				continue
			}
			if ws, ok := resname.WorkspaceOf(r.Get(fd).String()); ok && !p.CanAccess(ws.ID) {
				return nil, rpcerr.PermissionDenied(ws.ID)
			}
		}
		return handler(ctx, req)
	}
}
