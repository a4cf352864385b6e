package changes

import (
	"fmt"
	"time"

	"github.com/connectflo/integrations/internal/secrets"
)

// Bounds of the change settings.
const (
	MinSecretLength     = 8
	MaxSecretLength     = 256
	MinPollInterval     = 10 * time.Second
	MaxPollInterval     = 24 * time.Hour
	DefaultPollInterval = time.Minute
)

// CheckSecret validates a webhook client secret ("" clears it).
func CheckSecret(secret string) string {
	if secret != "" && (len(secret) < MinSecretLength || len(secret) > MaxSecretLength) {
		return fmt.Sprintf("must be %d to %d characters (the client secret on the app's Auth tab), or empty to clear it; got %d", MinSecretLength, MaxSecretLength, len(secret))
	}
	return ""
}

// CheckPollInterval validates a poll interval (0: the default).
func CheckPollInterval(d time.Duration) string {
	if d != 0 && (d < MinPollInterval || d > MaxPollInterval) {
		return fmt.Sprintf("must be %s to %s, or unset for the default of %s; got %s", MinPollInterval, MaxPollInterval, DefaultPollInterval, d)
	}
	return ""
}

// PollIntervalOr is d, or the default when d is 0.
func PollIntervalOr(d time.Duration) time.Duration {
	if d == 0 {
		return DefaultPollInterval
	}
	return d
}

// secretAAD binds a sealed webhook secret to its connection's uid, never reused, so that a
// ciphertext copied to another row does not open.
func secretAAD(uid string) []byte { return []byte("webhook-client-secret/" + uid) }

// SealSecret encrypts a connection's webhook secret with the key ring that seals tokens.
func SealSecret(ring *secrets.KeyRing, uid, secret string) (keyID string, ciphertext []byte, err error) {
	return ring.Seal([]byte(secret), secretAAD(uid))
}

// OpenSecret decrypts a connection's sealed webhook secret.
func OpenSecret(ring *secrets.KeyRing, uid, keyID string, ciphertext []byte) ([]byte, error) {
	return ring.Open(keyID, ciphertext, secretAAD(uid))
}
