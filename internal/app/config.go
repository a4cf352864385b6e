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
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/discovery"
	"github.com/connectflo/integrations/internal/outbox"
)

// Config is the whole configuration, read once from flags and environment. Flags win over
// environment variables, which win over the defaults.
type Config struct {
	GRPCAddr          string        // --grpc-addr, INTEGRATIONS_GRPC_ADDR
	HTTPAddr          string        // --http-addr, INTEGRATIONS_HTTP_ADDR
	DBPath            string        // --db, INTEGRATIONS_DB
	LogLevel          slog.Level    // --log-level, INTEGRATIONS_LOG_LEVEL
	LogFormat         string        // --log-format, INTEGRATIONS_LOG_FORMAT: text or json
	ShutdownTimeout   time.Duration // --shutdown-timeout, INTEGRATIONS_SHUTDOWN_TIMEOUT
	MaxRequestBytes   int           // --max-request-bytes, INTEGRATIONS_MAX_REQUEST_BYTES
	HubSpotBaseURL    string        // --hubspot-base-url, HUBSPOT_BASE_URL
	HubSpotTimeout    time.Duration // --hubspot-timeout, INTEGRATIONS_HUBSPOT_TIMEOUT: per HubSpot attempt
	KeyFile           string        // --key-file, INTEGRATIONS_KEY_FILE: token encryption keys when INTEGRATIONS_ENCRYPTION_KEYS is unset; "" when no default can be found
	LegacyKeyFile     string        // encryption.keys beside the database, where earlier versions put it: used instead of the default while it exists
	EncryptionKeys    string        // INTEGRATIONS_ENCRYPTION_KEYS only (never a flag: flags show in ps)
	Sandbox           bool          // --sandbox: demo mode with the embedded HubSpot sandbox, in a temporary folder
	SandboxAddr       string        // --sandbox-addr, INTEGRATIONS_SANDBOX_ADDR
	UpsertMaxBatch    int           // --upsert-batch-size, INTEGRATIONS_UPSERT_BATCH_SIZE
	CheckDelay        time.Duration // --timeline-check-delay, INTEGRATIONS_TIMELINE_CHECK_DELAY
	TimelineMaxQueued int           // --timeline-max-queued, INTEGRATIONS_TIMELINE_MAX_QUEUED: undelivered events per connection
	TimelineRetention time.Duration // --timeline-retention, INTEGRATIONS_TIMELINE_RETENTION: how long finished events are kept
	LeaseTTL          time.Duration // --timeline-lease-ttl, INTEGRATIONS_TIMELINE_LEASE_TTL
	TLSCertFile       string        // --tls-cert, INTEGRATIONS_TLS_CERT: serve gRPC and HTTP over TLS
	TLSKeyFile        string        // --tls-key, INTEGRATIONS_TLS_KEY
	ClientCAFile      string        // --client-ca, INTEGRATIONS_CLIENT_CA: require client certificates signed by these CAs

	MaxConnectionsPerWorkspace int   // --max-connections-per-workspace, INTEGRATIONS_MAX_CONNECTIONS_PER_WORKSPACE
	SchemaCacheBytes           int64 // --schema-cache-bytes, INTEGRATIONS_SCHEMA_CACHE_BYTES: memory for cached field schemas, all tenants together

	// SandboxAllowRemoteAdmin (--sandbox-allow-remote-admin, no environment variable) lets
	// --sandbox-addr be beyond loopback, where other hosts reach the sandbox's unauthenticated
	// admin API.
	SandboxAllowRemoteAdmin bool
}

// Defaults work on a laptop with no setup.
const (
	DefaultGRPCAddr        = "127.0.0.1:9090"
	DefaultHTTPAddr        = "127.0.0.1:8080"
	DefaultDBPath          = "data/integrations.db"
	DefaultShutdownTimeout = 10 * time.Second
	DefaultMaxRequestBytes = 4 << 20
	DefaultHubSpotBaseURL  = "https://api.hubapi.com"
	DefaultHubSpotTimeout  = 30 * time.Second
	DefaultLeaseTTL        = 15 * time.Second
	minLeaseTTL            = time.Second // below, a GC pause or a slow disk can cost the lease
	DefaultSandboxAddr     = "127.0.0.1:8089"
	keyFileName            = "encryption.keys"
	keyFileFolder          = "connectflo-integrations" // under the user's configuration folder
	// DefaultSchemaCacheBytes holds the schemas and DiscoverFields answers of a few dozen
	// busy connections with large portals (several MB each); the rest reload from SQLite.
	DefaultSchemaCacheBytes = discovery.DefaultCacheBytes
)

