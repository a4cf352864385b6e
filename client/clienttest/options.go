package clienttest

import (
	"io"
	"net/http"
	"time"

	"github.com/connectflo/integrations/internal/apptest"
	"github.com/connectflo/integrations/internal/sandbox"
)

// Option changes what NewServer starts.
type Option func(*options)

type options struct {
	workspace  string
	scopes     []string
	connect    bool
	sampleData bool
	tier       Tier
	limits     Limits
	wrap       func(http.Handler) http.Handler
	logs       io.Writer
	flags      []string
	searchLag  time.Duration
}

// Tier is a HubSpot subscription tier; it sets the account's default rate limits.
type Tier string

// The tiers HubSpot sells. Professional is NewServer's default.
const (
	TierFree         Tier = "FREE"
	TierStarter      Tier = "STARTER"
	TierProfessional Tier = "PROFESSIONAL"
	TierEnterprise   Tier = "ENTERPRISE"
)

// Limits are HubSpot's request budgets; a zero field keeps the tier's.
type Limits struct {
	Window          time.Duration // of the rolling request budget per app; HubSpot's is 10 s
	PerWindow       int           // requests per Window per app; 100 on Free and Starter, 190 above
	Daily           int           // requests per day per account; 250,000 to 1,000,000 by tier
	SearchPerSecond int           // search requests per second per account; 5
}

// WithWorkspace names the workspace of the API key and the connection ("test" by default).
func WithWorkspace(id string) Option { return func(o *options) { o.workspace = id } }

// WithScopes gives the connection's HubSpot token exactly these scopes instead of
// DefaultScopes, to test what a workflow does when a scope is missing. Connect itself
// needs the scopes the service requires (docs/api.md lists them), or NewServer fails the test.
func WithScopes(scopes ...string) Option {
	return func(o *options) { o.scopes = append([]string(nil), scopes...) }
}

// WithoutConnection makes no HubSpot connection, for tests of Connect itself: HubSpot.NewToken
// gives tokens to connect with.
func WithoutConnection() Option { return func(o *options) { o.connect = false } }

// WithSampleData fills HubSpot with sample companies, contacts (at those companies) and deals
// before the service starts; HubSpot.Sample lists their ids.
func WithSampleData() Option { return func(o *options) { o.sampleData = true } }

// WithTier sets the HubSpot account's tier, and with it the default rate limits.
func WithTier(t Tier) Option { return func(o *options) { o.tier = t } }

// WithLimits shrinks (or grows) HubSpot's rate limits, to test a workflow at the limit
// without waiting ten seconds per window.
func WithLimits(l Limits) Option { return func(o *options) { o.limits = l } }

// NoSearchLag, given to WithSearchLag, makes HubSpot's search see every write at once.
const NoSearchLag time.Duration = -1

// WithSearchLag sets how long a write takes to reach the emulated HubSpot's search. HubSpot's
// search is eventually consistent (a few seconds), and so is the emulator's by default (3 s):
// a record created or updated a moment ago is missing from SearchRecords, or found with its
// old values, while GetRecord by id or email sees it at once. Give a longer lag to prove a
// workflow never reads its own writes through search, or NoSearchLag to test what a search
// finds rather than when.
func WithSearchLag(d time.Duration) Option { return func(o *options) { o.searchLag = d } }

// WithHubSpotHandler wraps the emulated HubSpot as the service sees it: to count, delay or
// fail its requests. wrap gets the emulator's handler and returns the one to serve.
func WithHubSpotHandler(wrap func(http.Handler) http.Handler) Option {
	return func(o *options) { o.wrap = wrap }
}

// WithLogOutput sends the server's log (JSON lines, debug level) to w. Without it, the log is
// kept in memory and printed with the test's output if the test fails.
func WithLogOutput(w io.Writer) Option { return func(o *options) { o.logs = w } }

// WithFlags adds command-line flags of the server (see "server --help"), such as
// "--upsert-batch-size", "1". The listen addresses, database, keys and HubSpot URL are set by
// NewServer.
func WithFlags(flags ...string) Option {
	return func(o *options) { o.flags = append(o.flags, flags...) }
}

// DefaultScopes are every scope the service can use: those of contacts, companies and deals
// (objects and schemas), and of the activities timeline events are logged as.
func DefaultScopes() []string { return sandbox.AllScopes() }

func (o options) hubspotOptions() apptest.HubSpotOptions {
	lag := o.searchLag // zero keeps the emulator's default
	if lag < 0 {
		lag = sandbox.NoSearchLag
	}
	return apptest.HubSpotOptions{
		Tier: sandbox.Tier(o.tier),
		Wrap: o.wrap,
		Sandbox: sandbox.Options{Limits: sandbox.Limits{Window: o.limits.Window, PerWindow: o.limits.PerWindow,
			Daily: o.limits.Daily, SearchPerSecond: o.limits.SearchPerSecond},
			SearchLag: lag},
	}
}
