-- The timeline-event outbox: activities accepted for HubSpot, kept until HubSpot has them.
-- A row is committed before LogTimelineEvent answers; a worker per connection sends them in
-- batches. Deleting a connection erases its queued events with it.
CREATE TABLE outbox_events (
  seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- arrival order; the paging key
  workspace           TEXT NOT NULL,
  connection_id       TEXT NOT NULL,
  id                  TEXT NOT NULL,                 -- random; also the marker written into the engagement
  request_id          TEXT,                          -- the caller's idempotency key; NULL for none
  kind                TEXT NOT NULL,                 -- CALL, SMS, WHATSAPP, CHAT, EMAIL, NOTE
  payload             BYTEA NOT NULL,                -- JSON: contact, content and metadata (owned by package outbox)
  status              TEXT NOT NULL,                 -- QUEUED, DELIVERED or FAILED
  attempts            INTEGER NOT NULL DEFAULT 0,    -- sends started
  last_error          TEXT NOT NULL DEFAULT '',
  next_attempt_ms     BIGINT NOT NULL,               -- unix ms; due when <= now
  in_doubt_since_ms   BIGINT,                        -- unix ms of the first send whose outcome is unknown; NULL if none
  last_attempt_ms     BIGINT,                        -- unix ms of the latest send; NULL before the first
  hubspot_object_type TEXT NOT NULL DEFAULT '',      -- notes, calls or communications
  hubspot_object_id   TEXT NOT NULL DEFAULT '',
  hubspot_contact_id  TEXT NOT NULL DEFAULT '',      -- resolved (or created) contact
  create_time         TEXT NOT NULL,
  deliver_time        TEXT,                          -- when it reached HubSpot, or failed for good
  UNIQUE (workspace, id),
  UNIQUE (workspace, connection_id, request_id),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);

-- The worker's question: which queued events of this connection are due.
CREATE INDEX outbox_events_due ON outbox_events(workspace, connection_id, next_attempt_ms) WHERE status = 'QUEUED';
-- List: newest first, optionally by status.
CREATE INDEX outbox_events_list ON outbox_events(workspace, connection_id, status, seq);
