package outbox

import "time"

// sweepChunk is how many finished events one delete removes: each chunk is one short write
// transaction, so the sweep never holds SQLite's single writer for long, and enqueues and
// delivery updates get their turn between chunks.
const sweepChunk = 200

// sweepFinished deletes finished events older than Retention now and every SweepInterval,
// until Close.
func (o *Outbox) sweepFinished() {
	defer o.wg.Done()
	ticker := time.NewTicker(o.cfg.SweepInterval)
	defer ticker.Stop()
	for {
		o.deleteExpired()
		select {
		case <-ticker.C:
		case <-o.stop:
			return
		}
	}
}

// deleteExpired deletes, chunk by chunk, the DELIVERED and FAILED events that finished more than
// Retention ago, and returns how many it deleted. It stops early when the outbox closes; the
// next sweep goes on where it stopped.
func (o *Outbox) deleteExpired() int {
	cutoff := o.cfg.Now().Add(-o.cfg.Retention)
	total := 0
	for !o.stopping() {
		n, err := o.st.DeleteFinishedOutboxEvents(o.workCtx, cutoff, sweepChunk)
		total += n
		if err != nil {
			o.cfg.Logger.Error("outbox: retention sweep", "err", err, "deleted", total)
			break
		}
		if n < sweepChunk {
			break
		}
	}
	if total > 0 {
		o.cfg.Logger.Info("outbox: deleted finished events past retention", "deleted", total,
			"finished_before", cutoff.UTC().Format(time.RFC3339), "retention", o.cfg.Retention.String())
	}
	return total
}
