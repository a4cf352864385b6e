package app

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectflo/integrations/internal/secrets"
)

// Where the token encryption keys come from when INTEGRATIONS_ENCRYPTION_KEYS is unset: never
// created beside the database, and an existing key file there keeps working, with a warning.
func TestKeyFileLocation(t *testing.T) {
	const besideWarning = "is in the database's folder"
	cases := []struct {
		name        string
		env         map[string]string // "$T" is replaced by the test's temporary folder
		args        []string
		legacyKey   bool   // an earlier version's key file exists beside the database
		wantFile    string // the key file used, under $T; "" when loading must fail
		wantWarning bool   // the beside-the-database warning
		wantErr     string
	}{
		{name: "fresh install: under $HOME/.config", env: map[string]string{"HOME": "$T/home"},
			wantFile: "home/.config/connectflo-integrations/encryption.keys"},
		{name: "XDG_CONFIG_HOME wins over HOME", env: map[string]string{"HOME": "$T/home", "XDG_CONFIG_HOME": "$T/xdg"},
			wantFile: "xdg/connectflo-integrations/encryption.keys"},
		{name: "a relative XDG_CONFIG_HOME is ignored", env: map[string]string{"HOME": "$T/home", "XDG_CONFIG_HOME": "rel"},
			wantFile: "home/.config/connectflo-integrations/encryption.keys"},
		{name: "existing key file beside the database is still used", env: map[string]string{"HOME": "$T/home"}, legacyKey: true,
			wantFile: "data/encryption.keys", wantWarning: true},
		{name: "explicit key file", env: map[string]string{"HOME": "$T/home", "INTEGRATIONS_KEY_FILE": "$T/secure/k"}, legacyKey: true,
			wantFile: "secure/k"},
		{name: "explicit key file beside the database warns", args: []string{"--key-file", "$T/data/mine.keys"},
			wantFile: "data/mine.keys", wantWarning: true},
		{name: "no home and no key file", env: map[string]string{}, wantErr: "--key-file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			expand := func(s string) string { return strings.ReplaceAll(s, "$T", dir) }
			db := filepath.Join(dir, "data", "integrations.db")
			var legacy secrets.Key
			if tc.legacyKey {
				var err error
				if legacy, err = secrets.NewKey("legacy"); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Dir(db), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "data", "encryption.keys"), []byte(secrets.FormatKeys(legacy)+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"--db", db}
			for _, a := range tc.args {
				args = append(args, expand(a))
			}
			cfg, err := ParseConfig("server", args, func(k string) string { return expand(tc.env[k]) }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			ring, _, err := loadKeyRing(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("loadKeyRing = %v; want an error mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, tc.wantFile)); err != nil {
				t.Errorf("key file %s: %v", tc.wantFile, err)
			}
			if tc.legacyKey && tc.wantFile == "data/encryption.keys" && ring.PrimaryID() != legacy.ID {
				t.Errorf("primary key %q; want the existing file's %q", ring.PrimaryID(), legacy.ID)
			}
			if _, err := os.Stat(filepath.Join(dir, "data", "encryption.keys")); err == nil && !tc.legacyKey {
				t.Error("a key file was created beside the database")
			}
			if got := strings.Contains(logs.String(), besideWarning); got != tc.wantWarning {
				t.Errorf("beside-the-database warning logged: %v, want %v\n%s", got, tc.wantWarning, logs.String())
			}
		})
	}
}