// envPrefix starts every environment variable of the service.
const envPrefix = "INTEGRATIONS_"

// ParseConfig reads flags from args (without the program name) over the environment.
func ParseConfig(name string, args []string, getenv func(string) string, output io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(output)
	env := func(key, def string) string {
		if v := getenv(envPrefix + key); v != "" {
			return v
		}
		return def
	}
	var level, timeout, maxBytes, hubspotTimeout, batchSize, checkDelay, maxQueued, retention, leaseTTL string
	fs.StringVar(&c.GRPCAddr, "grpc-addr", env("GRPC_ADDR", DefaultGRPCAddr), "gRPC listen address (env INTEGRATIONS_GRPC_ADDR)")
	fs.StringVar(&c.HTTPAddr, "http-addr", env("HTTP_ADDR", DefaultHTTPAddr), "HTTP listen address: REST gateway, /healthz, /metrics, /openapi.json (env INTEGRATIONS_HTTP_ADDR)")
	fs.StringVar(&c.DBPath, "db", env("DB", DefaultDBPath), "SQLite database file, created on first start (env INTEGRATIONS_DB)")
	fs.StringVar(&level, "log-level", env("LOG_LEVEL", "info"), "log level: debug, info, warn or error (env INTEGRATIONS_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", "text"), "log format: text or json (env INTEGRATIONS_LOG_FORMAT)")
	fs.StringVar(&timeout, "shutdown-timeout", env("SHUTDOWN_TIMEOUT", DefaultShutdownTimeout.String()), "the whole drain at shutdown: in-flight calls, queued upserts and timeline batches, each stage cut at its share (env INTEGRATIONS_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&maxBytes, "max-request-bytes", env("MAX_REQUEST_BYTES", fmt.Sprint(DefaultMaxRequestBytes)), "largest accepted request body or message, in bytes (env INTEGRATIONS_MAX_REQUEST_BYTES)")
	hubspotURL := getenv("HUBSPOT_BASE_URL")
	if hubspotURL == "" {
		hubspotURL = DefaultHubSpotBaseURL
	}
	fs.StringVar(&c.HubSpotBaseURL, "hubspot-base-url", hubspotURL, "HubSpot API base URL, e.g. a standalone sandbox's (env HUBSPOT_BASE_URL)")
	fs.StringVar(&hubspotTimeout, "hubspot-timeout", env("HUBSPOT_TIMEOUT", DefaultHubSpotTimeout.String()), "timeout of one HubSpot request attempt (env INTEGRATIONS_HUBSPOT_TIMEOUT)")
	fs.StringVar(&c.KeyFile, "key-file", env("KEY_FILE", ""), "token encryption key file, created (0600) if missing; default: $XDG_CONFIG_HOME/connectflo-integrations/encryption.keys, or ~/.config/connectflo-integrations/encryption.keys, never beside the database, so that a backup of the data does not carry its key (a key file an earlier version created beside the database is still used, with a warning); ignored when INTEGRATIONS_ENCRYPTION_KEYS is set (env INTEGRATIONS_KEY_FILE)")
	fs.BoolVar(&c.Sandbox, "sandbox", env("SANDBOX", "") == "true", "demo mode: start the embedded HubSpot sandbox with sample data, use it as HubSpot, and print a ready API key and tokens; its database and keys live in a temporary folder, removed at exit (INTEGRATIONS_DB, INTEGRATIONS_KEY_FILE and INTEGRATIONS_ENCRYPTION_KEYS are ignored)")
	fs.StringVar(&c.SandboxAddr, "sandbox-addr", env("SANDBOX_ADDR", DefaultSandboxAddr), "listen address of the embedded sandbox in demo mode, on loopback unless --sandbox-allow-remote-admin (env INTEGRATIONS_SANDBOX_ADDR)")
	fs.BoolVar(&c.SandboxAllowRemoteAdmin, "sandbox-allow-remote-admin", false, "let --sandbox-addr be beyond loopback, where other hosts can read the sandbox's tokens through its unauthenticated /_sandbox admin API")
	fs.StringVar(&batchSize, "upsert-batch-size", env("UPSERT_BATCH_SIZE", "100"), "most contacts per HubSpot batch upsert, 1 to 100; 1 switches batching off (env INTEGRATIONS_UPSERT_BATCH_SIZE)")
	fs.StringVar(&checkDelay, "timeline-check-delay", env("TIMELINE_CHECK_DELAY", "30s"), "how long after a timeline send with an unknown outcome HubSpot is searched for it before any resend: longer is safer against HubSpot's search lag, shorter delivers sooner (env INTEGRATIONS_TIMELINE_CHECK_DELAY)")
	fs.StringVar(&maxQueued, "timeline-max-queued", env("TIMELINE_MAX_QUEUED", fmt.Sprint(outbox.DefaultMaxQueued)), "most timeline events a connection may have waiting for delivery; LogTimelineEvent answers RESOURCE_EXHAUSTED beyond it (env INTEGRATIONS_TIMELINE_MAX_QUEUED)")
	fs.StringVar(&retention, "timeline-retention", env("TIMELINE_RETENTION", outbox.DefaultRetention.String()), "how long delivered and failed timeline events are kept (and their request_id remembered) before they are deleted; at least 1h (env INTEGRATIONS_TIMELINE_RETENTION)")
	fs.StringVar(&leaseTTL, "timeline-lease-ttl", env("TIMELINE_LEASE_TTL", DefaultLeaseTTL.String()), "one process delivers a database's timeline events; when it dies without releasing its lease, another process (or a restart) takes delivery over after this long (env INTEGRATIONS_TIMELINE_LEASE_TTL)")
	fs.StringVar(&c.TLSCertFile, "tls-cert", env("TLS_CERT", ""), "PEM certificate chain: with --tls-key, gRPC and HTTP are served over TLS, and a renewed pair is picked up without a restart (env INTEGRATIONS_TLS_CERT)")
	fs.StringVar(&c.TLSKeyFile, "tls-key", env("TLS_KEY", ""), "PEM private key of --tls-cert (env INTEGRATIONS_TLS_KEY)")
	var maxConns, cacheBytes string
	fs.StringVar(&maxConns, "max-connections-per-workspace", env("MAX_CONNECTIONS_PER_WORKSPACE", fmt.Sprint(connections.DefaultMaxPerWorkspace)), "most HubSpot connections one workspace may have; Connect beyond it is RESOURCE_EXHAUSTED (env INTEGRATIONS_MAX_CONNECTIONS_PER_WORKSPACE)")
	fs.StringVar(&cacheBytes, "schema-cache-bytes", env("SCHEMA_CACHE_BYTES", fmt.Sprint(DefaultSchemaCacheBytes)), "memory for cached field schemas and DiscoverFields answers, all workspaces together; the least recently used are evicted beyond it (env INTEGRATIONS_SCHEMA_CACHE_BYTES)")
	fs.StringVar(&c.ClientCAFile, "client-ca", env("CLIENT_CA", ""), "PEM CA certificates: with --tls-cert, both listeners require a client certificate signed by one of them (mutual TLS), /healthz and /metrics included; a renewed file is picked up without a restart (env INTEGRATIONS_CLIENT_CA)")
	c.EncryptionKeys = getenv(envPrefix + "ENCRYPTION_KEYS")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	var errs []error
	if c.Sandbox {
		// Demo data never mixes with real connections: runDemo puts the database and the key
		// file in a temporary folder, whatever the environment says (it logs what it ignored).
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "db" || f.Name == "key-file" {
				errs = append(errs, fmt.Errorf("--%s: demo mode (--sandbox) keeps its database and keys in a temporary folder and never opens another; "+
					"to keep data, run the standalone sandbox (server sandbox) and a normal server with --hubspot-base-url pointing at it", f.Name))
			}
		})
		c.DBPath, c.KeyFile, c.EncryptionKeys = "", "", ""
	}
	if c.KeyFile == "" && !c.Sandbox { // runDemo gives demo mode a temporary key file
		c.KeyFile = defaultKeyFile(getenv)
		c.LegacyKeyFile = filepath.Join(filepath.Dir(c.DBPath), keyFileName)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q; see --help", fs.Arg(0))
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", level))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	d, err := time.ParseDuration(timeout)
	if err != nil || d <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-timeout %q: want a positive duration such as 10s", timeout))
	}
	c.ShutdownTimeout = d
	if _, err := fmt.Sscan(maxBytes, &c.MaxRequestBytes); err != nil || c.MaxRequestBytes < 1024 {
		errs = append(errs, fmt.Errorf("--max-request-bytes %q: want a whole number of bytes, at least 1024", maxBytes))
	}
	if hd, err := time.ParseDuration(hubspotTimeout); err != nil || hd <= 0 {
		errs = append(errs, fmt.Errorf("--hubspot-timeout %q: want a positive duration such as 30s", hubspotTimeout))
	} else {
		c.HubSpotTimeout = hd
	}
	if u, err := url.Parse(c.HubSpotBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--hubspot-base-url %q: want an absolute http(s) URL such as %s", c.HubSpotBaseURL, DefaultHubSpotBaseURL))
	}
	if _, err := fmt.Sscan(batchSize, &c.UpsertMaxBatch); err != nil || c.UpsertMaxBatch < 1 || c.UpsertMaxBatch > 100 {
		errs = append(errs, fmt.Errorf("--upsert-batch-size %q: want a whole number from 1 to 100", batchSize))
	}
	if d, err := time.ParseDuration(checkDelay); err != nil || d <= 0 {
		errs = append(errs, fmt.Errorf("--timeline-check-delay %q: want a positive duration such as 30s", checkDelay))
	} else {
		c.CheckDelay = d
	}
	if _, err := fmt.Sscan(maxQueued, &c.TimelineMaxQueued); err != nil || c.TimelineMaxQueued < 1 {
		errs = append(errs, fmt.Errorf("--timeline-max-queued %q: want a whole number of events, at least 1", maxQueued))
	}
	if d, err := time.ParseDuration(retention); err != nil || d < time.Hour {
		errs = append(errs, fmt.Errorf("--timeline-retention %q: want a duration of at least 1h, such as 720h (30 days)", retention))
	} else {
		c.TimelineRetention = d
	}
	if d, err := time.ParseDuration(leaseTTL); err != nil || d < minLeaseTTL {
		errs = append(errs, fmt.Errorf("--timeline-lease-ttl %q: want a duration of at least %v, such as %v", leaseTTL, minLeaseTTL, DefaultLeaseTTL))
	} else {
		c.LeaseTTL = d
	}
	if _, err := fmt.Sscan(maxConns, &c.MaxConnectionsPerWorkspace); err != nil || c.MaxConnectionsPerWorkspace < 1 || c.MaxConnectionsPerWorkspace > 10000 {
		errs = append(errs, fmt.Errorf("--max-connections-per-workspace %q: want a whole number from 1 to 10000", maxConns))
	}
	if _, err := fmt.Sscan(cacheBytes, &c.SchemaCacheBytes); err != nil || c.SchemaCacheBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("--schema-cache-bytes %q: want a whole number of bytes, at least 1048576 (1 MiB)", cacheBytes))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together: give both to serve over TLS, or neither"))
	}
	if c.ClientCAFile != "" && c.TLSCertFile == "" {
		errs = append(errs, errors.New("--client-ca needs --tls-cert and --tls-key: client certificates are checked in the TLS handshake, so the server must serve TLS"))
	}
	if strings.TrimSpace(c.DBPath) == "" && !c.Sandbox {
		errs = append(errs, errors.New("--db must not be empty"))
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
