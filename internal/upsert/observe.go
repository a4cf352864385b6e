package upsert

// queueChangedLocked tells the queue observer, if any, that callers joined or left the
// queue (Stats.Accepted or Stats.Queued moved). Tests set the observer (export_test.go) to
// wait for a queue state instead of polling Stats; it is nil in production. It is called
// with b.mu held and must not block.
func (b *Batcher) queueChangedLocked() {
	if b.onQueueChange != nil {
		b.onQueueChange()
	}
}
