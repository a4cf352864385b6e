package app

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectflo/integrations/internal/secrets"
)

// TestWarnsAtStartOnPlainHTTPHubSpot: one warning line at start when tokens would go to
// HubSpot unencrypted beyond loopback, none for https or the loopback sandbox.
func TestWarnsAtStartOnPlainHTTPHubSpot(t *testing.T) {
	const warning = "the HubSpot base URL is plain http:// to another machine"
	key, err := secrets.NewKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		baseURL string
		want    int // warning lines
	}{
		{"http://10.1.2.3:8089", 1},
		{"http://hubspot-proxy.internal", 1},
		{"https://10.1.2.3", 0},
		{"http://127.0.0.1:8089", 0},
		{DefaultHubSpotBaseURL, 0},
	}
	for _, tc := range tests {
		t.Run(tc.baseURL, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
			cfg.DBPath = filepath.Join(t.TempDir(), "db")
			cfg.EncryptionKeys = secrets.FormatKeys(key)
			cfg.HubSpotBaseURL = tc.baseURL
			var logs bytes.Buffer
			s, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			s.closeAll()
			if got := strings.Count(logs.String(), warning); got != tc.want {
				t.Errorf("%d warning line(s), want %d; logs:\n%s", got, tc.want, logs.String())
			}
			if tc.want > 0 && !strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("the line is not a warning:\n%s", logs.String())
			}
		})
	}
}
