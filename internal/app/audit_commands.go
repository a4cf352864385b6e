package app

import (
	"context"
	"fmt"

	"github.com/connectflo/integrations/internal/audit"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
)

// recordKeyCommand files "apikey create" or "apikey revoke" in the audit log of the key's
// workspace, by the key's id (never its secret).
func recordKeyCommand(ctx context.Context, st *store.Store, action, id string) error {
	k, err := st.APIKeyByID(ctx, id)
	if err != nil {
		return fmt.Errorf("the key was changed, but its audit event was not recorded: %w", err)
	}
	what := fmt.Sprintf("API key %s of workspace %q", k.ID, k.Workspace)
	if k.Workspace == store.AllWorkspaces {
		what = fmt.Sprintf("API key %s of every workspace", k.ID)
	}
	if err := audit.NewRecorder(st).RecordCommand(ctx, k.Workspace, action, audit.APIKeyResource(k.Workspace, k.ID), what); err != nil {
		return fmt.Errorf("the key was changed, but its audit event was not recorded: %w", err)
	}
	return nil
}

// recordRotation files each token "rotate-keys" re-encrypted in its workspace's audit log.
func recordRotation(ctx context.Context, st *store.Store, resealed []resname.Connection, keyID string) error {
	rec := audit.NewRecorder(st)
	for _, name := range resealed {
		if err := rec.RecordCommand(ctx, name.Workspace, audit.ActionRotateEncryptionKey, name.String(),
			fmt.Sprintf("token re-encrypted under key %q", keyID)); err != nil {
			return fmt.Errorf("rotate-keys: the tokens were re-encrypted, but the audit event of %s was not recorded: %w", name, err)
		}
	}
	return nil
}
