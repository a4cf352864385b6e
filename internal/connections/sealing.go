package connections

import (
	"fmt"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
)

// Versions of the associated data a stored token is sealed with (store.Connection's
// TokenAADVersion). The associated data binds a ciphertext to its row, so that one copied onto
// another row does not open there.
const (
	// aadResourceName is the resource name alone: every token sealed before migration 0009.
	// A connection deleted and created again under the same name has the same resource name,
	// so such a ciphertext would open in the successor; it is still read, and re-sealed at
	// aadResourceNameAndUID by the connection's next UpdateCredentials or by rotate-keys.
	aadResourceName = 0
	// aadResourceNameAndUID adds the connection's uid, generated at Connect and never reused.
	aadResourceNameAndUID = 1
	// currentAAD is what every token is sealed with now.
	currentAAD = aadResourceNameAndUID
)

// tokenAAD is the associated data of a token sealed at version for the connection
// (workspace, id) with uid.
func tokenAAD(workspace, id, uid string, version int) ([]byte, error) {
	name := resname.Connection{Workspace: workspace, ID: id}.String()
	switch version {
	case aadResourceName:
		return []byte(name), nil
	case aadResourceNameAndUID:
		if uid == "" {
			return nil, fmt.Errorf("%w: the connection has no uid", secrets.ErrCannotOpen)
		}
		return []byte(name + "\x00uid=" + uid), nil
	}
	return nil, fmt.Errorf("%w: unknown associated-data version %d", secrets.ErrCannotOpen, version)
}

// sealToken seals a token for the connection (workspace, id) with uid, under the ring's
// primary key and the current associated data.
func sealToken(ring *secrets.KeyRing, workspace, id, uid string, plain []byte) (store.SealedToken, error) {
	aad, err := tokenAAD(workspace, id, uid, currentAAD)
	if err != nil {
		return store.SealedToken{}, err
	}
	keyID, ct, err := ring.Seal(plain, aad)
	if err != nil {
		return store.SealedToken{}, fmt.Errorf("seal token: %w", err)
	}
	return store.SealedToken{KeyID: keyID, Ciphertext: ct, AADVersion: currentAAD}, nil
}

// openToken opens a connection's stored token with the associated data it records.
func openToken(ring *secrets.KeyRing, c store.Connection) ([]byte, error) {
	aad, err := tokenAAD(c.Workspace, c.ID, c.UID, c.TokenAADVersion)
	if err != nil {
		return nil, err
	}
	return ring.Open(c.TokenKeyID, c.TokenCiphertext, aad)
}

// sealedCurrent reports whether a stored token needs no re-sealing under ring.
func sealedCurrent(ring *secrets.KeyRing, c store.Connection) bool {
	return c.TokenKeyID == ring.PrimaryID() && c.TokenAADVersion == currentAAD
}
