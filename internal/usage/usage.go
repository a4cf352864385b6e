// Package usage counts the requests the service sends to HubSpot, per connection, hour and
// kind of budget, and keeps the counts in the store so that they survive a restart.
//
// The HubSpot client reports every HTTP attempt to a hook (hubspot.Options.OnCall); the
// connection manager gives each connection's client the hook Recorder.Observer returns. Counts
// gather in memory and are added to the store by Flush, which the server runs every
// FlushEvery and once more at shutdown: a crash loses at most the counts of the last
// FlushEvery. Readers see the stored counts plus those not yet flushed.
package usage

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/store"
)

// FlushEvery is how often counts are written to the store, and so the most a crash can lose.
const FlushEvery = time.Minute

// Hours is how many hours Report returns: the current one and the 23 before it.
const Hours = 24

// The kinds of budget a request counts against, as stored.
const (
	KindStandard = "standard"
	KindSearch   = "search"
)

// kindOf names the budget of a request kind.
func kindOf(k hubspot.RequestKind) string {
	if k == hubspot.KindSearch {
		return KindSearch
	}
	return KindStandard
}

// Store is where counts are kept.
type Store interface {
	AddUsage(ctx context.Context, counts []store.UsageCount, now time.Time) error
	UsageHours(ctx context.Context, uid string, since time.Time) ([]store.UsageCount, error)
	UsageTotals(ctx context.Context, uid string) (store.UsageTotal, error)
}

type key struct {
	uid  string
	hour int64 // Unix milliseconds of the hour's start
	kind string
}

type counts struct{ requests, rateLimited int64 }

// Recorder counts requests per connection. It is safe for concurrent use.
type Recorder struct {
	store Store
	now   func() time.Time

	// io orders flushes and reads: a flush holds it while its counts are neither pending nor
	// committed, so a read never misses them nor sees them twice.
	io sync.RWMutex

	mu      sync.Mutex
	pending map[key]counts
}

// New returns a Recorder over st; now is the clock (time.Now when nil).
func New(st Store, now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{store: st, now: now, pending: map[key]counts{}}
}

// Observer returns the hook for the client of the connection uid: it counts every attempt
// HubSpot answered (a request that got no answer may not have reached HubSpot, and is not
// counted), and of those the 429s.
func (r *Recorder) Observer(uid string) func(hubspot.CallInfo) {
	return func(c hubspot.CallInfo) {
		if c.StatusCode == 0 {
			return
		}
		r.Add(uid, c.Kind, c.StatusCode == http.StatusTooManyRequests)
	}
}

// Add counts one request of the connection uid now.
func (r *Recorder) Add(uid string, kind hubspot.RequestKind, rateLimited bool) {
	k := key{uid: uid, hour: r.now().UTC().Truncate(time.Hour).UnixMilli(), kind: kindOf(kind)}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.pending[k]
	c.requests++
	if rateLimited {
		c.rateLimited++
	}
	r.pending[k] = c
}

// Flush adds the counts gathered since the last flush to the store. When the store fails, the
// counts stay pending for the next flush.
func (r *Recorder) Flush(ctx context.Context) error {
	r.io.Lock()
	defer r.io.Unlock()
	r.mu.Lock()
	batch := r.pending
	r.pending = map[key]counts{}
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	rows := make([]store.UsageCount, 0, len(batch))
	for k, c := range batch {
		rows = append(rows, store.UsageCount{ConnectionUID: k.uid, Hour: time.UnixMilli(k.hour).UTC(), Kind: k.kind,
			Requests: c.requests, RateLimited: c.rateLimited})
	}
	if err := r.store.AddUsage(ctx, rows, r.now()); err != nil {
		r.mu.Lock()
		for k, c := range batch {
			p := r.pending[k]
			r.pending[k] = counts{requests: p.requests + c.requests, rateLimited: p.rateLimited + c.rateLimited}
		}
		r.mu.Unlock()
		return err
	}
	return nil
}

// Run flushes every FlushEvery until ctx ends; errors go to onError (the next flush retries).
// The caller flushes once more after it returns, when nothing counts any more.
func (r *Recorder) Run(ctx context.Context, onError func(error)) {
	ticker := time.NewTicker(FlushEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}

// Hour is the requests of one connection in one UTC clock hour.
type Hour struct {
	Start       time.Time
	Standard    int64
	Search      int64
	RateLimited int64 // of Standard and Search, those HubSpot answered with 429
}

// Report is a connection's counted usage at a moment.
type Report struct {
	At    time.Time
	Hours []Hour // Hours entries, oldest first; the last is the current hour
	// Requests24h and RateLimited24h are the sums of Hours.
	Requests24h    int64
	RateLimited24h int64
	// RateLimitedTotal is the 429s since the connection was made.
	RateLimitedTotal int64
	// Today is the requests since the last midnight in the account's time zone, by whole
	// UTC hours: the hour in which midnight falls counts whole.
	Today int64
	// ResetAt is the next midnight in the account's time zone.
	ResetAt time.Time
}

// Report returns the usage of the connection uid, whose HubSpot account's time zone is loc
// (UTC when nil).
func (r *Recorder) Report(ctx context.Context, uid string, loc *time.Location) (Report, error) {
	if loc == nil {
		loc = time.UTC
	}
	now := r.now()
	current := now.UTC().Truncate(time.Hour)
	first := current.Add(-(Hours - 1) * time.Hour)
	resetAt := hubspot.DailyResetAfter(now, loc)
	midnight := resetAt.In(loc).AddDate(0, 0, -1).UTC().Truncate(time.Hour)
	since := first
	if midnight.Before(first) {
		since = midnight
	}

	r.io.RLock()
	defer r.io.RUnlock()
	stored, err := r.store.UsageHours(ctx, uid, since)
	if err != nil {
		return Report{}, err
	}
	total, err := r.store.UsageTotals(ctx, uid)
	if err != nil {
		return Report{}, err
	}
	rows := stored
	r.mu.Lock()
	for k, c := range r.pending {
		if k.uid != uid {
			continue
		}
		total.RateLimited += c.rateLimited
		if k.hour >= since.UnixMilli() {
			rows = append(rows, store.UsageCount{Hour: time.UnixMilli(k.hour).UTC(), Kind: k.kind, Requests: c.requests, RateLimited: c.rateLimited})
		}
	}
	r.mu.Unlock()

	rep := Report{At: now, Hours: make([]Hour, Hours), RateLimitedTotal: total.RateLimited, ResetAt: resetAt}
	for i := range rep.Hours {
		rep.Hours[i].Start = first.Add(time.Duration(i) * time.Hour)
	}
	for _, row := range rows {
		if !row.Hour.Before(midnight) {
			rep.Today += row.Requests
		}
		i := int(row.Hour.Sub(first) / time.Hour)
		if row.Hour.Before(first) || i >= Hours {
			continue
		}
		h := &rep.Hours[i]
		switch row.Kind {
		case KindSearch:
			h.Search += row.Requests
		default:
			h.Standard += row.Requests
		}
		h.RateLimited += row.RateLimited
		rep.Requests24h += row.Requests
		rep.RateLimited24h += row.RateLimited
	}
	return rep, nil
}
