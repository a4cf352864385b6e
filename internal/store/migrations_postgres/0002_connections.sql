-- HubSpot connections of a workspace. The access token is stored only as ciphertext.
CREATE TABLE connections (
  workspace            TEXT NOT NULL REFERENCES workspaces(id),
  id                   TEXT NOT NULL,
  display_name         TEXT NOT NULL,
  status               TEXT NOT NULL,              -- CONNECTED, DEGRADED or ERROR
  status_reason        TEXT NOT NULL DEFAULT '',
  hub_id               BIGINT NOT NULL DEFAULT 0,
  app_id               BIGINT NOT NULL DEFAULT 0,
  account_tier         TEXT NOT NULL DEFAULT '',   -- FREE, STARTER, PROFESSIONAL, ENTERPRISE
  account_time_zone    TEXT NOT NULL DEFAULT '',
  granted_scopes       TEXT NOT NULL DEFAULT '',   -- space-separated, sorted
  token_hint           TEXT NOT NULL DEFAULT '',
  token_key_id         TEXT NOT NULL DEFAULT '',
  token_ciphertext     BYTEA,
  fields_discovered_at TEXT,
  create_time          TEXT NOT NULL,
  update_time          TEXT NOT NULL,
  seq                  BIGINT NOT NULL,            -- creation order within the workspace, for paging
  PRIMARY KEY (workspace, id),
  UNIQUE (workspace, display_name),
  UNIQUE (workspace, seq)
);
