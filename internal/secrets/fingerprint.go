package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// fingerprintLabel separates the fingerprint key from the AES key it is derived from, so the
// encryption key itself never keys an HMAC.
const fingerprintLabel = "connectflo integrations: token fingerprint v1"

// Fingerprint is a keyed hash of secret within scope (a workspace), under the primary key:
// "keyid:base64url(HMAC-SHA256)". Equal secrets in one scope have equal fingerprints under one
// key; without the key a fingerprint reveals nothing about the secret (a plain hash of a
// token could be checked against guesses), and the scope makes the same token unlinkable
// across workspaces.
func (r *KeyRing) Fingerprint(scope string, secret []byte) string {
	return r.fingerprintWith(r.keys[0], scope, secret)
}

// Fingerprints are the fingerprints of secret under every key of the ring, primary first: a
// stored fingerprint made under an older key that is still in the ring is among them.
func (r *KeyRing) Fingerprints(scope string, secret []byte) []string {
	out := make([]string, len(r.keys))
	for i, k := range r.keys {
		out[i] = r.fingerprintWith(k, scope, secret)
	}
	return out
}

func (r *KeyRing) fingerprintWith(k Key, scope string, secret []byte) string {
	derive := hmac.New(sha256.New, k.key[:])
	derive.Write([]byte(fingerprintLabel))
	mac := hmac.New(sha256.New, derive.Sum(nil))
	mac.Write([]byte(scope))
	mac.Write([]byte{0}) // scope and secret cannot run into each other: a scope has no NUL
	mac.Write(secret)
	return k.ID + ":" + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
