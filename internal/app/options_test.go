package app

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/hubspot"
)

// optionCase says, for one option, two values it takes (a and b) with the field each gives,
// and a value it refuses ("" when it takes any text, checked where it is used).
type optionCase struct {
	a, b         string
	wantA, wantB any
	field        func(Config) any
	bad          string
	with         []string // flags another rule needs beside it
}

// optionCases has one case per option of configOptions, by the option's name.
var optionCases = map[string]optionCase{
	"--grpc-addr":  {a: "127.0.0.1:1", b: ":2", wantA: "127.0.0.1:1", wantB: ":2", bad: "localhost", field: func(c Config) any { return c.GRPCAddr }},
	"--http-addr":  {a: "127.0.0.1:1", b: ":2", wantA: "127.0.0.1:1", wantB: ":2", bad: "8080", field: func(c Config) any { return c.HTTPAddr }},
	"--db":         {a: "a.db", b: "b/b.db", wantA: "a.db", wantB: "b/b.db", bad: " ", field: func(c Config) any { return c.DBPath }},
	"--log-level":  {a: "debug", b: "warn", wantA: slog.LevelDebug, wantB: slog.LevelWarn, bad: "loud", field: func(c Config) any { return c.LogLevel }},
	"--log-format": {a: "json", b: "text", wantA: "json", wantB: "text", bad: "xml", field: func(c Config) any { return c.LogFormat }},
	"--shutdown-timeout": {a: "3s", b: "1m", wantA: 3 * time.Second, wantB: time.Minute, bad: "-1s",
		field: func(c Config) any { return c.ShutdownTimeout }},
	"--drain-delay": {a: "0", b: "30s", wantA: time.Duration(0), wantB: 30 * time.Second, bad: "-1s",
		field: func(c Config) any { return c.DrainDelay }},
	"--max-request-bytes": {a: "2048", b: "1024", wantA: 2048, wantB: 1024, bad: "12", field: func(c Config) any { return c.MaxRequestBytes }},
	"--hubspot-base-url": {a: "http://127.0.0.1:8089", b: "https://example.test", wantA: "http://127.0.0.1:8089", wantB: "https://example.test", bad: "ftp://x",
		field: func(c Config) any { return c.HubSpotBaseURL }},
	"--hubspot-api-version": {a: "v3", b: "2026-03", wantA: hubspot.APIVersionV3, wantB: hubspot.APIVersion202603, bad: "v4",
		field: func(c Config) any { return c.HubSpotAPIVersion }},
	"--hubspot-timeout": {a: "5s", b: "2m", wantA: 5 * time.Second, wantB: 2 * time.Minute, bad: "0s", field: func(c Config) any { return c.HubSpotTimeout }},
	"INTEGRATIONS_ENCRYPTION_KEYS": {a: "k1:xyz", b: "k2:abc", wantA: "k1:xyz", wantB: "k2:abc",
		field: func(c Config) any { return c.EncryptionKeys }},
	"--key-file":                   {a: "a.keys", b: "b.keys", wantA: "a.keys", wantB: "b.keys", field: func(c Config) any { return c.KeyFile }},
	"--sandbox":                    {a: "true", b: "false", wantA: true, wantB: false, bad: "maybe", field: func(c Config) any { return c.Sandbox }},
	"--sandbox-addr":               {a: "0.0.0.0:1", b: ":2", wantA: "0.0.0.0:1", wantB: ":2", bad: "nowhere", field: func(c Config) any { return c.SandboxAddr }},
	"--sandbox-allow-remote-admin": {a: "true", b: "false", wantA: true, wantB: false, bad: "perhaps", field: func(c Config) any { return c.SandboxAllowRemoteAdmin }},
	"--upsert-batch-size":          {a: "1", b: "50", wantA: 1, wantB: 50, bad: "101", field: func(c Config) any { return c.UpsertMaxBatch }},
	"--timeline-check-delay": {a: "300ms", b: "1m", wantA: 300 * time.Millisecond, wantB: time.Minute, bad: "never",
		field: func(c Config) any { return c.CheckDelay }},
	"--timeline-max-queued": {a: "20", b: "500", wantA: 20, wantB: 500, bad: "0", field: func(c Config) any { return c.TimelineMaxQueued }},
	"--timeline-retention": {a: "2h", b: "168h", wantA: 2 * time.Hour, wantB: 168 * time.Hour, bad: "30m",
		field: func(c Config) any { return c.TimelineRetention }},
	"--changes-retention": {a: "2h", b: "720h", wantA: 2 * time.Hour, wantB: 720 * time.Hour, bad: "30m",
		field: func(c Config) any { return c.ChangesRetention }},
	"--public-url": {a: "https://integrations.example.com", b: "http://127.0.0.1:8080", wantA: "https://integrations.example.com", wantB: "http://127.0.0.1:8080",
		bad: "integrations.example.com", field: func(c Config) any { return c.PublicURL }},
	"--timeline-lease-ttl": {a: "1s", b: "1m", wantA: time.Second, wantB: time.Minute, bad: "100ms", field: func(c Config) any { return c.LeaseTTL }},
	"--poll-overlap":       {a: "5s", b: "2m", wantA: 5 * time.Second, wantB: 2 * time.Minute, bad: "0s", field: func(c Config) any { return c.PollOverlap }},
	"--webhook-lease-ttl":  {a: "1s", b: "1m", wantA: time.Second, wantB: time.Minute, bad: "100ms", field: func(c Config) any { return c.WebhookLeaseTTL }},
	"--poll-lease-ttl":     {a: "2s", b: "10m", wantA: 2 * time.Second, wantB: 10 * time.Minute, bad: "1s", field: func(c Config) any { return c.PollLeaseTTL }},
	"--poll-search-share":  {a: "1", b: "5", wantA: 1, wantB: 5, bad: "6", field: func(c Config) any { return c.PollSearchShare }},
	"--max-connections-per-workspace": {a: "2", b: "10000", wantA: 2, wantB: 10000, bad: "many",
		field: func(c Config) any { return c.MaxConnectionsPerWorkspace }},
	"--schema-cache-bytes": {a: "1048576", b: "2097152", wantA: int64(1 << 20), wantB: int64(2 << 20), bad: "1000",
		field: func(c Config) any { return c.SchemaCacheBytes }},
	"--tls-cert": {a: "a.crt", b: "b.crt", wantA: "a.crt", wantB: "b.crt", with: []string{"--tls-key", "x.key"}, field: func(c Config) any { return c.TLSCertFile }},
	"--tls-key":  {a: "a.key", b: "b.key", wantA: "a.key", wantB: "b.key", with: []string{"--tls-cert", "x.crt"}, field: func(c Config) any { return c.TLSKeyFile }},
	"--client-ca": {a: "a.pem", b: "b.pem", wantA: "a.pem", wantB: "b.pem", with: []string{"--tls-cert", "x.crt", "--tls-key", "x.key"},
		field: func(c Config) any { return c.ClientCAFile }},
}

