-- Leases: a job that one process at a time may do for a database ('outbox-delivery', and
-- polling per connection). The holder renews its lease while it runs and deletes it at a
-- clean stop; a lease whose expiry has passed (its holder died) may be taken by any process.
CREATE TABLE leases (
  name      TEXT PRIMARY KEY,
  owner     TEXT NOT NULL,    -- the holder's id (host, pid and a random part), shown in logs
  expire_ms BIGINT NOT NULL   -- unix ms; the lease is free once this has passed
);
