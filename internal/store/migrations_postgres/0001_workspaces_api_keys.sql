-- PostgreSQL's schema history mirrors migrations/ (SQLite) version for version: the same
-- tables and columns, in PostgreSQL's types (BYTEA for BLOB, BIGINT for 64-bit integers,
-- identity columns for AUTOINCREMENT).
--
-- Workspaces and the API keys that act in them.
CREATE TABLE workspaces (
  id          TEXT PRIMARY KEY,           -- the {workspace} of workspaces/{workspace}
  create_time TEXT NOT NULL               -- RFC 3339, UTC
);

CREATE TABLE api_keys (
  id          TEXT PRIMARY KEY,           -- public lookup id, embedded in the key
  key_hash    BYTEA NOT NULL,             -- SHA-256 of the whole key; the key itself is never stored
  workspace   TEXT NOT NULL,              -- a workspace id, or '*' for every workspace
  create_time TEXT NOT NULL
);
