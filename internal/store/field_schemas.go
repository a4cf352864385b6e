package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	fastjson "github.com/goccy/go-json" // schemas run to megabytes; ~4× encoding/json

	"github.com/connectflo/integrations/internal/fields"
)

// FieldSchema is the cached fields of one object type of a connection, with its property
// groups and pipelines, or why its last discovery failed (Fields, Groups and Pipelines then
// hold the last good ones, if any).
type FieldSchema struct {
	ObjectType   string
	Version      int64
	DiscoveredAt time.Time // zero if never discovered
	Fields       []fields.Field
	Groups       []fields.Group
	Pipelines    []fields.Pipeline // object types with pipelines (deals) only
	ErrorReason  string
	ErrorMessage string
	ErrorScopes  []string
}

// SchemaUpdate is the outcome of one object type's discovery: its fields, groups and
// pipelines, or an error.
type SchemaUpdate struct {
	ObjectType   string
	Fields       []fields.Field // nil when the discovery failed
	Encoded      []byte         // EncodeFields(Fields), when the caller already has it
	Groups       []fields.Group
	Pipelines    []fields.Pipeline
	ErrorReason  string
	ErrorMessage string
	ErrorScopes  []string
}

// encodeList encodes groups or pipelines as the store keeps them; nil is an empty array.
func encodeList[T any](list []T) ([]byte, error) {
	if list == nil {
		return []byte("[]"), nil
	}
	return fastjson.Marshal(list)
}

// EncodeFields encodes fields as the store keeps them. Callers that build several object
// types concurrently encode each as it is ready and pass it in SchemaUpdate.Encoded, so that
// the write transaction does no encoding.
func EncodeFields(fs []fields.Field) ([]byte, error) {
	return fastjson.Marshal(fs)
}

// ReplaceFieldSchemas records a discovery in one transaction: object types discovered get
// their new fields, groups and pipelines and the connection's next schema version; failed
// ones keep their last good ones with the error. owners, when not nil, replaces the
// account's owners the same way. It returns the new version. A reader never sees half of it.
func (s *Store) ReplaceFieldSchemas(ctx context.Context, workspace, connectionID string, updates []SchemaUpdate, owners *OwnersUpdate, discoveredAt time.Time) (int64, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var version int64
	err = tx.QueryRowContext(ctx, `UPDATE connections SET schema_version = schema_version + 1 WHERE workspace = ? AND id = ? RETURNING schema_version`,
		workspace, connectionID).Scan(&version)
	if err != nil {
		return 0, translate(err)
	}
	anyDiscovered := false
	for _, u := range updates {
		scopes := strings.Join(u.ErrorScopes, " ")
		if u.Fields == nil {
			// Keep the last good fields; only the error changes. Insert an empty row if there was none.
			_, err = tx.ExecContext(ctx, `INSERT INTO field_schemas(workspace, connection_id, object_type, schema_version, discovered_at, fields, error_reason, error_message, error_scopes)
				VALUES (?, ?, ?, 0, NULL, '[]', ?, ?, ?)
				ON CONFLICT(workspace, connection_id, object_type) DO UPDATE SET error_reason = excluded.error_reason,
				error_message = excluded.error_message, error_scopes = excluded.error_scopes`,
				workspace, connectionID, u.ObjectType, u.ErrorReason, u.ErrorMessage, scopes)
		} else {
			blob := u.Encoded
			if blob == nil {
				if blob, err = EncodeFields(u.Fields); err != nil {
					return 0, err
				}
			}
			var groups, pipelines []byte
			if groups, err = encodeList(u.Groups); err != nil {
				return 0, err
			}
			if pipelines, err = encodeList(u.Pipelines); err != nil {
				return 0, err
			}
			anyDiscovered = true
			_, err = tx.ExecContext(ctx, `INSERT INTO field_schemas(workspace, connection_id, object_type, schema_version, discovered_at, fields, property_groups, pipelines, error_reason, error_message, error_scopes)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', '')
				ON CONFLICT(workspace, connection_id, object_type) DO UPDATE SET schema_version = excluded.schema_version,
				discovered_at = excluded.discovered_at, fields = excluded.fields, property_groups = excluded.property_groups,
				pipelines = excluded.pipelines, error_reason = '', error_message = '', error_scopes = ''`,
				workspace, connectionID, u.ObjectType, version, timeText(discoveredAt), blob, groups, pipelines)
		}
		if err != nil {
			return 0, fmt.Errorf("store: replace %s fields: %w", u.ObjectType, translate(err))
		}
	}
	if owners != nil {
		if err := replaceOwners(ctx, tx, workspace, connectionID, owners, discoveredAt); err != nil {
			return 0, err
		}
	}
	if anyDiscovered {
		if _, err := tx.ExecContext(ctx, `UPDATE connections SET fields_discovered_at = ? WHERE workspace = ? AND id = ?`,
			timeText(discoveredAt), workspace, connectionID); err != nil {
			return 0, err
		}
	}
	return version, tx.Commit()
}

// FieldSchemas returns the cached schemas of a connection in one consistent read, keyed by
// object type. Object types never discovered are absent.
func (s *Store) FieldSchemas(ctx context.Context, workspace, connectionID string) (map[string]FieldSchema, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT object_type, schema_version, discovered_at, fields, property_groups, pipelines, error_reason, error_message, error_scopes
		FROM field_schemas WHERE workspace = ? AND connection_id = ?`, workspace, connectionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]FieldSchema{}
	for rows.Next() {
		var fs FieldSchema
		var discovered sql.NullString
		var blob, groups, pipelines []byte
		var scopes string
		if err := rows.Scan(&fs.ObjectType, &fs.Version, &discovered, &blob, &groups, &pipelines, &fs.ErrorReason, &fs.ErrorMessage, &scopes); err != nil {
			return nil, err
		}
		if discovered.Valid {
			if fs.DiscoveredAt, err = parseTime(discovered.String); err != nil {
				return nil, err
			}
		}
		if err := fastjson.Unmarshal(blob, &fs.Fields); err != nil {
			return nil, fmt.Errorf("store: %s fields of %s: %w", fs.ObjectType, connectionID, err)
		}
		if err := fastjson.Unmarshal(groups, &fs.Groups); err != nil {
			return nil, fmt.Errorf("store: %s property groups of %s: %w", fs.ObjectType, connectionID, err)
		}
		if err := fastjson.Unmarshal(pipelines, &fs.Pipelines); err != nil {
			return nil, fmt.Errorf("store: %s pipelines of %s: %w", fs.ObjectType, connectionID, err)
		}
		fs.ErrorScopes = strings.Fields(scopes)
		out[fs.ObjectType] = fs
	}
	return out, rows.Err()
}
