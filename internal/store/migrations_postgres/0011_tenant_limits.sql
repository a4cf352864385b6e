-- Per-workspace bounds.
--
-- A keyed hash of each connection's access token (never the token), so that one token is not
-- connected twice in a workspace under different names. NULL until first computed; the unique
-- index treats NULLs as distinct.
ALTER TABLE connections ADD COLUMN token_fingerprint TEXT;
CREATE UNIQUE INDEX connections_token_fingerprint ON connections(workspace, token_fingerprint);

-- request_id records are kept for store.RequestIDRetention; the periodic sweep finds the
-- expired ones by creation time.
CREATE INDEX request_ids_create_time ON request_ids(create_time);
