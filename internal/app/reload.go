package app

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// reloadingFiles holds what was loaded from a set of files and loads it again when any of
// them changes, so that renewed certificates and CA bundles are picked up without a restart.
// A change caught half written (a new certificate with the old key) keeps the last good value
// and is retried at the next look.
type reloadingFiles[T any] struct {
	files  []string
	load   func() (T, error)
	loaded func(T) // logs what was reloaded
	stale  string  // the warning when changed files do not load
	logger *slog.Logger
	now    func() time.Time // the clock; time.Now when nil (tests step a fake one)

	mu      sync.Mutex
	value   T
	stamp   string    // modification times and sizes of the files that were loaded
	checked time.Time // last look at the files
}

// reloadCheckInterval bounds how often handshakes look at the files.
const reloadCheckInterval = time.Second

// newReloadingFiles loads the files once: a failure here is a startup error.
func newReloadingFiles[T any](r *reloadingFiles[T]) (*reloadingFiles[T], error) {
	if r.now == nil {
		r.now = time.Now
	}
	stamp, err := r.fileStamp()
	if err != nil {
		return nil, err
	}
	v, err := r.load()
	if err != nil {
		return nil, err
	}
	r.value, r.stamp, r.checked = v, stamp, r.now()
	return r, nil
}

func (r *reloadingFiles[T]) fileStamp() (string, error) {
	var stamp string
	for _, f := range r.files {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("TLS: %w", err)
		}
		stamp += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return stamp, nil
}

// current returns the loaded value, loading it again first if its files changed.
func (r *reloadingFiles[T]) current() T {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.checked) < reloadCheckInterval {
		return r.value
	}
	r.checked = now
	stamp, err := r.fileStamp()
	if err != nil || stamp == r.stamp {
		return r.value
	}
	v, err := r.load()
	if err != nil {
		r.logger.Warn(r.stale, "err", err)
		return r.value
	}
	r.value, r.stamp = v, stamp
	r.loaded(v)
	return r.value
}
