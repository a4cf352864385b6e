-- Limits of the timeline-event outbox.

-- Retention of finished events: the sweep deletes DELIVERED and FAILED rows older than the
-- retention age, oldest first, in small chunks; this index finds them without reading the queue.
CREATE INDEX outbox_events_finished ON outbox_events(deliver_time) WHERE status IN ('DELIVERED', 'FAILED');

-- The cap on queued events per connection: a count kept by a trigger, so that checking the
-- cap costs one row read on every enqueue, whatever the length of the queue.
CREATE TABLE outbox_queued (
  workspace     TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  queued        BIGINT NOT NULL,  -- rows of outbox_events with status QUEUED
  PRIMARY KEY (workspace, connection_id),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
);

INSERT INTO outbox_queued(workspace, connection_id, queued)
  SELECT workspace, connection_id, COUNT(*) FROM outbox_events WHERE status = 'QUEUED' GROUP BY workspace, connection_id;

-- One function for SQLite's four triggers: a row entering QUEUED (inserted, or returned to
-- it) counts one more, a row leaving it (finished, or deleted) one less.
CREATE FUNCTION outbox_queued_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'QUEUED' THEN
    UPDATE outbox_queued SET queued = queued - 1 WHERE workspace = OLD.workspace AND connection_id = OLD.connection_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'QUEUED' THEN
    INSERT INTO outbox_queued(workspace, connection_id, queued) VALUES (NEW.workspace, NEW.connection_id, 1)
      ON CONFLICT (workspace, connection_id) DO UPDATE SET queued = outbox_queued.queued + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER outbox_queued_insert AFTER INSERT ON outbox_events
  FOR EACH ROW WHEN (NEW.status = 'QUEUED') EXECUTE FUNCTION outbox_queued_count();

CREATE TRIGGER outbox_queued_update AFTER UPDATE OF status ON outbox_events
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION outbox_queued_count();

CREATE TRIGGER outbox_queued_delete AFTER DELETE ON outbox_events
  FOR EACH ROW WHEN (OLD.status = 'QUEUED') EXECUTE FUNCTION outbox_queued_count();
