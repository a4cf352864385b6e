package app

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/connectflo/integrations/internal/secrets"
)

// loadKeyRing returns the token encryption keys: INTEGRATIONS_ENCRYPTION_KEYS when set,
// otherwise the key file, created with a new key on first start (with a warning, once, since
// the tokens are then only as safe as that file).
func loadKeyRing(cfg Config, logger *slog.Logger) (*secrets.KeyRing, error) {
	if cfg.EncryptionKeys != "" {
		keys, err := secrets.ParseKeys(cfg.EncryptionKeys)
		if err != nil {
			return nil, fmt.Errorf("INTEGRATIONS_ENCRYPTION_KEYS: %w", err)
		}
		return secrets.NewKeyRing(keys...)
	}
	if cfg.KeyFile == "" {
		cfg.KeyFile = filepath.Join(filepath.Dir(cfg.DBPath), keyFileName)
	}
	ring, created, err := secrets.LoadOrCreateKeyFile(cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("token encryption keys: %w", err)
	}
	if created {
		logger.Warn("no token encryption key configured: created a key file; back it up, since stored HubSpot tokens cannot be read without it, "+
			"and prefer INTEGRATIONS_ENCRYPTION_KEYS (id:base64key, primary first) in production", "key_file", cfg.KeyFile, "key_id", ring.PrimaryID())
	}
	return ring, nil
}
