package poller

import (
	"context"

	"github.com/connectflo/integrations/internal/store"
)

// WritableFields gives, per polled type, the connection's discovered fields that a user can
// edit (not read-only, not calculated), in discovery order: what ServiceDeps.Watch watches
// beside the defaults. Calculated values change without anyone editing the record, so
// watching them would report changes nobody made.
func WritableFields(st interface {
	FieldSchemas(ctx context.Context, workspace, connectionID string) (map[string]store.FieldSchema, error)
}) func(ctx context.Context, c store.Connection) (map[string][]string, error) {
	return func(ctx context.Context, c store.Connection) (map[string][]string, error) {
		schemas, err := st.FieldSchemas(ctx, c.Workspace, c.ID)
		if err != nil {
			return nil, err
		}
		out := map[string][]string{}
		for _, ot := range objectTypes {
			for _, f := range schemas[ot.name].Fields {
				if !f.ReadOnly && !f.Calculated && len(out[ot.name]) < MaxWatched {
					out[ot.name] = append(out[ot.name], f.Name)
				}
			}
		}
		return out, nil
	}
}
