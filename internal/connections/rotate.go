package connections

import (
	"context"
	"errors"
	"fmt"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
)

// RotationStore is what key rotation needs.
type RotationStore interface {
	AllConnections(ctx context.Context) ([]store.Connection, error)
	ReplaceCiphertext(ctx context.Context, workspace, id, oldKeyID, newKeyID string, ciphertext []byte) error
}

// RotationReport counts what RotateKeys did.
type RotationReport struct {
	Resealed int // tokens moved to the primary key
	// ResealedConnections names them, for the audit log.
	ResealedConnections []resname.Connection
	Current             int      // tokens already under the primary key
	Failed              []string // connections whose token could not be opened, with why (no secrets)
}

// RotateKeys re-seals every stored token under the ring's primary key, so that old keys can
// then be removed. A token changed concurrently (by UpdateCredentials) is left as it is: it
// was just sealed under the primary key anyway.
func RotateKeys(ctx context.Context, st RotationStore, ring *secrets.KeyRing) (RotationReport, error) {
	var r RotationReport
	all, err := st.AllConnections(ctx)
	if err != nil {
		return r, err
	}
	primary := ring.PrimaryID()
	for _, c := range all {
		if c.TokenKeyID == primary {
			r.Current++
			continue
		}
		name := resname.Connection{Workspace: c.Workspace, ID: c.ID}.String()
		plain, err := ring.Open(c.TokenKeyID, c.TokenCiphertext, []byte(name))
		if err != nil {
			r.Failed = append(r.Failed, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		keyID, sealed, err := ring.Seal(plain, []byte(name))
		clear(plain)
		if err != nil {
			return r, err
		}
		switch err := st.ReplaceCiphertext(ctx, c.Workspace, c.ID, c.TokenKeyID, keyID, sealed); {
		case errors.Is(err, store.ErrNotFound):
			r.Current++ // rotated or deleted meanwhile
		case err != nil:
			return r, err
		default:
			r.Resealed++
			r.ResealedConnections = append(r.ResealedConnections, resname.Connection{Workspace: c.Workspace, ID: c.ID})
		}
	}
	return r, nil
}
