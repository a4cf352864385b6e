-- The audit log: who changed a connection or an API key, what, when, from where, and how it
-- ended. Never a secret: no token, no key secret. Rows are pruned by the audit package's
-- retention (age and count per workspace) as new ones are written.
CREATE TABLE audit_events (
  seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- write order; never reused, so page tokens stay valid
  id               TEXT NOT NULL UNIQUE,              -- public id, random (seq would reveal other workspaces' activity)
  workspace        TEXT NOT NULL,                     -- a workspace id, or '*' for operations on all-workspace keys
  event_time       BIGINT NOT NULL,                   -- Unix nanoseconds, UTC
  action           TEXT NOT NULL,                     -- CONNECT, UPDATE_CREDENTIALS, …
  resource         TEXT NOT NULL,                     -- resource name acted on
  actor_api_key_id TEXT NOT NULL DEFAULT '',          -- set for calls over the API
  actor_operator   TEXT NOT NULL DEFAULT '',          -- set for commands run on the server (OS user)
  transport        TEXT NOT NULL DEFAULT '',          -- GRPC, REST or COMMAND_LINE
  peer_address     TEXT NOT NULL DEFAULT '',
  forwarded_for    TEXT NOT NULL DEFAULT '',
  request_id       TEXT NOT NULL DEFAULT '',
  outcome          TEXT NOT NULL,                     -- canonical code name: OK, INVALID_ARGUMENT, …
  reason           TEXT NOT NULL DEFAULT '',          -- the error's ErrorInfo reason
  description      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_by_workspace ON audit_events(workspace, seq);
CREATE INDEX audit_events_by_time ON audit_events(workspace, event_time);
