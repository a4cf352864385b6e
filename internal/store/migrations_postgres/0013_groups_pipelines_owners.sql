-- What discovery reads beside the fields: property groups and pipelines in their object
-- type's field_schemas row, owners in one row per connection (see the SQLite twin).
ALTER TABLE field_schemas ADD COLUMN property_groups BYTEA NOT NULL DEFAULT '[]'; -- JSON array of fields.Group
ALTER TABLE field_schemas ADD COLUMN pipelines BYTEA NOT NULL DEFAULT '[]';       -- JSON array of fields.Pipeline

CREATE TABLE connection_owners (
  workspace      TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  discovered_at  TEXT,                     -- when the owners were read; NULL if never
  owners         BYTEA NOT NULL,           -- JSON array of fields.Owner, active and archived
  error_reason   TEXT NOT NULL DEFAULT '', -- why the last discovery of the owners failed, if it did
  error_message  TEXT NOT NULL DEFAULT '',
  error_scopes   TEXT NOT NULL DEFAULT '', -- space-separated scopes the failure asked for
  PRIMARY KEY (workspace, connection_id),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);
