-- Changes made in HubSpot, in cursor order (seq), and what detecting them needs (see the
-- SQLite twin for each table's role). seq comes from an identity column; the store hands out
-- one connection's seqs in commit order (IngestChanges locks the connection), so that a
-- reader resuming after seq N never skips a row committed later with a smaller seq.
CREATE TABLE changes (
  seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
  occur_ms       BIGINT NOT NULL,
  detect_ms      BIGINT NOT NULL,
  source         TEXT NOT NULL,             -- WEBHOOK or POLL
  self_written   INTEGER NOT NULL DEFAULT 0,
  UNIQUE (connection_uid, change_key)
);
CREATE INDEX changes_by_connection ON changes(connection_uid, seq);
CREATE INDEX changes_by_detect ON changes(detect_ms);
CREATE INDEX changes_by_record ON changes(connection_uid, object_type, record_id, seq);

CREATE TABLE change_horizons (
  connection_uid TEXT PRIMARY KEY,
  purged_seq     BIGINT NOT NULL
);

CREATE TABLE webhook_inbox (
  id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connection_uid TEXT NOT NULL,
  event          TEXT NOT NULL,  -- the event's JSON as HubSpot sent it
  received_ms    BIGINT NOT NULL
);

CREATE TABLE own_writes (
  connection_uid TEXT NOT NULL,
  object_type    TEXT NOT NULL,
  record_id      TEXT NOT NULL,
  updated_ms     BIGINT NOT NULL,
  write_ms       BIGINT NOT NULL,
  PRIMARY KEY (connection_uid, object_type, record_id, updated_ms)
);
CREATE INDEX own_writes_by_write ON own_writes(write_ms);

CREATE TABLE change_settings (
  connection_uid    TEXT PRIMARY KEY,
  secret_key_id     TEXT NOT NULL DEFAULT '',
  secret_ciphertext BYTEA,
  poll_interval_ms  BIGINT NOT NULL DEFAULT 0,  -- 0: the default
  webhooks_received BIGINT NOT NULL DEFAULT 0,
  webhooks_refused  BIGINT NOT NULL DEFAULT 0,
  last_webhook_ms   BIGINT NOT NULL DEFAULT 0
);
