package upsert

// ObserveQueue makes f be called each time callers join or leave b's queue (nil stops it).
// f runs with the batcher's lock held and must not block.
func ObserveQueue(b *Batcher, f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onQueueChange = f
}
