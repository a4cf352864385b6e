package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
)

// loadKeyRing returns the token encryption keys: INTEGRATIONS_ENCRYPTION_KEYS when set,
// otherwise the key file, created with a new key on first start (with a warning, once, since
// the tokens are then only as safe as that file). A key file that an earlier version created
// beside the database is used while it is there, with a warning to move it. source says where
// the keys came from, for messages.
func loadKeyRing(cfg Config, logger *slog.Logger) (ring *secrets.KeyRing, source string, err error) {
	if cfg.EncryptionKeys != "" {
		keys, err := secrets.ParseKeys(cfg.EncryptionKeys)
		if err != nil {
			return nil, "", fmt.Errorf("INTEGRATIONS_ENCRYPTION_KEYS: %w", err)
		}
		ring, err := secrets.NewKeyRing(keys...)
		return ring, "INTEGRATIONS_ENCRYPTION_KEYS", err
	}
	path := cfg.KeyFile
	if cfg.LegacyKeyFile != "" {
		if _, err := os.Stat(cfg.LegacyKeyFile); err == nil {
			path = cfg.LegacyKeyFile
		}
	}
	if path == "" {
		return nil, "", errors.New("token encryption keys: set INTEGRATIONS_ENCRYPTION_KEYS, or --key-file (INTEGRATIONS_KEY_FILE) to a path outside the database's folder; " +
			"the default key file lives under $XDG_CONFIG_HOME or $HOME/.config, and neither is set")
	}
	if !cfg.Sandbox && besideDatabase(path, cfg.DBPath) { // demo mode keeps both in one temporary folder
		logger.Warn("the token encryption key file is in the database's folder, so a backup or copy of that folder carries the tokens and the key that opens them: "+
			"move the file elsewhere and give its path with --key-file or INTEGRATIONS_KEY_FILE", "key_file", path, "default_key_file", cfg.KeyFile)
	}
	ring, created, err := secrets.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("token encryption keys: %w", err)
	}
	source = "key file " + path
	if created {
		logger.Warn("no token encryption key configured: created a key file; back it up, apart from the database, since stored HubSpot tokens cannot be read without it, "+
			"and prefer INTEGRATIONS_ENCRYPTION_KEYS (id:base64key, primary first) in production", "key_file", path, "key_id", ring.PrimaryID())
		source += ", created by this start since it did not exist"
	}
	return ring, source, nil
}

// checkKeyRing refuses keys that cannot open what the database's secrets may be sealed with
// (connections.CheckKeyRing), saying what is wrong and what to do, and otherwise records the
// ring's primary key. It returns the keys recorded afterwards.
func checkKeyRing(ctx context.Context, st *store.Store, ring *secrets.KeyRing, source, db string) ([]store.RingKey, error) {
	recorded, err := connections.CheckKeyRing(ctx, st, ring)
	var mismatch *connections.KeyRingError
	if errors.As(err, &mismatch) {
		return nil, fmt.Errorf("%w (this process's keys come from %s). "+
			"Every process on one database needs the same keys: give this one the INTEGRATIONS_ENCRYPTION_KEYS or key file the others have; "+
			"a single server whose key file was lost: restore that file from a backup. "+
			"Only if those keys are lost for good: run `server forget-keys --db %s` with this process's key settings, "+
			"after which this process starts, and connections whose tokens were sealed with the lost keys report ERROR until each is given its token again (Update Credentials)",
			err, source, store.Redact(db))
	}
	if err != nil {
		return nil, fmt.Errorf("check the token encryption keys against the database: %w", err)
	}
	return recorded, nil
}

// besideDatabase reports whether the key file is in the database's folder (a PostgreSQL
// database has none).
func besideDatabase(keyFile, dbPath string) bool {
	if store.IsPostgres(dbPath) {
		return false
	}
	k, kerr := filepath.Abs(filepath.Dir(keyFile))
	d, derr := filepath.Abs(filepath.Dir(dbPath))
	return kerr == nil && derr == nil && k == d
}
