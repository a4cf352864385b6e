-- HubSpot API usage per connection. usage_hours counts the requests sent to HubSpot in each
-- UTC clock hour by kind of budget ('standard' or 'search'), and of those the 429 answers; its
-- rows are kept 48 hours. usage_totals counts requests and 429 answers since the connection
-- was made. Both are keyed by the connection's uid, which is never reused, and go with the
-- connection; counts written after it went (a flush of the last minute's) are removed by the
-- sweep once 48 hours old.
CREATE TABLE usage_hours (
  connection_uid TEXT NOT NULL,
  hour_ms        INTEGER NOT NULL,           -- the hour's start, Unix milliseconds
  kind           TEXT NOT NULL,              -- 'standard' or 'search'
  requests       INTEGER NOT NULL DEFAULT 0,
  rate_limited   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (connection_uid, hour_ms, kind)
);
CREATE INDEX usage_hours_by_hour ON usage_hours (hour_ms);

CREATE TABLE usage_totals (
  connection_uid TEXT PRIMARY KEY,
  requests       INTEGER NOT NULL DEFAULT 0,
  rate_limited   INTEGER NOT NULL DEFAULT 0,
  update_ms      INTEGER NOT NULL            -- when counts were last added
);
