-- Polling HubSpot for changes. A cursor per connection and object type says how far the
-- searches sorted by modified time have been read; a snapshot per record seen says which
-- modified time and watched values were last reported, so that overlapping polls report
-- each change once and an update names the fields whose values changed.
CREATE TABLE poll_cursors (
  workspace      TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  object_type    TEXT NOT NULL,
  since_ms       INTEGER NOT NULL,           -- the baseline: changes before it are never reported
  modified_ms    INTEGER NOT NULL,           -- every record modified before it has been read
  object_id      INTEGER NOT NULL DEFAULT 0, -- and those modified at it with a lower or equal id
  polls          INTEGER NOT NULL DEFAULT 0, -- polls done; the archived listing runs every Nth
  PRIMARY KEY (workspace, connection_id, object_type),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);

CREATE TABLE poll_snapshots (
  workspace      TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  object_type    TEXT NOT NULL,
  record_id      INTEGER NOT NULL,
  modified_ms    INTEGER NOT NULL,           -- the last reported modified time (archivedAt once deleted)
  deleted        INTEGER NOT NULL DEFAULT 0, -- 1 once a deletion was reported
  field_values   BLOB NOT NULL,              -- JSON object: watched property -> value or its digest
  PRIMARY KEY (workspace, connection_id, object_type, record_id),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);
