-- Idempotency keys of mutations (AIP-155): a retried call with the same request_id gets the
-- resource the first call produced instead of acting twice.
CREATE TABLE request_ids (
  workspace   TEXT NOT NULL,
  method      TEXT NOT NULL,              -- the RPC, e.g. Connect
  request_id  TEXT NOT NULL,
  resource    TEXT NOT NULL,              -- the resource name the first call produced
  create_time TEXT NOT NULL,
  PRIMARY KEY (workspace, method, request_id)
);
