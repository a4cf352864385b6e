// Package client is the typed Go SDK of ConnectFlo Integrations.
//
// A Client is an IntegrationServiceClient (every RPC of the API, with the generated request and
// response types of package integrationsv1) plus what every caller needs: the API key on every
// call, TLS or plaintext, a default per-call deadline, safe retries of UNAVAILABLE, and helpers
// that turn an error into something to act on (see ErrorDetails).
//
//	c, err := client.New("integrations.internal:9090", client.WithAPIKey(key))
//	if err != nil { … }
//	defer c.Close()
//	resp, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"})
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// Defaults of New.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxAttempts = 3
)

// Client talks to ConnectFlo Integrations over gRPC. It is safe for concurrent use; make one
// and share it.
type Client struct {
	integrationsv1.IntegrationServiceClient
	conn *grpc.ClientConn
}

type options struct {
	apiKey      string
	tlsConfig   *tls.Config
	clientCert  *tls.Certificate
	plaintext   bool
	timeout     time.Duration
	maxAttempts int
	dialOptions []grpc.DialOption
}

// Option configures New.
type Option func(*options)

// WithAPIKey sends key as "authorization: Bearer <key>" on every call.
func WithAPIKey(key string) Option { return func(o *options) { o.apiKey = key } }

// WithTLS uses TLS with the given configuration (nil means the system's roots). TLS is the
// default; this option is for custom roots or client certificates.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) { o.tlsConfig, o.plaintext = cfg, false }
}

// WithClientCertificate presents cert (a certificate chain with its private key, as
// tls.LoadX509KeyPair returns it) to a server that requires client certificates (mutual TLS,
// the server's --client-ca). It combines with WithTLS in either order and needs TLS: New
// fails if WithPlaintext is given too.
func WithClientCertificate(cert tls.Certificate) Option {
	return func(o *options) { o.clientCert = &cert }
}

// WithPlaintext talks without TLS, for a server on loopback or inside a trusted network.
func WithPlaintext() Option { return func(o *options) { o.plaintext = true } }

// WithTimeout sets the deadline given to calls whose context has none (default 30 s).
// Zero leaves such calls without a deadline.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithMaxAttempts sets how many times a call is tried when the server is UNAVAILABLE
// (default 3; 1 disables retries). Only RPCs that service.proto declares NO_SIDE_EFFECTS or
// IDEMPOTENT (reads, TestConnection, DiscoverFields) and calls carrying a request_id are retried.
func WithMaxAttempts(n int) Option { return func(o *options) { o.maxAttempts = n } }

// WithDialOptions adds grpc dial options, for example interceptors for tracing.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, opts...) }
}

// New connects to the server at target (host:port, or any gRPC target). It does not block:
// the connection is made on the first call.
func New(target string, opts ...Option) (*Client, error) {
	o := options{timeout: DefaultTimeout, maxAttempts: DefaultMaxAttempts}
	for _, opt := range opts {
		opt(&o)
	}
	if target == "" {
		return nil, errors.New("client: empty target; want host:port of the gRPC server")
	}
	if o.maxAttempts < 1 {
		return nil, errors.New("client: WithMaxAttempts needs at least 1")
	}
	tlsConfig := o.tlsConfig
	if o.clientCert != nil {
		if o.plaintext {
			return nil, errors.New("client: WithClientCertificate needs TLS, but WithPlaintext was given; drop one of them")
		}
		tlsConfig = tlsConfig.Clone() // the caller's configuration is left as it was
		if tlsConfig == nil {
			tlsConfig = &tls.Config{}
		}
		tlsConfig.Certificates = []tls.Certificate{*o.clientCert}
	}
	creds := credentials.NewTLS(tlsConfig)
	if o.plaintext {
		creds = insecure.NewCredentials()
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithChainUnaryInterceptor(
			deadlineInterceptor(o.timeout),
			retryInterceptor(o.maxAttempts, newRetryPolicy(integrationsv1.File_connectflo_integrations_v1_service_proto.Services())),
		),
	}
	if o.apiKey != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(apiKeyCredentials{key: o.apiKey, requireTLS: !o.plaintext}))
	}
	conn, err := grpc.NewClient(target, append(dial, o.dialOptions...)...)
	if err != nil {
		return nil, err
	}
	return &Client{IntegrationServiceClient: integrationsv1.NewIntegrationServiceClient(conn), conn: conn}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Conn is the underlying connection, for other services on the same server (health).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// apiKeyCredentials puts the API key on each call.
type apiKeyCredentials struct {
	key        string
	requireTLS bool
}

func (a apiKeyCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + a.key}, nil
}

func (a apiKeyCredentials) RequireTransportSecurity() bool { return a.requireTLS }

// deadlineInterceptor gives calls without a deadline the default one.
func deadlineInterceptor(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok && d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
