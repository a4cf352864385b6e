-- A database made by the service before migration 0009 (schema version 6): one connection whose
-- token was sealed with the resource name alone as associated data, under key "legacy"
-- (legacy:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=, a test key), token
-- pat-na1-11111111-2222-3333-4444-555555555555. Made with: sqlite3 DB .dump
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
INSERT INTO schema_migrations VALUES(1,'0001_workspaces_api_keys.sql','2026-12-03T23:46:29.297688126Z');
INSERT INTO schema_migrations VALUES(2,'0002_connections.sql','2026-12-03T23:46:29.298118499Z');
INSERT INTO schema_migrations VALUES(3,'0003_request_ids.sql','2026-12-03T23:46:29.298448272Z');
INSERT INTO schema_migrations VALUES(4,'0004_field_schemas.sql','2026-12-03T23:46:29.299213046Z');
INSERT INTO schema_migrations VALUES(5,'0005_outbox.sql','2026-12-03T23:46:29.299655171Z');
INSERT INTO schema_migrations VALUES(6,'0006_api_key_revocation.sql','2026-12-03T23:46:29.300180483Z');
CREATE TABLE workspaces (
  id          TEXT PRIMARY KEY,           -- the {workspace} of workspaces/{workspace}
  create_time TEXT NOT NULL               -- RFC 3339, UTC
);
INSERT INTO workspaces VALUES('acme','2026-01-02T03:04:05Z');
CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,           -- public lookup id, embedded in the key
  key_hash    BLOB NOT NULL,              -- SHA-256 of the whole key; the key itself is never stored
  workspace   TEXT NOT NULL,              -- a workspace id, or '*' for every workspace
  create_time TEXT NOT NULL
, revoke_time TEXT);
CREATE TABLE connections (
  workspace            TEXT NOT NULL REFERENCES workspaces(id),
  id                   TEXT NOT NULL,
  display_name         TEXT NOT NULL,
  status               TEXT NOT NULL,              -- CONNECTED, DEGRADED or ERROR
  status_reason        TEXT NOT NULL DEFAULT '',
  hub_id               INTEGER NOT NULL DEFAULT 0,
  app_id               INTEGER NOT NULL DEFAULT 0,
  account_tier         TEXT NOT NULL DEFAULT '',   -- FREE, STARTER, PROFESSIONAL, ENTERPRISE
  account_time_zone    TEXT NOT NULL DEFAULT '',
  granted_scopes       TEXT NOT NULL DEFAULT '',   -- space-separated, sorted
  token_hint           TEXT NOT NULL DEFAULT '',
  token_key_id         TEXT NOT NULL DEFAULT '',
  token_ciphertext     BLOB,
  fields_discovered_at TEXT,
  create_time          TEXT NOT NULL,
  update_time          TEXT NOT NULL,
  seq                  INTEGER NOT NULL, schema_version INTEGER NOT NULL DEFAULT 0,           -- creation order within the workspace, for paging
  PRIMARY KEY (workspace, id),
  UNIQUE (workspace, display_name),
  UNIQUE (workspace, seq)
);
INSERT INTO connections VALUES('acme','legacy','Legacy HubSpot','CONNECTED','',42,7,'','','crm.objects.contacts.read','5555','legacy',X'2c2c17a67f73d4065dc308fe4adfe30b1cda3f081c9d681acea4fc89f205bd1fd7d031e5ca3cd5f52b559432071ec4d00f04c2510a0e23d208abf84bcb8f42fd8151f4b87e2a1c73',NULL,'2026-01-02T03:04:05Z','2026-01-02T03:04:05Z',1,0);
CREATE TABLE request_ids (
  workspace   TEXT NOT NULL,
  method      TEXT NOT NULL,              -- the RPC, e.g. Connect
  request_id  TEXT NOT NULL,
  resource    TEXT NOT NULL,              -- the resource name the first call produced
  create_time TEXT NOT NULL,
  PRIMARY KEY (workspace, method, request_id)
);
CREATE TABLE field_schemas (
  workspace      TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  object_type    TEXT NOT NULL,            -- contacts, companies, deals
  schema_version INTEGER NOT NULL,         -- the connection's schema_version when last replaced
  discovered_at  TEXT,                     -- when these fields were read; NULL if never
  fields         BLOB NOT NULL,            -- JSON array of fields.Field
  error_reason   TEXT NOT NULL DEFAULT '', -- why the last discovery of this type failed, if it did
  error_message  TEXT NOT NULL DEFAULT '',
  error_scopes   TEXT NOT NULL DEFAULT '', -- space-separated scopes the failure asked for
  PRIMARY KEY (workspace, connection_id, object_type),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);
CREATE TABLE outbox_events (
  seq                 INTEGER PRIMARY KEY AUTOINCREMENT, -- arrival order; the paging key
  workspace           TEXT NOT NULL,
  connection_id       TEXT NOT NULL,
  id                  TEXT NOT NULL,                 -- random; also the marker written into the engagement
  request_id          TEXT,                          -- the caller's idempotency key; NULL for none
  kind                TEXT NOT NULL,                 -- CALL, SMS, WHATSAPP, CHAT, EMAIL, NOTE
  payload             BLOB NOT NULL,                 -- JSON: contact, content and metadata (owned by package outbox)
  status              TEXT NOT NULL,                 -- QUEUED, DELIVERED or FAILED
  attempts            INTEGER NOT NULL DEFAULT 0,    -- sends started
  last_error          TEXT NOT NULL DEFAULT '',
  next_attempt_ms     INTEGER NOT NULL,              -- unix ms; due when <= now (integers order correctly)
  in_doubt_since_ms   INTEGER,                       -- unix ms of the first send whose outcome is unknown; NULL if none
  last_attempt_ms     INTEGER,                       -- unix ms of the latest send; NULL before the first
  hubspot_object_type TEXT NOT NULL DEFAULT '',      -- notes, calls or communications
  hubspot_object_id   TEXT NOT NULL DEFAULT '',
  hubspot_contact_id  TEXT NOT NULL DEFAULT '',      -- resolved (or created) contact
  create_time         TEXT NOT NULL,
  deliver_time        TEXT,                          -- when it reached HubSpot, or failed for good
  UNIQUE (workspace, id),
  UNIQUE (workspace, connection_id, request_id),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);
DELETE FROM sqlite_sequence;
CREATE INDEX outbox_events_due ON outbox_events(workspace, connection_id, next_attempt_ms) WHERE status = 'QUEUED';
CREATE INDEX outbox_events_list ON outbox_events(workspace, connection_id, status, seq);
COMMIT;
