package sandbox

import (
	"maps"
	"slices"
	"time"
)

// maxReceiptTimes bounds the receipt history kept per app, so a long-running sandbox
// does not grow without limit; tests stay far below it.
const maxReceiptTimes = 200_000

// Counters is a snapshot of what the sandbox has seen since the last reset.
type Counters struct {
	// Requests counts responses by endpoint as called, in its API family
	// ("POST /crm/objects/2026-03/contacts/batch/upsert", "POST /crm/v3/objects/contacts/batch/upsert")
	// and HTTP status; a dropped connection counts under status 0.
	Requests map[string]map[int]int `json:"requests"`
	// RateLimited counts 429s by policyName (TEN_SECONDLY_ROLLING, SECONDLY, DAILY).
	RateLimited map[string]int `json:"rateLimited"`
	// Faults counts injected faults by kind (error_5xx, outage, connection_reset,
	// lost_response).
	Faults map[string]int `json:"faults"`
	// Writes counts records created, updated or archived and associations changed.
	Writes int `json:"writes"`
	// ReceiptTimes holds, per app id, the receipt time of every request counted
	// against the ten-second window, in order: a limiter's test checks that no window
	// of them exceeds the budget.
	ReceiptTimes map[int64][]time.Time `json:"receiptTimes"`
	// SearchReceiptTimes holds, per hub id, the receipt times of admitted searches.
	SearchReceiptTimes map[int64][]time.Time `json:"searchReceiptTimes"`
}

type counters struct {
	requests     map[string]map[int]int
	rateLimited  map[string]int
	faults       map[string]int
	writes       int
	receipts     map[int64][]time.Time
	searchByAcct map[int64][]time.Time
}

func newCounters() *counters {
	return &counters{requests: map[string]map[int]int{}, rateLimited: map[string]int{},
		faults: map[string]int{}, receipts: map[int64][]time.Time{}, searchByAcct: map[int64][]time.Time{}}
}

func (c *counters) request(endpoint string, status int, fault string) {
	if c.requests[endpoint] == nil {
		c.requests[endpoint] = map[int]int{}
	}
	c.requests[endpoint][status]++
	if fault != "" {
		c.faults[fault]++
	}
}

func (c *counters) admitted(hubID, appID int64, t time.Time, search bool) {
	if search {
		c.searchByAcct[hubID] = appendBounded(c.searchByAcct[hubID], t)
		return
	}
	c.receipts[appID] = appendBounded(c.receipts[appID], t)
}

func appendBounded(ts []time.Time, t time.Time) []time.Time {
	if len(ts) >= maxReceiptTimes {
		ts = ts[len(ts)-maxReceiptTimes+1:]
	}
	return append(ts, t)
}

func (c *counters) throttled(policy string) { c.rateLimited[policy]++ }

// Counters returns a deep copy of the counters.
func (s *Sandbox) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counters
	out := Counters{Requests: map[string]map[int]int{}, RateLimited: maps.Clone(c.rateLimited),
		Faults: maps.Clone(c.faults), Writes: c.writes,
		ReceiptTimes: map[int64][]time.Time{}, SearchReceiptTimes: map[int64][]time.Time{}}
	for k, v := range c.requests {
		out.Requests[k] = maps.Clone(v)
	}
	for k, v := range c.receipts {
		out.ReceiptTimes[k] = slices.Clone(v)
	}
	for k, v := range c.searchByAcct {
		out.SearchReceiptTimes[k] = slices.Clone(v)
	}
	return out
}

// ResetCounters zeroes the counters; data, tokens, faults and limiter state stay.
func (s *Sandbox) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters = newCounters()
}

// MaxInWindow returns the largest number of receipt times that fall in any window
// (t-window, t]: the figure a rolling-window limiter must keep at or under its budget.
func MaxInWindow(times []time.Time, window time.Duration) int {
	best, lo := 0, 0
	for hi := range times {
		for times[lo].Add(window).Compare(times[hi]) <= 0 {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}
