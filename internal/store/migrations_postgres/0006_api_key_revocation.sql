-- API keys can be revoked: a revoked key stays listed (who had it, when it stopped) but no
-- longer authenticates.
ALTER TABLE api_keys ADD COLUMN revoke_time TEXT; -- NULL while the key is active