// TestEveryOption: each option is read from its flag and from its variable, the flag wins
// over the variable, and a value it does not take is refused by an error naming where the
// value came from and what is wanted.
func TestEveryOption(t *testing.T) {
	options := configOptions(&Config{})
	if len(optionCases) != len(options) {
		t.Errorf("%d option cases for %d options: each option needs exactly one case", len(optionCases), len(options))
	}
	for _, o := range options {
		tc, ok := optionCases[o.name()]
		if !ok {
			t.Errorf("no case for option %s in optionCases", o.name())
			continue
		}
		t.Run(o.name(), func(t *testing.T) {
			parse := func(args []string, env map[string]string) (Config, error) {
				return ParseConfig("server", append(append([]string(nil), tc.with...), args...), func(k string) string { return env[k] }, io.Discard)
			}
			check := func(how string, args []string, env map[string]string, want any) {
				t.Helper()
				c, err := parse(args, env)
				if err != nil {
					t.Fatalf("%s: %v", how, err)
				}
				if diff := cmp.Diff(want, tc.field(c)); diff != "" {
					t.Errorf("%s: field (-want +got):\n%s", how, diff)
				}
			}
			if o.flag != "" {
				check("flag", []string{"--" + o.flag + "=" + tc.a}, nil, tc.wantA)
			}
			if o.env != "" {
				check("variable", nil, map[string]string{o.env: tc.b}, tc.wantB)
			}
			if o.flag != "" && o.env != "" {
				check("flag over variable", []string{"--" + o.flag + "=" + tc.a}, map[string]string{o.env: tc.b}, tc.wantA)
			}
			if tc.bad == "" {
				return
			}
			if o.flag != "" {
				_, err := parse([]string{"--" + o.flag + "=" + tc.bad}, nil)
				wantRefusal(t, err, "--"+o.flag, tc.bad)
			}
			if o.env != "" {
				_, err := parse(nil, map[string]string{o.env: tc.bad})
				wantRefusal(t, err, o.env, tc.bad)
			}
		})
	}
}

