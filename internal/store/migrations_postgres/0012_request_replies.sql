-- The answers of mutations called with a request_id (AIP-155), for every mutation through one
-- mechanism (internal/idempotency); see migrations/0012_request_replies.sql.
CREATE TABLE request_replies (
  workspace     TEXT NOT NULL,
  request_id    TEXT NOT NULL,
  method        TEXT NOT NULL,     -- the full gRPC method
  fingerprint   BYTEA NOT NULL,    -- SHA-256 of the request without its request_id
  field_digests TEXT NOT NULL,     -- per request field, to name the first difference of a reused request_id
  claim         TEXT NOT NULL,     -- the running call's random id: only it completes or releases the row
  finished      INTEGER NOT NULL DEFAULT 0,
  code          INTEGER NOT NULL DEFAULT 0,  -- the answer's gRPC code (0: OK)
  answer        BYTEA,             -- the response message, or the google.rpc.Status of an error
  create_ms     BIGINT NOT NULL,   -- unix ms of the first call; pruned after store.RequestIDRetention
  expire_ms     BIGINT NOT NULL,   -- unix ms after which an unfinished row may be taken over
  PRIMARY KEY (workspace, request_id)
);

CREATE INDEX request_replies_by_age ON request_replies(create_ms);
