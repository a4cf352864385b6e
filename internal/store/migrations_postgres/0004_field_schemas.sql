-- Discovered HubSpot fields, one row per connection and object type, replaced atomically on
-- refresh. The fields are a JSON array; readers always take one object type's fields whole.
ALTER TABLE connections ADD COLUMN schema_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE field_schemas (
  workspace      TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  object_type    TEXT NOT NULL,            -- contacts, companies, deals
  schema_version BIGINT NOT NULL,          -- the connection's schema_version when last replaced
  discovered_at  TEXT,                     -- when these fields were read; NULL if never
  fields         BYTEA NOT NULL,           -- JSON array of fields.Field
  error_reason   TEXT NOT NULL DEFAULT '', -- why the last discovery of this type failed, if it did
  error_message  TEXT NOT NULL DEFAULT '',
  error_scopes   TEXT NOT NULL DEFAULT '', -- space-separated scopes the failure asked for
  PRIMARY KEY (workspace, connection_id, object_type),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);
