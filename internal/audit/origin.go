package audit

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// Metadata the REST gateway adds to each call it makes to the gRPC listener. They are believed
// only on the gateway's own connections: on any other connection a caller could send them.
const (
	httpPeerKey         = "x-connectflo-http-peer"
	httpForwardedForKey = "x-connectflo-http-forwarded-for"
)

// GatewayPeers knows the REST gateway's connections to the gRPC listener by their local
// addresses, so that the gRPC side can tell a REST call (whose origin is the HTTP client) from a
// gRPC call that merely comes from loopback.
type GatewayPeers struct {
	addrs sync.Map // local address string → struct{}
}

// Dial is the gateway's dialer (grpc.WithContextDialer): it remembers each connection's local
// address while the connection is open.
func (g *GatewayPeers) Dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	local := c.LocalAddr().String()
	g.addrs.Store(local, struct{}{})
	return &gatewayConn{Conn: c, forget: func() { g.addrs.Delete(local) }}, nil
}

type gatewayConn struct {
	net.Conn
	once   sync.Once
	forget func()
}

func (c *gatewayConn) Close() error {
	c.once.Do(c.forget)
	return c.Conn.Close()
}

func (g *GatewayPeers) isGateway(a net.Addr) bool {
	_, ok := g.addrs.Load(a.String())
	return ok
}

// GatewayMetadata is the gateway's metadata annotator (runtime.WithMetadata): the HTTP
// client's address and the X-Forwarded-For it sent. The gateway lets these replace any value a
// client put under the same keys.
func GatewayMetadata(_ context.Context, r *http.Request) metadata.MD {
	return metadata.Pairs(httpPeerKey, printable(r.RemoteAddr, maxShortField),
		httpForwardedForKey, printable(strings.Join(r.Header.Values("X-Forwarded-For"), ", "), maxForwardedFor))
}

// printable keeps the printable ASCII of s, which is all gRPC metadata may carry, up to max.
func printable(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max]
	}
	return s
}

// origin says how a call arrived and from where: for a REST call, the HTTP client's address and
// X-Forwarded-For as the gateway received them; for a gRPC call, the TCP peer and the
// x-forwarded-for metadata.
func (g *GatewayPeers) origin(ctx context.Context) (transport, peerAddr, forwardedFor string) {
	md, _ := metadata.FromIncomingContext(ctx)
	first := func(key string) string {
		if v := md.Get(key); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return TransportGRPC, "", strings.Join(md.Get("x-forwarded-for"), ", ")
	}
	if g != nil && g.isGateway(p.Addr) {
		return TransportREST, first(httpPeerKey), first(httpForwardedForKey)
	}
	return TransportGRPC, p.Addr.String(), strings.Join(md.Get("x-forwarded-for"), ", ")
}
