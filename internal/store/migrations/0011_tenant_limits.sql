-- Per-workspace bounds (issue 12, item 7).
--
-- A keyed hash of each connection's access token (HMAC-SHA256 under a key derived from the
-- encryption key ring, prefixed by that key's id; never the token), so that one token is not
-- connected twice in a workspace under different names. NULL for connections made before this
-- migration until their token is next opened; SQLite's unique index ignores NULLs.
ALTER TABLE connections ADD COLUMN token_fingerprint TEXT;
CREATE UNIQUE INDEX connections_token_fingerprint ON connections(workspace, token_fingerprint);

-- request_id records are kept for store.RequestIDRetention; the periodic sweep finds the
-- expired ones by creation time.
CREATE INDEX request_ids_create_time ON request_ids(create_time);
