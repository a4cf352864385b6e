package changes

import (
	"context"
	"fmt"
	"time"

	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
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

// SecretStore is what RotateSecrets reads and writes.
type SecretStore interface {
	AllWebhookSecrets(ctx context.Context) ([]store.WebhookSecret, error)
	ReplaceWebhookSecret(ctx context.Context, prev, next store.WebhookSecret) (bool, error)
}

// RotationReport counts what RotateSecrets did.
type RotationReport struct {
	Resealed, Current, Changed int
	Failed                     []string // connection uids whose secret could not be opened, with why
}

// RotateSecrets re-seals every webhook secret not sealed under the ring's primary key, as
// rotate-keys does for tokens, so that old keys can be removed. A secret changed since it was
// read (UpdateChangeSettings meanwhile) is left as the update wrote it.
func RotateSecrets(ctx context.Context, st SecretStore, ring *secrets.KeyRing) (RotationReport, error) {
	var r RotationReport
	all, err := st.AllWebhookSecrets(ctx)
	if err != nil {
		return r, err
	}
	for _, w := range all {
		if w.KeyID == ring.PrimaryID() {
			r.Current++
			continue
		}
		plain, err := OpenSecret(ring, w.ConnectionUID, w.KeyID, w.Ciphertext)
		if err != nil {
			r.Failed = append(r.Failed, fmt.Sprintf("webhook secret of connection uid %s: %v", w.ConnectionUID, err))
			continue
		}
		keyID, ct, err := SealSecret(ring, w.ConnectionUID, string(plain))
		if err != nil {
			return r, err
		}
		ok, err := st.ReplaceWebhookSecret(ctx, w, store.WebhookSecret{ConnectionUID: w.ConnectionUID, KeyID: keyID, Ciphertext: ct})
		if err != nil {
			return r, err
		}
		if ok {
			r.Resealed++
		} else {
			r.Changed++
		}
	}
	return r, nil
}
