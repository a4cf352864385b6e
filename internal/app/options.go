package app

import (
	"fmt"
	"time"

	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/outbox"
	"github.com/connectflo/integrations/internal/poller"
)

// configOptions is every option of the server, bound to the fields of c. It is the one place
// where an option's flag, environment variable, default, help and rule are written: the
// flags, the environment lookup, --help, the subcommands' flags and the table of
// docs/configuration.md (checked by TestConfigurationDocListsEveryOption) all come from it. Adding an option is one row
// here and one field in Config.
func configOptions(c *Config) []option {
	return []option{
		{flag: "grpc-addr", env: "INTEGRATIONS_GRPC_ADDR", def: DefaultGRPCAddr, value: address(&c.GRPCAddr),
			help: "gRPC listen address"},
		{flag: "http-addr", env: "INTEGRATIONS_HTTP_ADDR", def: DefaultHTTPAddr, value: address(&c.HTTPAddr),
			help: "HTTP listen address: REST gateway, /livez, /readyz, /metrics, /openapi.json"},
		{flag: "db", env: "INTEGRATIONS_DB", def: DefaultDBPath, value: nonBlank(&c.DBPath, "path or postgres:// URL"), notInDemo: true,
			help: "the database: a SQLite file, created on first start, or a postgres:// (postgresql://) URL of an existing PostgreSQL database, which several replicas may share"},
		{flag: "log-level", env: "INTEGRATIONS_LOG_LEVEL", def: "info", value: logLevel(&c.LogLevel),
			help: "log level"},
		{flag: "log-format", env: "INTEGRATIONS_LOG_FORMAT", def: "text", value: oneOf(&c.LogFormat, "text", "json"),
			help: "log format"},
		{flag: "shutdown-timeout", env: "INTEGRATIONS_SHUTDOWN_TIMEOUT", def: shortDuration(DefaultShutdownTimeout), value: duration(&c.ShutdownTimeout, 0),
			help: "the whole drain at shutdown: in-flight calls, queued upserts and timeline batches, each stage cut at its share"},
		{flag: "drain-delay", env: "INTEGRATIONS_DRAIN_DELAY", def: shortDuration(DefaultDrainDelay), value: delay(&c.DrainDelay),
			help: "at shutdown, how long readiness (/readyz, /healthz, gRPC health) answers NOT_SERVING while calls are still served, so that load balancers " +
				"stop sending before the drain of --shutdown-timeout begins; 0 drains at once, as demo mode always does"},
		{flag: "max-request-bytes", env: "INTEGRATIONS_MAX_REQUEST_BYTES", def: fmt.Sprint(DefaultMaxRequestBytes), value: wholeNumber(&c.MaxRequestBytes, "of bytes", 1024, 0),
			help: "largest accepted request body or message"},
		{flag: "hubspot-base-url", env: "HUBSPOT_BASE_URL", def: DefaultHubSpotBaseURL, value: httpURL(&c.HubSpotBaseURL),
			help: "HubSpot API base URL, e.g. a standalone sandbox's"},
		{flag: "hubspot-api-version", env: "HUBSPOT_API_VERSION", def: string(hubspot.DefaultAPIVersion), value: apiVersion(&c.HubSpotAPIVersion),
			help: "HubSpot's API paths to call: 2026-03, its date-versioned API, or v3, the legacy paths (/crm/v3, /crm/v4 for associations) that HubSpot supports until September 2027"},
		{flag: "hubspot-timeout", env: "INTEGRATIONS_HUBSPOT_TIMEOUT", def: shortDuration(DefaultHubSpotTimeout), value: duration(&c.HubSpotTimeout, 0),
			help: "timeout of one HubSpot request attempt"},
		{env: "INTEGRATIONS_ENCRYPTION_KEYS", value: anyText(&c.EncryptionKeys), notInDemo: true, secret: true, // never a flag: flags show in ps
			help: "token encryption keys, id:base64key (32 bytes), comma-separated, primary first; when set, the key file is not read"},
		{flag: "key-file", env: "INTEGRATIONS_KEY_FILE", defaultDoc: defaultKeyFileDoc, value: file(&c.KeyFile), notInDemo: true,
			help: "token encryption key file, created (0600) if missing, never beside the database by default, so that a backup of the data does not carry its key " +
				"(a key file an earlier version created beside the database is still used, with a warning); ignored when INTEGRATIONS_ENCRYPTION_KEYS is set"},
		{flag: "sandbox", env: "INTEGRATIONS_SANDBOX", value: boolean(&c.Sandbox),
			help: "demo mode: start the embedded HubSpot sandbox with sample data, use it as HubSpot, and print a ready API key and tokens; " +
				"its database and keys live in a temporary folder, removed at exit"},
		{flag: "sandbox-addr", env: "INTEGRATIONS_SANDBOX_ADDR", def: DefaultSandboxAddr, value: address(&c.SandboxAddr),
			help: "listen address of the embedded sandbox in demo mode, on loopback unless --sandbox-allow-remote-admin"},
		{flag: "sandbox-allow-remote-admin", value: boolean(&c.SandboxAllowRemoteAdmin),
			help: "let --sandbox-addr be beyond loopback, where other hosts can read the sandbox's tokens through its unauthenticated /_sandbox admin API"},
		{flag: "upsert-batch-size", env: "INTEGRATIONS_UPSERT_BATCH_SIZE", def: "100", value: wholeNumber(&c.UpsertMaxBatch, "", 1, 100),
			help: "most contacts per HubSpot batch upsert; 1 switches batching off"},
		{flag: "timeline-check-delay", env: "INTEGRATIONS_TIMELINE_CHECK_DELAY", def: "30s", value: duration(&c.CheckDelay, 0),
			help: "how long after a timeline send with an unknown outcome HubSpot is searched for it before any resend: " +
				"longer is safer against HubSpot's search lag, shorter delivers sooner"},
		{flag: "timeline-max-queued", env: "INTEGRATIONS_TIMELINE_MAX_QUEUED", def: fmt.Sprint(outbox.DefaultMaxQueued), value: wholeNumber(&c.TimelineMaxQueued, "of events", 1, 0),
			help: "most timeline events a connection may have waiting for delivery; LogTimelineEvent answers RESOURCE_EXHAUSTED beyond it"},
		{flag: "timeline-retention", env: "INTEGRATIONS_TIMELINE_RETENTION", def: shortDuration(outbox.DefaultRetention), value: duration(&c.TimelineRetention, time.Hour),
			help: "how long delivered and failed timeline events are kept (and their request_id remembered) before they are deleted"},
		{flag: "timeline-lease-ttl", env: "INTEGRATIONS_TIMELINE_LEASE_TTL", def: shortDuration(DefaultLeaseTTL), value: duration(&c.LeaseTTL, minLeaseTTL),
			help: "one process delivers a database's timeline events; when it dies without releasing its lease, another process (or a restart) takes delivery over after this long"},
		{flag: "changes-retention", env: "INTEGRATIONS_CHANGES_RETENTION", def: shortDuration(changes.DefaultRetention), value: duration(&c.ChangesRetention, time.Hour),
			help: "how long changes detected in HubSpot are kept for WatchChanges and ListChanges; a cursor older than this is FAILED_PRECONDITION CHANGE_CURSOR_EXPIRED"},
		{flag: "public-url", env: "INTEGRATIONS_PUBLIC_URL", value: httpURL(&c.PublicURL),
			help: "the server's public base URL as HubSpot reaches the HTTP listener (e.g. https://integrations.example.com): the webhook URL shown in ChangeSettings, " +
				"and the URL webhook signatures are checked against; unset, the request's Host header over the listener's scheme"},
		{flag: "poll-overlap", env: "INTEGRATIONS_POLL_OVERLAP", def: shortDuration(poller.DefaultOverlap), value: duration(&c.PollOverlap, time.Second),
			help: "how far back each poll reads again; it must exceed HubSpot's search lag (a few seconds), or a write indexed late is missed"},
		{flag: "poll-lease-ttl", env: "INTEGRATIONS_POLL_LEASE_TTL", def: shortDuration(poller.DefaultLeaseTTL), value: duration(&c.PollLeaseTTL, 2*time.Second),
			help: "one process polls each connection (a lease per connection in the database); a poll is cut at half of this and goes on at once from its saved cursor, and when the process dies without releasing its leases, a restart or another process polls after this long"},
		{flag: "webhook-lease-ttl", env: "INTEGRATIONS_WEBHOOK_LEASE_TTL", def: shortDuration(changes.DefaultInboxLeaseTTL), value: duration(&c.WebhookLeaseTTL, minLeaseTTL),
			help: "any process accepts HubSpot's webhooks, and one turns them into changes (a lease in the database); when it dies without releasing it, another process takes over after this long, and webhooks accepted meanwhile wait for it"},
		{flag: "poll-search-share", env: "INTEGRATIONS_POLL_SEARCH_SHARE", def: "1", value: wholeNumber(&c.PollSearchShare, "of searches per second", 1, 5),
			help: "of HubSpot's 5 searches per second per account, how many polling may use"},
		{flag: "max-connections-per-workspace", env: "INTEGRATIONS_MAX_CONNECTIONS_PER_WORKSPACE", def: fmt.Sprint(connections.DefaultMaxPerWorkspace),
			value: wholeNumber(&c.MaxConnectionsPerWorkspace, "", 1, 10000),
			help:  "most HubSpot connections one workspace may have; Connect beyond it is RESOURCE_EXHAUSTED"},
		{flag: "schema-cache-bytes", env: "INTEGRATIONS_SCHEMA_CACHE_BYTES", def: fmt.Sprint(DefaultSchemaCacheBytes), value: wholeNumber(&c.SchemaCacheBytes, "of bytes", 1<<20, 0),
			help: "memory for cached field schemas and DiscoverFields answers, all workspaces together; the least recently used are evicted beyond it"},
		{flag: "tls-cert", env: "INTEGRATIONS_TLS_CERT", value: file(&c.TLSCertFile),
			help: "PEM certificate chain: with --tls-key, gRPC and HTTP are served over TLS, and a renewed pair is picked up without a restart"},
		{flag: "tls-key", env: "INTEGRATIONS_TLS_KEY", value: file(&c.TLSKeyFile),
			help: "PEM private key of --tls-cert"},
		{flag: "client-ca", env: "INTEGRATIONS_CLIENT_CA", value: file(&c.ClientCAFile),
			help: "PEM CA certificates: with --tls-cert, both listeners require a client certificate signed by one of them (mutual TLS), " +
				"the probes and /metrics included; a renewed file is picked up without a restart"},
	}
}

// defaultKeyFileDoc says where defaultKeyFile puts the key file, for --help and docs/configuration.md.
const defaultKeyFileDoc = "$XDG_CONFIG_HOME/" + keyFileFolder + "/" + keyFileName + ", else ~/.config/" + keyFileFolder + "/" + keyFileName

// pickOptions returns the named options of table, for a subcommand that reads only those.
// An unknown name is a bug in the caller, caught by any run of that subcommand.
func pickOptions(table []option, flags ...string) []option {
	var picked []option
	for _, name := range flags {
		i := indexOption(table, name)
		if i < 0 {
			panic("app: no option --" + name)
		}
		picked = append(picked, table[i])
	}
	return picked
}

func indexOption(table []option, flag string) int {
	for i, o := range table {
		if o.flag == flag {
			return i
		}
	}
	return -1
}

// demoIgnoredEnv are the environment variables of the production settings demo mode never
// uses: its database and keys live in a temporary folder, so a demo never adds a key to, nor
// resumes the outbox of, a real database.
func demoIgnoredEnv() []string {
	var names []string
	for _, o := range configOptions(&Config{}) {
		if o.notInDemo && o.env != "" {
			names = append(names, o.env)
		}
	}
	return names
}
