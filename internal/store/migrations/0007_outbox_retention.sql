-- Limits of the timeline-event outbox.

-- Retention of finished events: the sweep deletes DELIVERED and FAILED rows older than the
-- retention age, oldest first, in small chunks; this index finds them without reading the queue.
CREATE INDEX outbox_events_finished ON outbox_events(deliver_time) WHERE status IN ('DELIVERED', 'FAILED');

-- The cap on queued events per connection: a count kept by triggers, so that checking the cap
-- costs one row read on every enqueue, whatever the length of the queue (counting the queue
-- itself costs time in proportion to it, on the single writer).
CREATE TABLE outbox_queued (
  workspace     TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  queued        INTEGER NOT NULL,  -- rows of outbox_events with status QUEUED
  PRIMARY KEY (workspace, connection_id),
  FOREIGN KEY (workspace, connection_id) REFERENCES connections(workspace, id) ON DELETE CASCADE
) WITHOUT ROWID;

INSERT INTO outbox_queued(workspace, connection_id, queued)
  SELECT workspace, connection_id, COUNT(*) FROM outbox_events WHERE status = 'QUEUED' GROUP BY workspace, connection_id;

CREATE TRIGGER outbox_queued_insert AFTER INSERT ON outbox_events WHEN NEW.status = 'QUEUED' BEGIN
  INSERT INTO outbox_queued(workspace, connection_id, queued) VALUES (NEW.workspace, NEW.connection_id, 1)
    ON CONFLICT(workspace, connection_id) DO UPDATE SET queued = queued + 1;
END;

CREATE TRIGGER outbox_queued_leave AFTER UPDATE OF status ON outbox_events
  WHEN OLD.status = 'QUEUED' AND NEW.status <> 'QUEUED' BEGIN
  UPDATE outbox_queued SET queued = queued - 1 WHERE workspace = OLD.workspace AND connection_id = OLD.connection_id;
END;

CREATE TRIGGER outbox_queued_return AFTER UPDATE OF status ON outbox_events
  WHEN OLD.status <> 'QUEUED' AND NEW.status = 'QUEUED' BEGIN
  INSERT INTO outbox_queued(workspace, connection_id, queued) VALUES (NEW.workspace, NEW.connection_id, 1)
    ON CONFLICT(workspace, connection_id) DO UPDATE SET queued = queued + 1;
END;

CREATE TRIGGER outbox_queued_delete AFTER DELETE ON outbox_events WHEN OLD.status = 'QUEUED' BEGIN
  UPDATE outbox_queued SET queued = queued - 1 WHERE workspace = OLD.workspace AND connection_id = OLD.connection_id;
END;
