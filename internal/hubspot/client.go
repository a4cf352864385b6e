package hubspot

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is HubSpot's API host (EU-hosted portals use it too).
const DefaultBaseURL = "https://api.hubapi.com"

// Options configures NewClient. Only Token is required.
type Options struct {
	// BaseURL defaults to DefaultBaseURL; tests and the sandbox point it elsewhere.
	BaseURL string
	Token   Token
	// APIVersion chooses the family of paths called (see APIVersion); empty means
	// DefaultAPIVersion. Any other value is refused by NewClient.
	APIVersion APIVersion
	// HTTPClient defaults to a client over the transport every Client of
	// the process shares (see httpclient.go). Its Timeout should be zero:
	// Timeout below applies per attempt instead. Its redirect policy is
	// replaced: no client follows redirects.
	HTTPClient *http.Client
	// Limiter is shared by every Client of the same HubSpot app; a private
	// one with default budgets is made when nil.
	Limiter *Limiter
	// Logger receives one debug line per HTTP attempt; nil discards.
	Logger *slog.Logger
	Retry  RetryPolicy
	// Timeout bounds each attempt (default 30 s); the caller's context
	// bounds the whole call, retries and waiting included.
	Timeout time.Duration
	// SearchLimits are checked before a search is sent.
	SearchLimits SearchLimits
	// OnCall, when set, is called after every HTTP attempt (from the calling
	// goroutine) — a hook for metrics without a metrics dependency here.
	OnCall func(CallInfo)
	// Clock drives retry backoff sleeps; default SystemClock.
	Clock Clock
}

// CallInfo describes one HTTP attempt for observability hooks.
type CallInfo struct {
	Method        string
	PathTemplate  string // e.g. /crm/objects/2026-03/{objectType}/{objectId}; never ids, emails or tokens
	Kind          RequestKind
	Attempt       int
	StatusCode    int // 0 when no response arrived
	Duration      time.Duration
	Waited        time.Duration // time spent queued in the limiter before this attempt
	CorrelationID string
	Err           error // nil on success
}

// Client calls HubSpot for one connection (one token). It is safe for
// concurrent use.
type Client struct {
	baseURL      *url.URL
	apiVersion   APIVersion
	token        Token
	http         *http.Client
	limiter      *Limiter
	logger       *slog.Logger
	retry        RetryPolicy
	timeout      time.Duration
	searchLimits SearchLimits
	onCall       func(CallInfo)
	clock        Clock
}

// NewClient validates the options and builds a client.
func NewClient(opts Options) (*Client, error) {
	if opts.Token.IsZero() {
		return nil, fmt.Errorf("%w: an access token is required", ErrInvalidRequest)
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: base URL must be an absolute http(s) URL", ErrInvalidRequest)
	}
	if u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("%w: base URL must not carry credentials or a query", ErrInvalidRequest)
	}
	version := cmp.Or(opts.APIVersion, DefaultAPIVersion)
	if _, err := ParseAPIVersion(string(version)); err != nil {
		return nil, err
	}
	c := &Client{
		baseURL:      u,
		apiVersion:   version,
		token:        opts.Token,
		http:         httpClientFor(opts.HTTPClient),
		limiter:      opts.Limiter,
		logger:       opts.Logger,
		retry:        opts.Retry.withDefaults(),
		timeout:      opts.Timeout,
		searchLimits: opts.SearchLimits.withDefaults(),
		onCall:       opts.OnCall,
		clock:        opts.Clock,
	}
	if c.limiter == nil {
		c.limiter = NewLimiter(LimiterConfig{})
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.clock == nil {
		c.clock = SystemClock{}
	}
	return c, nil
}

// Limiter returns the client's limiter (for Stats in TestConnection).
func (c *Client) Limiter() *Limiter { return c.limiter }

// invalid builds an ErrInvalidRequest error for arguments rejected before sending.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, args...)...)
}

// requireNonEmpty checks path arguments, which would otherwise produce a
// different endpoint (e.g. an empty id turning a get into a list).
func requireNonEmpty(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return invalid("%s is required", pairs[i])
		}
	}
	return nil
}
