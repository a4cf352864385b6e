-- Polling HubSpot for changes: a cursor per connection and object type, a snapshot per
-- record seen (see the SQLite twin).
CREATE TABLE poll_cursors (
  workspace      TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  object_type    TEXT NOT NULL,
  since_ms       BIGINT NOT NULL,
  modified_ms    BIGINT NOT NULL,
  object_id      BIGINT NOT NULL DEFAULT 0,
  polls          BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace, connection_id, object_type),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);

CREATE TABLE poll_snapshots (
  workspace      TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  object_type    TEXT NOT NULL,
  record_id      BIGINT NOT NULL,
  modified_ms    BIGINT NOT NULL,
  deleted        INTEGER NOT NULL DEFAULT 0, -- 1 once a deletion was reported
  field_values   BYTEA NOT NULL,             -- JSON object: watched property -> value or its digest
  PRIMARY KEY (workspace, connection_id, object_type, record_id),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);
