package clienttest

import (
	"bytes"
	"sync"
)

// maxLogBytes bounds the server log kept for a failing test: a long test must not hold all of
// its log in memory, and the end of the log is what explains a failure.
const maxLogBytes = 256 << 10

// tailBuffer keeps the last max bytes (about) written to it, from several goroutines.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over) // drop the oldest bytes
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
