package service

import (
	"context"

	"google.golang.org/grpc"

	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/hubspot"
)

// NameCaller is a unary interceptor, chained after authentication, that names every HubSpot
// request an RPC makes after the API key that made the RPC. A connection's limiter shares the
// HubSpot budget among the callers it sees (hubspot.WithCaller), so one workflow flooding a
// connection with reads or updates gets its share of the budget while every other key's
// requests keep their turns, instead of waiting behind the whole flood.
//
// The name is "apikey/" and the key's public id: never the secret, and never the name of work
// the service does on its own behalf (such as the upsert batcher), which names itself.
func NameCaller() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if p, ok := auth.FromContext(ctx); ok {
			ctx = hubspot.WithCaller(ctx, callerName(p))
		}
		return handler(ctx, req)
	}
}

// callerName is how the limiter knows a key's requests.
func callerName(p auth.Principal) string { return "apikey/" + p.KeyID }
