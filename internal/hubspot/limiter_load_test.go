package hubspot

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// windowServer is a fake HubSpot that enforces a rolling window on its own
// receipt times, like the real one: it answers 429 TEN_SECONDLY_ROLLING when
// a request would be the (budget+1)-th in the window, and reports honest
// X-HubSpot-RateLimit-* headers otherwise.
type windowServer struct {
	*fakeHubSpot
	budget   int
	window   time.Duration
	mu       sync.Mutex
	receipts []time.Time
	rejected atomic.Int64
}

func newWindowServer(t *testing.T, budget int, window time.Duration) *windowServer {
	ws := &windowServer{budget: budget, window: window}
	ws.fakeHubSpot = newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
		ws.mu.Lock()
		ws.receipts = append(ws.receipts, r.At)
		inWindow := 0
		for _, at := range ws.receipts {
			if at.After(r.At.Add(-ws.window)) && !at.After(r.At) {
				inWindow++
			}
		}
		ws.mu.Unlock()
		if inWindow > ws.budget {
			ws.rejected.Add(1)
			writeJSON(w, 429, body429Ten)
			return
		}
		h := w.Header()
		h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(ws.budget))
		h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(ws.window.Milliseconds(), 10))
		h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(ws.budget-inWindow))
		writeJSON(w, 200, `{"id":"1","properties":{}}`)
	})
	return ws
}

// maxInWindow is the largest number of receipts in any half-open window
// [t, t+window) starting at a receipt (the worst windows start at one).
func maxInWindow(receipts []time.Time, window time.Duration) int {
	sorted := slices.Clone(receipts)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	best, j := 0, 0
	for i := range sorted {
		for j < len(sorted) && sorted[j].Sub(sorted[i]) < window {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

// TestMaxInWindow checks the checker, including the pattern a token bucket
// with burst = budget allows (a full burst at the end of one refill period
// and another right after), which must be flagged.
func TestMaxInWindow(t *testing.T) {
	t.Parallel()
	at := func(ms ...int) []time.Time {
		base := time.Unix(0, 0)
		out := make([]time.Time, len(ms))
		for i, m := range ms {
			out[i] = base.Add(time.Duration(m) * time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name     string
		receipts []time.Time
		want     int
	}{
		{"empty", nil, 0},
		{"exactly one window apart", at(0, 100, 200, 300), 2},
		{"just inside", at(0, 100, 199), 3},
		{"token bucket double burst", at(0, 1, 2, 198, 199, 199), 6},
		{"unsorted", at(300, 0, 150, 10), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maxInWindow(tt.receipts, 200*time.Millisecond); got != tt.want {
				t.Fatalf("maxInWindow = %d, want %d", got, tt.want)
			}
		})
	}
}

func loadClient(t *testing.T, ws *windowServer, budget int, window time.Duration) *Client {
	return testClient(t, ws.srv.URL, func(o *Options) {
		o.Limiter = NewLimiter(LimiterConfig{Budget: budget, Window: window, SafetyMargin: 2 * time.Millisecond})
		o.Retry = RetryPolicy{MaxAttempts: 1} // a 429 must show up, not be retried away
	})
}

// TestLimiterHoldsTheWindowUnderRandomConcurrentLoad drives random arrival
// patterns from many goroutines and checks the server's own receipt times.
func TestLimiterHoldsTheWindowUnderRandomConcurrentLoad(t *testing.T) {
	const budget, window = 20, 200 * time.Millisecond
	patterns := []struct {
		name     string
		workers  int
		requests int
		maxPause time.Duration
	}{
		{"bursty", 40, 150, 0},
		{"trickle with jitter", 12, 150, 40 * time.Millisecond},
		{"mixed", 25, 150, 15 * time.Millisecond},
	}
	for _, p := range patterns {
		t.Run(p.name, func(t *testing.T) {
			ws := newWindowServer(t, budget, window)
			c := loadClient(t, ws, budget, window)
			var next atomic.Int64
			var wg sync.WaitGroup
			for range p.workers {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
					for next.Add(1) <= int64(p.requests) {
						if p.maxPause > 0 { // the arrival pattern under test, not a wait for anything
							time.Sleep(time.Duration(rng.Int64N(int64(p.maxPause))))
						}
						if _, err := c.GetObject(t.Context(), "contacts", "1", GetObjectOptions{}); err != nil {
							t.Errorf("call failed: %v", err)
						}
					}
				})
			}
			wg.Wait()
			ws.mu.Lock()
			defer ws.mu.Unlock()
			if got := maxInWindow(ws.receipts, window); got > budget {
				t.Errorf("server saw %d requests in one %v window, budget %d", got, window, budget)
			}
			if n := ws.rejected.Load(); n != 0 {
				t.Errorf("server answered %d 429s", n)
			}
			if len(ws.receipts) != p.requests {
				t.Errorf("server saw %d requests, want %d", len(ws.receipts), p.requests)
			}
		})
	}
}
