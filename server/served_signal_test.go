package main

import (
	"net/http"
	"testing"
	"time"
)

// servedSignal wraps a handler (a sandbox serving as HubSpot) and signals after each request
// it served, so that a test waits for HubSpot's state to change instead of sleeping and
// looking again.
type servedSignal struct {
	h      http.Handler
	served chan struct{} // capacity 1: "something was served since you last looked"
}

func newServedSignal(h http.Handler) *servedSignal {
	return &servedSignal{h: h, served: make(chan struct{}, 1)}
}

func (s *servedSignal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.h.ServeHTTP(w, r)
	select {
	case s.served <- struct{}{}:
	default:
	}
}

// waitUntil returns once done holds, looking again after each request served, or false when
// timeout passes first.
func (s *servedSignal) waitUntil(t *testing.T, timeout time.Duration, done func() bool) bool {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !done() {
		select {
		case <-s.served:
		case <-deadline.C:
			return done()
		}
	}
	return true
}
