package app

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/outbox"
	"github.com/connectflo/integrations/internal/poller"
)

func TestParseConfigPrecedence(t *testing.T) {
	env := map[string]string{"INTEGRATIONS_GRPC_ADDR": "127.0.0.1:1", "INTEGRATIONS_DB": "/tmp/env.db", "INTEGRATIONS_LOG_LEVEL": "debug",
		"HUBSPOT_BASE_URL": "http://127.0.0.1:9", "INTEGRATIONS_ENCRYPTION_KEYS": "k1:xyz"}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		name string
		args []string
		want Config
	}{
		{"defaults", nil, Config{GRPCAddr: DefaultGRPCAddr, HTTPAddr: DefaultHTTPAddr, DBPath: DefaultDBPath, LogLevel: slog.LevelInfo,
			LogFormat: "text", ShutdownTimeout: DefaultShutdownTimeout, MaxRequestBytes: DefaultMaxRequestBytes,
			HubSpotBaseURL: DefaultHubSpotBaseURL, HubSpotTimeout: DefaultHubSpotTimeout, HubSpotAPIVersion: hubspot.DefaultAPIVersion, LegacyKeyFile: "data/encryption.keys", SandboxAddr: DefaultSandboxAddr, UpsertMaxBatch: 100, CheckDelay: 30 * time.Second,
			TimelineMaxQueued: outbox.DefaultMaxQueued, TimelineRetention: 30 * 24 * time.Hour, ChangesRetention: 7 * 24 * time.Hour, LeaseTTL: DefaultLeaseTTL,
			PollOverlap: poller.DefaultOverlap, PollSearchShare: 1, PollLeaseTTL: poller.DefaultLeaseTTL, WebhookLeaseTTL: changes.DefaultInboxLeaseTTL,
			MaxConnectionsPerWorkspace: 25, SchemaCacheBytes: DefaultSchemaCacheBytes, DrainDelay: DefaultDrainDelay}},
		{"flags", []string{"--grpc-addr", ":1", "--http-addr", ":2", "--db", "x/y.db", "--log-format", "json", "--shutdown-timeout", "3s", "--max-request-bytes", "2048",
			"--hubspot-base-url", "http://127.0.0.1:8089", "--hubspot-timeout", "5s", "--hubspot-api-version", "v3", "--key-file", "k", "--sandbox-addr", ":3"},
			Config{GRPCAddr: ":1", HTTPAddr: ":2", DBPath: "x/y.db", LogLevel: slog.LevelInfo, LogFormat: "json", ShutdownTimeout: 3 * time.Second, MaxRequestBytes: 2048,
				HubSpotBaseURL: "http://127.0.0.1:8089", HubSpotTimeout: 5 * time.Second, HubSpotAPIVersion: hubspot.APIVersionV3, KeyFile: "k", SandboxAddr: ":3", UpsertMaxBatch: 100, CheckDelay: 30 * time.Second,
				TimelineMaxQueued: outbox.DefaultMaxQueued, TimelineRetention: 30 * 24 * time.Hour, ChangesRetention: 7 * 24 * time.Hour, LeaseTTL: DefaultLeaseTTL,
				PollOverlap: poller.DefaultOverlap, PollSearchShare: 1, PollLeaseTTL: poller.DefaultLeaseTTL, WebhookLeaseTTL: changes.DefaultInboxLeaseTTL,
				MaxConnectionsPerWorkspace: 25, SchemaCacheBytes: DefaultSchemaCacheBytes, DrainDelay: DefaultDrainDelay}},
		{"demo mode names no database or key file: runDemo makes temporary ones", []string{"--sandbox", "--sandbox-addr", "0.0.0.0:8089", "--sandbox-allow-remote-admin"},
			Config{GRPCAddr: DefaultGRPCAddr, HTTPAddr: DefaultHTTPAddr, LogLevel: slog.LevelInfo, LogFormat: "text", ShutdownTimeout: DefaultShutdownTimeout, MaxRequestBytes: DefaultMaxRequestBytes,
				HubSpotBaseURL: DefaultHubSpotBaseURL, HubSpotTimeout: DefaultHubSpotTimeout, HubSpotAPIVersion: hubspot.DefaultAPIVersion, Sandbox: true, SandboxAddr: "0.0.0.0:8089", SandboxAllowRemoteAdmin: true, UpsertMaxBatch: 100, CheckDelay: 30 * time.Second,
				TimelineMaxQueued: outbox.DefaultMaxQueued, TimelineRetention: 30 * 24 * time.Hour, ChangesRetention: 7 * 24 * time.Hour, LeaseTTL: DefaultLeaseTTL,
				PollOverlap: poller.DefaultOverlap, PollSearchShare: 1, PollLeaseTTL: poller.DefaultLeaseTTL, WebhookLeaseTTL: changes.DefaultInboxLeaseTTL,
				MaxConnectionsPerWorkspace: 25, SchemaCacheBytes: DefaultSchemaCacheBytes, DrainDelay: DefaultDrainDelay}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig("server", tc.args, func(string) string { return "" }, io.Discard)
			if err != nil || got != tc.want {
				t.Errorf("ParseConfig = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	t.Run("timeline limits from flags and environment", func(t *testing.T) {
		env := map[string]string{"INTEGRATIONS_TIMELINE_MAX_QUEUED": "500", "INTEGRATIONS_TIMELINE_RETENTION": "168h"}
		got, err := ParseConfig("server", nil, func(k string) string { return env[k] }, io.Discard)
		if err != nil || got.TimelineMaxQueued != 500 || got.TimelineRetention != 7*24*time.Hour {
			t.Errorf("from env: %d, %s, %v; want 500 and 168h", got.TimelineMaxQueued, got.TimelineRetention, err)
		}
		got, err = ParseConfig("server", []string{"--timeline-max-queued", "20", "--timeline-retention", "2h"}, func(k string) string { return env[k] }, io.Discard)
		if err != nil || got.TimelineMaxQueued != 20 || got.TimelineRetention != 2*time.Hour {
			t.Errorf("flags over env: %d, %s, %v; want 20 and 2h", got.TimelineMaxQueued, got.TimelineRetention, err)
		}
	})
	t.Run("environment under flags", func(t *testing.T) {
		got, err := ParseConfig("server", []string{"--db", "flag.db"}, getenv, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if got.GRPCAddr != "127.0.0.1:1" || got.DBPath != "flag.db" || got.LogLevel != slog.LevelDebug ||
			got.HubSpotBaseURL != "http://127.0.0.1:9" || got.EncryptionKeys != "k1:xyz" || got.LegacyKeyFile != "encryption.keys" {
			t.Errorf("got %+v; want env for the gRPC address, log level, HubSpot URL and keys, the flag for the database", got)
		}
	})
}

// TestDemoModeTakesNoProductionState: with the production database and keys in the
// environment, demo mode names none of them; given as flags, it refuses them.
func TestDemoModeTakesNoProductionState(t *testing.T) {
	env := map[string]string{"INTEGRATIONS_DB": "/srv/prod.db", "INTEGRATIONS_KEY_FILE": "/srv/prod.keys", "INTEGRATIONS_ENCRYPTION_KEYS": "k1:xyz"}
	got, err := ParseConfig("server", []string{"--sandbox"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || got.DBPath != "" || got.KeyFile != "" || got.EncryptionKeys != "" || !got.Sandbox {
		t.Errorf("ParseConfig(--sandbox) with production env = %+v, %v; want no database, key file or keys", got, err)
	}
	for _, args := range [][]string{{"--sandbox", "--db", "/srv/prod.db"}, {"--sandbox", "--key-file", "/srv/prod.keys"}} {
		if _, err := ParseConfig("server", args, func(string) string { return "" }, io.Discard); err == nil || !strings.Contains(err.Error(), args[1]) || !strings.Contains(err.Error(), "temporary folder") {
			t.Errorf("ParseConfig(%v) = %v; want a refusal naming %s", args, err, args[1])
		}
	}
}

func TestParseConfigRejectsBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--log-level", "loud"},
		{"--log-format", "xml"},
		{"--shutdown-timeout", "soon"},
		{"--shutdown-timeout", "-1s"},
		{"--max-request-bytes", "12"},
		{"--db", " "},
		{"--hubspot-base-url", "ftp://x"},
		{"--hubspot-timeout", "0s"},
		{"--hubspot-api-version", "v4"},
		{"--hubspot-api-version", "2026-09"},
		{"--upsert-batch-size", "101"},
		{"--timeline-check-delay", "never"},
		{"--timeline-max-queued", "0"},
		{"--timeline-max-queued", "lots"},
		{"--timeline-retention", "30m"},
		{"--timeline-retention", "forever"},
		{"--timeline-lease-ttl", "100ms"},
		{"--max-connections-per-workspace", "0"},
		{"--max-connections-per-workspace", "many"},
		{"--schema-cache-bytes", "1000"},
		{"stray"},
		{"--no-such-flag"},
	} {
		if _, err := ParseConfig("server", args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("ParseConfig(%v) accepted bad input", args)
		} else if !strings.Contains(err.Error(), strings.TrimPrefix(args[0], "--")) && args[0] != "stray" && args[0] != "--no-such-flag" {
			t.Errorf("ParseConfig(%v) error %q does not name the flag", args, err)
		}
	}
}

// TestHubSpotAPIVersionRefusals: a HubSpot API version the client does not call is refused
// at start, from a flag or from the environment, with the accepted values named.
func TestHubSpotAPIVersionRefusals(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantFrom string
	}{
		{"flag", []string{"--hubspot-api-version", "v4"}, nil, "--hubspot-api-version"},
		{"environment", nil, map[string]string{"HUBSPOT_API_VERSION": "2025-09"}, "HUBSPOT_API_VERSION"},
		{"empty environment value", nil, map[string]string{"HUBSPOT_API_VERSION": " "}, "HUBSPOT_API_VERSION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("server", tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err == nil {
				t.Fatal("ParseConfig accepted an unknown HubSpot API version")
			}
			for _, want := range []string{tt.wantFrom, "2026-03 or v3"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}
