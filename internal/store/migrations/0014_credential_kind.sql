-- The kind of credential a connection holds (PRIVATE_APP, SERVICE_KEY, STATIC_APP_TOKEN, or
-- UNKNOWN when it cannot be told) and when its token was last set, which the rotation advice
-- counts from. Rows stored before this migration were checked before the kind was recorded:
-- UNKNOWN, with their creation time as the best known time the token was set.
ALTER TABLE connections ADD COLUMN credential_kind TEXT NOT NULL DEFAULT 'UNKNOWN';
ALTER TABLE connections ADD COLUMN credentials_update_time TEXT NOT NULL DEFAULT '';
UPDATE connections SET credentials_update_time = create_time;
