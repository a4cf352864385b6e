package upsert

import "time"

// ObserveQueue makes f be called each time callers join or leave b's queue (nil stops it).
// f runs with the batcher's lock held and must not block.
func ObserveQueue(b *Batcher, f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onQueueChange = f
}

// PaceWhileOnTheWire is how long a partial batch waits after the last ask while batches are
// on the wire (see pace).
func PaceWhileOnTheWire(b *Batcher) time.Duration {
	p, _ := b.pace(true)
	return p
}
