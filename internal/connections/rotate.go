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
	GetConnection(ctx context.Context, workspace, id string) (store.Connection, error)
	ReplaceCiphertext(ctx context.Context, workspace, id string, prev, next store.SealedToken) error
}

// maxRotationAttempts bounds how often one connection is read again after its token changed
// between the read and the re-sealing write.
const maxRotationAttempts = 3

// RotationReport counts what RotateKeys did.
type RotationReport struct {
	Resealed int      // tokens moved to the primary key and the current associated data
	Current  int      // tokens that needed nothing
	Retried  int      // times a token changed between its read and its write, and was read again
	Gone     int      // connections deleted while the rotation ran
	Failed   []string // connections whose token could not be opened or kept changing, with why (no secrets)
	// ResealedConnections names the resealed ones, for the audit log.
	ResealedConnections []resname.Connection
}

// RotateKeys re-seals every stored token under the ring's primary key and the current
// associated data, so that old keys can then be removed. Each write happens only if the row
// still holds the very ciphertext that was opened: a token changed meanwhile (by a server's
// UpdateCredentials, possibly still sealing under the old key, or by a delete and a new
// Connect under the same name) is read again and re-sealed from its new value, never
// overwritten with the previous one.
func RotateKeys(ctx context.Context, st RotationStore, ring *secrets.KeyRing) (RotationReport, error) {
	var r RotationReport
	all, err := st.AllConnections(ctx)
	if err != nil {
		return r, err
	}
	for _, c := range all {
		if err := rotateOne(ctx, st, ring, c, &r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// rotateOne re-seals one connection's token, reading it again when it changed under the write.
func rotateOne(ctx context.Context, st RotationStore, ring *secrets.KeyRing, c store.Connection, r *RotationReport) error {
	name := resname.Connection{Workspace: c.Workspace, ID: c.ID}.String()
	for attempt := 1; ; attempt++ {
		if sealedCurrent(ring, c) {
			r.Current++
			return nil
		}
		plain, err := openToken(ring, c)
		if err != nil {
			r.Failed = append(r.Failed, fmt.Sprintf("%s: %v", name, err))
			return nil
		}
		next, err := sealToken(ring, c.Workspace, c.ID, c.UID, plain)
		clear(plain)
		if err != nil {
			return err
		}
		err = st.ReplaceCiphertext(ctx, c.Workspace, c.ID, c.Sealed(), next)
		if err == nil {
			r.Resealed++
			r.ResealedConnections = append(r.ResealedConnections, resname.Connection{Workspace: c.Workspace, ID: c.ID})
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		// The token changed since it was read: read it again.
		r.Retried++
		if attempt == maxRotationAttempts {
			r.Failed = append(r.Failed, fmt.Sprintf("%s: its token changed %d times during the rotation; run rotate-keys again", name, attempt))
			return nil
		}
		c, err = st.GetConnection(ctx, c.Workspace, c.ID)
		if errors.Is(err, store.ErrNotFound) {
			r.Gone++
			return nil
		}
		if err != nil {
			return err
		}
	}
}
