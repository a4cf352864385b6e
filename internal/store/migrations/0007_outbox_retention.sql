-- Retention of finished timeline events: the sweep deletes DELIVERED and FAILED rows older
-- than the retention age, oldest first, in small chunks; this index finds them without
-- reading the queue.
CREATE INDEX outbox_events_finished ON outbox_events(deliver_time) WHERE status IN ('DELIVERED', 'FAILED');
