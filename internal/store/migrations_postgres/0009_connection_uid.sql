-- Each connection gets a generated id of its own, never reused: its resource id can be, by a
-- connection created under the same name after a delete. Sealed tokens are bound to it.
-- token_aad_version says what a token was sealed with as associated data: 0 for the resource
-- name alone, 1 for the resource name and uid.
ALTER TABLE connections ADD COLUMN uid TEXT NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN token_aad_version INTEGER NOT NULL DEFAULT 0;
UPDATE connections SET uid = replace(gen_random_uuid()::text, '-', '');
CREATE UNIQUE INDEX connections_uid ON connections(uid);
