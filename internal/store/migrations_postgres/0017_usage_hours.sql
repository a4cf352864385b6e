-- HubSpot API usage per connection: hourly counts kept 48 hours, and totals since the
-- connection was made (see the SQLite twin).
CREATE TABLE usage_hours (
  connection_uid TEXT NOT NULL,
  hour_ms        BIGINT NOT NULL,            -- the hour's start, Unix milliseconds
  kind           TEXT NOT NULL,              -- 'standard' or 'search'
  requests       BIGINT NOT NULL DEFAULT 0,
  rate_limited   BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (connection_uid, hour_ms, kind)
);
CREATE INDEX usage_hours_by_hour ON usage_hours (hour_ms);

CREATE TABLE usage_totals (
  connection_uid TEXT PRIMARY KEY,
  requests       BIGINT NOT NULL DEFAULT 0,
  rate_limited   BIGINT NOT NULL DEFAULT 0,
  update_ms      BIGINT NOT NULL
);
