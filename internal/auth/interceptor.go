package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/connectflo/integrations/internal/rpcerr"
)

// publicServices need no API key: health checks and server reflection.
var publicServices = []string{"/grpc.health.v1.Health/", "/grpc.reflection.v1.ServerReflection/", "/grpc.reflection.v1alpha.ServerReflection/"}

func isPublic(fullMethod string) bool {
	for _, p := range publicServices {
		if strings.HasPrefix(fullMethod, p) {
			return true
		}
	}
	return false
}

// UnaryInterceptor authenticates every unary call except the public services.
func (a *Authenticator) UnaryInterceptor(logger *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if isPublic(info.FullMethod) {
			return handler(ctx, req)
		}
		ctx, err := a.authenticateCall(ctx, logger)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor authenticates every streaming call except the public services.
func (a *Authenticator) StreamInterceptor(logger *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if isPublic(info.FullMethod) {
			return handler(srv, ss)
		}
		ctx, err := a.authenticateCall(ss.Context(), logger)
		if err != nil {
			return err
		}
		return handler(srv, &wrappedStream{ServerStream: ss, ctx: ctx})
	}
}

func (a *Authenticator) authenticateCall(ctx context.Context, logger *slog.Logger) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var header string
	if vals := md.Get("authorization"); len(vals) > 0 {
		header = vals[0]
	}
	p, err := a.Authenticate(ctx, header)
	switch {
	case errors.Is(err, ErrNoKey):
		return nil, rpcerr.New(codes.Unauthenticated, rpcerr.ReasonUnauthenticated,
			"no API key: send the header \"authorization: Bearer <api key>\"; create a key with: go run ./server apikey create --workspace NAME", nil)
	case errors.Is(err, ErrInvalidKey):
		return nil, rpcerr.New(codes.Unauthenticated, rpcerr.ReasonAPIKeyInvalid,
			"the API key is not valid: check that the whole key was copied (it starts with cfk_) and was not deleted", nil)
	case errors.Is(err, ErrRevokedKey):
		return nil, rpcerr.New(codes.Unauthenticated, rpcerr.ReasonAPIKeyRevoked,
			"the API key was revoked: ask your administrator for a new one (server apikey create --workspace NAME)", nil)
	case err != nil:
		logger.ErrorContext(ctx, "authenticate", "err", err)
		return nil, rpcerr.New(codes.Unavailable, rpcerr.ReasonAuthUnavailable, "could not check the API key right now; retry shortly", nil)
	}
	return WithPrincipal(ctx, p), nil
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }
