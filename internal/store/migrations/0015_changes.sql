-- Changes made in HubSpot, detected by webhook (or polling), in cursor order (seq). A change
-- belongs to a connection by its uid, never reused. change_key is the dedup identity: the same
-- HubSpot change stored twice (a repeated webhook, or a webhook and a poll) is one row.
-- fields holds HubSpot's raw property strings as a JSON object; occur_ms and detect_ms are
-- Unix milliseconds.
CREATE TABLE changes (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  connection_uid TEXT NOT NULL,
  change_key     TEXT NOT NULL,
  object_type    TEXT NOT NULL,
  record_id      TEXT NOT NULL,
  display_name   TEXT NOT NULL DEFAULT '',
  kind           TEXT NOT NULL,
  fields         TEXT NOT NULL DEFAULT '{}',
  merged_ids     TEXT NOT NULL DEFAULT '',  -- space-separated
  associated_type TEXT NOT NULL DEFAULT '',
  associated_id  TEXT NOT NULL DEFAULT '',
  occur_ms       INTEGER NOT NULL,
  detect_ms      INTEGER NOT NULL,
  source         TEXT NOT NULL,             -- WEBHOOK or POLL
  self_written   INTEGER NOT NULL DEFAULT 0,
  UNIQUE (connection_uid, change_key)
);
CREATE INDEX changes_by_connection ON changes(connection_uid, seq);
CREATE INDEX changes_by_detect ON changes(detect_ms);
CREATE INDEX changes_by_record ON changes(connection_uid, object_type, record_id, seq);

-- The highest seq purged by retention, per connection: a cursor below it has lost changes.
CREATE TABLE change_horizons (
  connection_uid TEXT PRIMARY KEY,
  purged_seq     INTEGER NOT NULL
);

-- Webhook events accepted (and answered 2xx) but not yet turned into changes: one row per
-- event and connection, deleted in the transaction that stores its change.
CREATE TABLE webhook_inbox (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  connection_uid TEXT NOT NULL,
  event          TEXT NOT NULL,  -- the event's JSON as HubSpot sent it
  received_ms    INTEGER NOT NULL
);

-- Writes this service made, by the record's updatedAt as HubSpot answered it: a change of the
-- same record at the same time is self-written. Kept as long as changes are.
CREATE TABLE own_writes (
  connection_uid TEXT NOT NULL,
  object_type    TEXT NOT NULL,
  record_id      TEXT NOT NULL,
  updated_ms     INTEGER NOT NULL,
  write_ms       INTEGER NOT NULL,
  PRIMARY KEY (connection_uid, object_type, record_id, updated_ms)
) WITHOUT ROWID;
CREATE INDEX own_writes_by_write ON own_writes(write_ms);

-- How a connection learns of changes: its webhook client secret (sealed like tokens), its
-- poll interval and its webhook counters. No row means the defaults and no secret.
CREATE TABLE change_settings (
  connection_uid    TEXT PRIMARY KEY,
  secret_key_id     TEXT NOT NULL DEFAULT '',
  secret_ciphertext BLOB,
  poll_interval_ms  INTEGER NOT NULL DEFAULT 0,  -- 0: the default
  webhooks_received INTEGER NOT NULL DEFAULT 0,
  webhooks_refused  INTEGER NOT NULL DEFAULT 0,
  last_webhook_ms   INTEGER NOT NULL DEFAULT 0
);
