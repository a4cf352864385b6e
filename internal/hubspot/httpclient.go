package hubspot

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Limits of the transport every HubSpot client shares. All tenants' calls go to the same
// host, so the limits are per host and for the whole process: enough idle connections for a
// full burst of concurrent calls (no fresh TLS handshake per burst), and a ceiling on open
// connections so that many busy tenants queue in the transport instead of opening sockets
// without bound.
const (
	transportMaxConnsPerHost     = 256
	transportMaxIdleConnsPerHost = 64
	transportMaxIdleConns        = 128
	transportIdleConnTimeout     = 90 * time.Second
)

// sharedTransport is the one http.Transport of every Client made without an HTTPClient: one
// connection pool per process, however many connections (tenants) there are. A transport
// per client would keep idle sockets and TLS sessions for every connection ever used.
var sharedTransport = sync.OnceValue(func() *http.Transport {
	base, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		base = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	t := base.Clone()
	t.MaxConnsPerHost = transportMaxConnsPerHost
	t.MaxIdleConnsPerHost = transportMaxIdleConnsPerHost
	t.MaxIdleConns = transportMaxIdleConns
	t.IdleConnTimeout = transportIdleConnTimeout
	return t
})

// httpClientFor returns the client a Client sends with: the caller's (copied, so that its
// redirect policy can be set without touching the caller's value) or one over the shared
// transport. Redirects are never followed: Go would resend the Authorization header to another
// port of the same host and turn a PATCH into a GET, and a write would look successful.
func httpClientFor(given *http.Client) *http.Client {
	var hc http.Client
	if given != nil {
		hc = *given
	} else {
		hc.Transport = sharedTransport()
	}
	hc.CheckRedirect = refuseRedirect
	return &hc
}

// refuseRedirect makes the http.Client hand back the 3xx response itself; attempt turns it
// into a *RedirectError.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// ErrRedirected: HubSpot (or whatever the base URL points at) answered with a redirect, which
// is never followed. It usually means the base URL is wrong (http instead of https, a proxy or
// an old host).
var ErrRedirected = errors.New("hubspot: answered with a redirect, which is not followed")

// RedirectError is a 3xx answer. Location is where it pointed, without query or credentials,
// so that an operator can fix the base URL.
type RedirectError struct {
	Operation  string
	StatusCode int
	Location   string
}

func (e *RedirectError) Error() string {
	loc := e.Location
	if loc == "" {
		loc = "(no Location header)"
	}
	return fmt.Sprintf("hubspot: %s: %d redirect to %s not followed: check the HubSpot base URL", e.Operation, e.StatusCode, loc)
}

// Is matches ErrRedirected.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirected }

// redirectError describes a 3xx answer to req, resolving a relative Location against the
// request and keeping only scheme, host and path (a query could echo emails or ids).
func redirectError(ep endpoint, status int, req *http.Request, location string, scrub func(string) string) *RedirectError {
	e := &RedirectError{Operation: ep.String(), StatusCode: status}
	if location == "" {
		return e
	}
	u, err := req.URL.Parse(location)
	if err != nil {
		e.Location = "(unparseable Location header)"
		return e
	}
	clean := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	e.Location = scrub(clean.String())
	return e
}

// PlainHTTPBeyondLoopback reports whether baseURL sends tokens unencrypted to another machine:
// plain http:// to a host that is not loopback. The server warns about it at start.
func PlainHTTPBeyondLoopback(baseURL string) bool {
	u, err := url.Parse(baseURL)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}
