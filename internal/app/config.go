// Package app is the program: its configuration, and the server that wires the store, the
// service, the gRPC server and the REST gateway together. server/main.go is a thin shell over
// it, and tests start it whole on port 0.
package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/connectflo/integrations/internal/discovery"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// Config is the whole configuration, read once from flags and environment. Flags win over
// environment variables, which win over the defaults. The option that sets each field, with
// its flag, variable, default and rule, is in configOptions.
type Config struct {
	GRPCAddr          string
	HTTPAddr          string // REST gateway, /livez, /readyz, /metrics, /openapi.json
	DBPath            string // "" in demo mode until runDemo makes a temporary one
	LogLevel          slog.Level
	LogFormat         string // text or json
	ShutdownTimeout   time.Duration
	DrainDelay        time.Duration // not ready but serving, before the shutdown's drain
	MaxRequestBytes   int
	HubSpotBaseURL    string
	HubSpotTimeout    time.Duration // per HubSpot attempt
	HubSpotAPIVersion hubspot.APIVersion
	KeyFile           string // token encryption keys when EncryptionKeys is empty; "" when no default can be found
	LegacyKeyFile     string // encryption.keys beside the database, where earlier versions put it: used instead of the default while it exists
	EncryptionKeys    string // from the environment only: flags show in ps
	Sandbox           bool   // demo mode with the embedded HubSpot sandbox, in a temporary folder
	SandboxAddr       string
	UpsertMaxBatch    int
	CheckDelay        time.Duration // before an in-doubt timeline send is searched for
	TimelineMaxQueued int           // undelivered events per connection
	TimelineRetention time.Duration // how long finished events are kept
	ChangesRetention  time.Duration // how long detected changes are kept
	PublicURL         string        // the public base URL of the HTTP listener; "" when not configured
	LeaseTTL          time.Duration // of the timeline delivery lease
	PollOverlap       time.Duration // how far back each poll reads again, above HubSpot's search lag
	PollSearchShare   int           // searches per second polling may take of HubSpot's 5
	TLSCertFile       string        // serve gRPC and HTTP over TLS
	TLSKeyFile        string
	ClientCAFile      string // require client certificates signed by these CAs

	MaxConnectionsPerWorkspace int
	SchemaCacheBytes           int64 // memory for cached field schemas, all tenants together

	// SandboxAllowRemoteAdmin (a flag only) lets SandboxAddr be beyond loopback, where other
	// hosts reach the sandbox's unauthenticated admin API.
	SandboxAllowRemoteAdmin bool

	PollLeaseTTL    time.Duration // of each connection's poll lease
	WebhookLeaseTTL time.Duration // of the lease of the process turning the webhook inbox into changes

	// PollEvery, when set, is every connection's poll interval and the poller's tick, below
	// the 10 s floor of a connection's interval: set by tests only (the PollEvery run
	// option), never by a flag or variable.
	PollEvery time.Duration
}

// Defaults work on a laptop with no setup.
const (
	DefaultGRPCAddr        = "127.0.0.1:9090"
	DefaultHTTPAddr        = "127.0.0.1:8080"
	DefaultDBPath          = "data/integrations.db"
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultDrainDelay covers a balancer told of the shutdown by its orchestrator: Kubernetes
	// takes a terminating pod out of its endpoints at once, and proxies follow within a few
	// seconds. A balancer that learns it only from probes needs its probe period times its
	// failure threshold instead, which is the operator's to set.
	DefaultDrainDelay      = 5 * time.Second
	DefaultMaxRequestBytes = 4 << 20
	DefaultHubSpotBaseURL  = "https://api.hubapi.com"
	DefaultHubSpotTimeout  = 30 * time.Second
	DefaultLeaseTTL        = 15 * time.Second
	minLeaseTTL            = time.Second // below, a GC pause or a slow disk can cost the lease
	DefaultSandboxAddr     = sandbox.DefaultAddr
	keyFileName            = "encryption.keys"
	keyFileFolder          = "connectflo-integrations" // under the user's configuration folder
	// DefaultSchemaCacheBytes holds the schemas and DiscoverFields answers of a few dozen
	// busy connections with large portals (several MB each); the rest reload from SQLite.
	DefaultSchemaCacheBytes = discovery.DefaultCacheBytes
)

// ParseConfig reads the options of configOptions from args (without the program name) over
// the environment, then checks the rules that tie options together.
func ParseConfig(name string, args []string, getenv func(string) string, output io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(output)
	options := bindOptions(fs, configOptions(&c))
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", name)
		fs.PrintDefaults()
		options.printEnvOnly(fs.Output())
		options.printDemoNote(fs.Output())
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q; see --help", fs.Arg(0))
	}
	errs := options.apply(getenv, readInDemo)
	if c.Sandbox {
		// Demo data never mixes with real connections: runDemo puts the database and the key
		// file in a temporary folder, whatever the environment says (it logs what it ignored).
		for _, flagName := range options.given(notInDemo) {
			errs = append(errs, fmt.Errorf("%s: demo mode (--sandbox) keeps its database and keys in a temporary folder and never opens another; "+
				"to keep data, run the standalone sandbox (server sandbox) and a normal server with --hubspot-base-url pointing at it", flagName))
		}
	} else {
		errs = append(errs, options.apply(getenv, notInDemo)...)
		if c.KeyFile == "" { // demo mode's is the temporary one runDemo makes
			c.KeyFile = defaultKeyFile(getenv)
			if !store.IsPostgres(c.DBPath) { // only a SQLite file has a folder beside it
				c.LegacyKeyFile = filepath.Join(filepath.Dir(c.DBPath), keyFileName)
			}
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together: give both to serve over TLS, or neither"))
	}
	if c.ClientCAFile != "" && c.TLSCertFile == "" {
		errs = append(errs, errors.New("--client-ca needs --tls-cert and --tls-key: client certificates are checked in the TLS handshake, so the server must serve TLS"))
	}
	return c, errors.Join(errs...)
}

// defaultKeyFile is where the key file goes unless told otherwise: the user's configuration
// folder ($XDG_CONFIG_HOME, else $HOME/.config), away from the database so that a copy of the
// data folder does not carry the key that opens its tokens. It is "" when the environment names
// neither folder (a service account without a home, say): then the key file must be given.
func defaultKeyFile(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) {
		home := getenv("HOME")
		if !filepath.IsAbs(home) {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, keyFileFolder, keyFileName)
}

// DefaultConfig is the configuration with no flags and no environment, for programs and
// tests that build a Config in code: change what you need, then call New.
func DefaultConfig() Config {
	c, err := ParseConfig("server", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		panic("app: the defaults do not parse: " + err.Error()) // a bug in this file, caught by any test
	}
	return c
}

// NewLogger returns the structured logger the configuration asks for.
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
