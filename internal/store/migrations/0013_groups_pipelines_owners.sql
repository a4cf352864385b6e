-- What discovery reads beside the fields. Property groups and pipelines belong to an object
-- type: they are kept in its field_schemas row and replaced with its fields. Owners belong to
-- the HubSpot account: one row per connection, replaced in the same transaction as the
-- fields; when they cannot be read (the token lacks crm.objects.owners.read) the row keeps
-- the last good owners with the error, as field_schemas does.
ALTER TABLE field_schemas ADD COLUMN property_groups BLOB NOT NULL DEFAULT '[]'; -- JSON array of fields.Group
ALTER TABLE field_schemas ADD COLUMN pipelines BLOB NOT NULL DEFAULT '[]';       -- JSON array of fields.Pipeline

CREATE TABLE connection_owners (
  workspace      TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  discovered_at  TEXT,                     -- when the owners were read; NULL if never
  owners         BLOB NOT NULL,            -- JSON array of fields.Owner, active and archived
  error_reason   TEXT NOT NULL DEFAULT '', -- why the last discovery of the owners failed, if it did
  error_message  TEXT NOT NULL DEFAULT '',
  error_scopes   TEXT NOT NULL DEFAULT '', -- space-separated scopes the failure asked for
  PRIMARY KEY (workspace, connection_id),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);
