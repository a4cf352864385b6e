-- The kind of credential a connection holds and when its token was last set.
ALTER TABLE connections ADD COLUMN credential_kind TEXT NOT NULL DEFAULT 'UNKNOWN';
ALTER TABLE connections ADD COLUMN credentials_update_time TEXT NOT NULL DEFAULT '';
UPDATE connections SET credentials_update_time = create_time;