func wantRefusal(t *testing.T, err error, source, bad string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s %q accepted; want a refusal", source, bad)
	} else if msg := err.Error(); !strings.HasPrefix(msg, source+" ") || !strings.Contains(msg, ": want ") {
		t.Errorf("%s %q refused with %q; want an error naming %s and what is wanted", source, bad, msg, source)
	}
}

// TestSecretOptionRefusalHidesValue: a secret option's refusal names the option and what is
// wanted, never the value.
func TestSecretOptionRefusalHidesValue(t *testing.T) {
	o := option{env: "INTEGRATIONS_SECRET", secret: true, value: valueParser{want: "a `key`"}}
	if err := o.refusal(o.env, "s3cret"); strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "INTEGRATIONS_SECRET: want a key") {
		t.Errorf("refusal = %q; want the variable and what is wanted, without the value", err)
	}
}

// TestHelpListsEveryOption: --help shows every option with its variable and default, and the
// options a help text refers to exist.
func TestHelpListsEveryOption(t *testing.T) {
	var out bytes.Buffer
	if _, err := ParseConfig("server", []string{"--help"}, func(string) string { return "" }, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v; want flag.ErrHelp", err)
	}
	help := out.String()
	names := map[string]bool{}
	for _, o := range configOptions(&Config{}) {
		names["--"+o.flag], names[o.env] = true, true
		for _, want := range []string{"-" + o.flag, o.env, o.def, o.defaultDoc} {
			if !strings.Contains(help, want) {
				t.Errorf("--help does not show %q of option %s", want, o.name())
			}
		}
	}
	if !strings.Contains(help, "it refuses --db and --key-file and ignores INTEGRATIONS_DB, INTEGRATIONS_ENCRYPTION_KEYS and INTEGRATIONS_KEY_FILE.") {
		t.Errorf("--help does not say which options demo mode does not read:\n%s", help)
	}
	for _, o := range configOptions(&Config{}) {
		for _, ref := range regexp.MustCompile(`--[a-z-]+|\b(INTEGRATIONS|HUBSPOT)_[A-Z_]+`).FindAllString(o.help, -1) {
			if !names[ref] {
				t.Errorf("help of %s refers to %s, which is no option", o.name(), ref)
			}
		}
	}
}

// TestAPIKeyCommandsShareTheDBOption: the apikey commands read --db through the same option
// as the server: INTEGRATIONS_DB is honoured, the flag wins, a blank path is refused.
func TestAPIKeyCommandsShareTheDBOption(t *testing.T) {
	dir := t.TempDir()
	envDB, flagDB := dir+"/env.db", dir+"/flag.db"
	getenv := func(k string) string { return map[string]string{"INTEGRATIONS_DB": envDB}[k] }
	cases := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"variable", []string{"apikey", "list"}, "no database at " + envDB},
		{"flag over variable", []string{"apikey", "list", "--db", flagDB}, "no database at " + flagDB},
		{"blank", []string{"apikey", "revoke", "--db", " ", "id"}, `--db " ": want a non-empty path`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Run(t.Context(), tc.args, getenv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run(%q) = %v; want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
