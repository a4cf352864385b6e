package hubspot

import "context"

// callerKey carries the name of whoever a request is made for.
type callerKey struct{}

// WithCaller returns ctx naming the caller that requests made with it are made for: the
// limiter shares a connection's budget fairly among callers (see fairQueue). The service names
// an RPC's caller by its API key; work the service does on its own behalf names itself (the
// upsert batcher, for instance), so it is not lumped in with anyone's key. A name is never a
// secret: it appears in no error and no log line of this package.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

// CallerFrom returns the caller named by WithCaller, or "" when none was: every request
// without a name shares the one unnamed caller's turn.
func CallerFrom(ctx context.Context) string {
	c, _ := ctx.Value(callerKey{}).(string)
	return c
}
