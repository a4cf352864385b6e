-- The token encryption keys this database's secrets are sealed with, so that a process whose
-- key ring differs is refused at start instead of failing connection by connection (package
-- connections, CheckKeyRing). One row per key id that a process has sealed with as its
-- primary key since the last complete rotate-keys: never the key, but a constant sealed with
-- it (sentinel), which only the same key opens.
CREATE TABLE key_ring_keys (
  key_id      TEXT PRIMARY KEY,
  sentinel    BLOB NOT NULL,
  recorded_ms INTEGER NOT NULL  -- unix ms of the first start that sealed with it
);
