package idempotency

import "sync"

// inflight holds the calls of this process that are running with a request_id, so that a
// duplicate waits for the first instead of asking the database over and over: the row in
// the database covers the other processes.
type inflight struct {
	mu    sync.Mutex
	calls map[callKey]*running
}

// callKey is a request_id in its workspace.
type callKey struct{ workspace, requestID string }

// running is one call in flight; done closes when it has answered. The fields are written
// before done closes and only read after.
type running struct {
	done     chan struct{}
	print    requestPrint
	answered bool // resp and err are its answer (false: it never ran, see the database)
	resp     any
	err      error
}

// join returns the running call of key and false, or registers a new one for the caller,
// who must finish it, and true.
func (f *inflight) join(key callKey, p requestPrint) (*running, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.calls[key]; ok {
		return r, false
	}
	if f.calls == nil {
		f.calls = map[callKey]*running{}
	}
	r := &running{done: make(chan struct{}), print: p}
	f.calls[key] = r
	return r, true
}

// finish removes the call of key and wakes its waiters.
func (f *inflight) finish(key callKey, r *running) {
	f.mu.Lock()
	delete(f.calls, key)
	f.mu.Unlock()
	close(r.done)
}
