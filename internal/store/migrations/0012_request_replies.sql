-- The answers of mutations called with a request_id (AIP-155), for every mutation through one
-- mechanism (internal/idempotency): per workspace, a request_id names one request, and a retry of
-- it gets the first call's answer from here instead of acting again, across restarts and
-- processes. A row is written when the call starts (finished = 0: in progress, so a duplicate
-- in another process waits for it; expire_ms bounds how long a row whose process died holds the
-- request_id) and completed with the answer. The request_ids table (0003) stays: Connect and
-- DeleteConnection record their request_id in the same transaction as their write.
CREATE TABLE request_replies (
  workspace     TEXT NOT NULL,
  request_id    TEXT NOT NULL,
  method        TEXT NOT NULL,     -- the full gRPC method, e.g. /connectflo.integrations.v1.IntegrationService/Connect
  fingerprint   BLOB NOT NULL,     -- SHA-256 of the request without its request_id
  field_digests TEXT NOT NULL,     -- per request field, to name the first difference of a reused request_id
  claim         TEXT NOT NULL,     -- the running call's random id: only it completes or releases the row
  finished      INTEGER NOT NULL DEFAULT 0,
  code          INTEGER NOT NULL DEFAULT 0,  -- the answer's gRPC code (0: OK)
  answer        BLOB,              -- the response message, or the google.rpc.Status of an error
  create_ms     INTEGER NOT NULL,  -- unix ms of the first call; pruned after store.RequestIDRetention
  expire_ms     INTEGER NOT NULL,  -- unix ms after which an unfinished row may be taken over
  PRIMARY KEY (workspace, request_id)
);

CREATE INDEX request_replies_by_age ON request_replies(create_ms);
