// Package secrets seals HubSpot access tokens at rest with AES-256-GCM.
//
// A KeyRing holds named 256-bit keys: the first (primary) seals, all of them open, so keys can
// be rotated by adding a new primary, re-sealing (the rotate-keys command) and later removing
// the old key. Each sealing uses a fresh random 96-bit nonce, and binds associated data chosen
// by the caller (package connections binds the connection's resource name and never-reused
// uid) so a ciphertext copied onto another row does not open.
//
// The standard library's crypto/aes and crypto/cipher are used rather than tink-go: the need is
// one AEAD with associated data plus key ids, which is a few dozen lines here, while tink would
// add a dependency tree and its own keyset format for operators to learn. With random nonces a
// key must not seal more than about 2^32 tokens; tokens are sealed once per connect or rotation,
// many orders of magnitude below that.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the length of an AES-256 key.
const KeySize = 32

// Errors of Open.
var (
	// ErrUnknownKey means the ciphertext was sealed with a key that is not in the ring.
	ErrUnknownKey = errors.New("secrets: sealed with a key that is not configured")
	// ErrCannotOpen means the ciphertext or its associated data do not match: tampered,
	// truncated, or moved from another row.
	ErrCannotOpen = errors.New("secrets: ciphertext does not open with its key and associated data")
)

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Key is one named encryption key.
type Key struct {
	ID  string
	key [KeySize]byte
}

// KeyRing seals with its primary key and opens with any of its keys.
type KeyRing struct {
	keys    []Key
	ciphers map[string]cipher.AEAD
}

// NewKey returns a random key with the given id.
func NewKey(id string) (Key, error) {
	if !keyIDPattern.MatchString(id) {
		return Key{}, fmt.Errorf("secrets: key id %q: use 1–32 letters, digits, '-' or '_'", id)
	}
	k := Key{ID: id}
	if _, err := rand.Read(k.key[:]); err != nil {
		return Key{}, err
	}
	return k, nil
}

// NewKeyRing returns a ring whose first key is the primary.
func NewKeyRing(keys ...Key) (*KeyRing, error) {
	if len(keys) == 0 {
		return nil, errors.New("secrets: a key ring needs at least one key")
	}
	r := &KeyRing{keys: keys, ciphers: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if _, dup := r.ciphers[k.ID]; dup {
			return nil, fmt.Errorf("secrets: key id %q appears twice", k.ID)
		}
		block, err := aes.NewCipher(k.key[:])
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		r.ciphers[k.ID] = aead
	}
	return r, nil
}

// PrimaryID is the id of the key that seals.
func (r *KeyRing) PrimaryID() string { return r.keys[0].ID }

// Seal encrypts plaintext under the primary key, bound to associatedData. It returns the key
// id to store beside the ciphertext (nonce ‖ sealed text ‖ tag).
func (r *KeyRing) Seal(plaintext, associatedData []byte) (keyID string, ciphertext []byte, err error) {
	id := r.PrimaryID()
	aead := r.ciphers[id]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, err
	}
	return id, aead.Seal(nonce, nonce, plaintext, associatedData), nil
}

// Open decrypts a ciphertext sealed by Seal with the key keyID and the same associated data.
func (r *KeyRing) Open(keyID string, ciphertext, associatedData []byte) ([]byte, error) {
	aead, ok := r.ciphers[keyID]
	if !ok {
		return nil, fmt.Errorf("%w (key id %q)", ErrUnknownKey, keyID)
	}
	if len(ciphertext) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrCannotOpen
	}
	nonce, sealed := ciphertext[:aead.NonceSize()], ciphertext[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, sealed, associatedData)
	if err != nil {
		return nil, ErrCannotOpen
	}
	return plain, nil
}

// IDs are the ring's key ids, primary first.
func (r *KeyRing) IDs() []string {
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.ID
	}
	return ids
}

// Has reports whether the ring holds a key with this id.
func (r *KeyRing) Has(keyID string) bool { _, ok := r.ciphers[keyID]; return ok }

// FormatKeys writes keys in the INTEGRATIONS_ENCRYPTION_KEYS / key file form:
// "id:base64key" entries separated by commas, primary first.
func FormatKeys(keys ...Key) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.ID + ":" + base64.StdEncoding.EncodeToString(k.key[:])
	}
	return strings.Join(parts, ",")
}

// ParseKeys reads keys in the FormatKeys form; commas, newlines and blank lines separate
// entries and lines starting with # are comments. Errors never include key material.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, entry := range strings.Split(line, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			id, b64, ok := strings.Cut(entry, ":")
			if !ok || !keyIDPattern.MatchString(id) {
				return nil, fmt.Errorf("secrets: key entry %d: want id:base64key with an id of 1–32 letters, digits, '-' or '_'", len(keys)+1)
			}
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || len(raw) != KeySize {
				return nil, fmt.Errorf("secrets: key %q: want %d bytes in standard base64 (e.g. from: openssl rand -base64 32)", id, KeySize)
			}
			k := Key{ID: id}
			copy(k.key[:], raw)
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("secrets: no keys given")
	}
	return keys, nil
}
