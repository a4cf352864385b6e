package hubspot

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Rate-limit response headers HubSpot sends on non-search calls.
const (
	headerRateMax            = "X-HubSpot-RateLimit-Max"
	headerRateRemaining      = "X-HubSpot-RateLimit-Remaining"
	headerRateInterval       = "X-HubSpot-RateLimit-Interval-Milliseconds"
	headerRateDaily          = "X-HubSpot-RateLimit-Daily"
	headerRateDailyRemaining = "X-HubSpot-RateLimit-Daily-Remaining"
)

// Done records that the permit's request finished (its response headers
// arrived, or it failed) and learns from HubSpot's rate-limit headers, if
// any: the window length and budget are adopted, and a Remaining lower than
// we can account for is booked as usage by someone else. h may be nil.
// Calls after the first are ignored. With a SharedWindow the shared slot is
// restamped first (without the limiter's lock), so the local slot completes
// after it: never earlier than the fleet's.
func (p *Permit) Done(h http.Header) {
	p.once.Do(func() {
		l := p.l
		var usage *SlotUsage
		if p.claim != nil {
			usage = l.completeShared(p.claim)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		now := l.clock.Now()
		p.window.complete(p.seq, now)
		if usage != nil {
			l.seen(usage.Seq)
			if usage.CountedAtClaim >= 0 {
				p.window.fleetCounted, p.window.fleetAt = usage.CountedAtClaim, now
			}
		}
		if h != nil {
			l.learn(p, h, now, usage)
		}
		p.window.wakeHead()
	})
}

// learn adopts what HubSpot's headers say; usage, when not nil, is the shared
// ledger's account of the fleet's requests, which Remaining counts too.
func (l *Limiter) learn(p *Permit, h http.Header, now time.Time, usage *SlotUsage) {
	if v, ok := headerInt(h, headerRateDaily); ok && v > 0 {
		l.daily.limit = v
	}
	if v, ok := headerInt(h, headerRateDailyRemaining); ok {
		l.daily.report(v, l.grantedTotal-p.grantIndex, now)
	}
	if p.window != l.standard {
		return // search responses carry no window headers; ignore strays
	}
	if ms, ok := headerInt(h, headerRateInterval); ok && ms > 0 && ms <= 24*3600*1000 {
		l.standard.length = time.Duration(ms) * time.Millisecond
	}
	budget, hasBudget := headerInt(h, headerRateMax)
	if hasBudget && budget > 0 && budget <= 100000 {
		l.standard.setBudget(int(budget))
	}
	if remaining, ok := headerInt(h, headerRateRemaining); ok && remaining >= 0 {
		if usage != nil && usage.CountedAtClaim >= 0 {
			l.standard.correctFor(int(remaining), usage.CountedAtClaim, now)
		} else {
			l.standard.correct(int(remaining), p.grantedAt, now)
		}
	}
}

// Throttled tells the limiter HubSpot answered 429 with this policy, so the
// next grants wait for the window instead of hammering HubSpot again:
// TEN_SECONDLY_ROLLING and SECONDLY fill their window as of now, DAILY
// blocks everything until the account's midnight. It returns when a retry
// may be granted.
func (l *Limiter) Throttled(kind RequestKind, policy Policy) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	l.throttled++
	switch {
	case policy == PolicyDaily:
		l.daily.exhaust(now)
		return l.daily.resetAt
	case policy == PolicySecondly || kind == KindSearch:
		l.search.fill(now, len(l.search.slots))
		return l.search.earliestGrant(now, 0)
	default:
		l.standard.reserveForOthers(now)
		l.standard.fill(now, len(l.standard.slots))
		return l.standard.earliestGrant(now, 0)
	}
}

// WindowStats describes one budget.
type WindowStats struct {
	Budget   int           // requests allowed per window
	Window   time.Duration // window length (without the safety margin)
	InWindow int           // requests that still count against the window (including in flight)
	InFlight int           // granted requests whose response has not arrived
	Headroom int           // requests that could go right now (the budget less our usage and what is left to others)
	Waiting  int           // requests queued for a slot
	Callers  int           // callers those requests are made for (they take turns; see WithCaller)
	Granted  uint64        // requests granted since the limiter was built
}

// LimiterStats is a snapshot for observability and TestConnection. With a
// SharedWindow the window figures are this replica's own (the ledger holds the
// fleet's) except Headroom, which is also bounded by the fleet's usage as last
// learned; the daily estimate is the fleet's.
type LimiterStats struct {
	Standard WindowStats
	Search   WindowStats
	// DailyLimit is the account's daily allowance as HubSpot last reported it, or 0 if unknown.
	DailyLimit int64
	// DailyRemaining is the estimated daily budget left, or -1 if unknown
	// (HubSpot sends it to private apps only).
	DailyRemaining int64
	DailyResetAt   time.Time // zero if unknown
	Refused        uint64    // callers failed fast (deadline too short or daily budget spent)
	Throttled      uint64    // 429s reported to the limiter
}

// Stats returns a snapshot of the limiter's state.
func (l *Limiter) Stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	l.daily.refresh(now)
	return LimiterStats{
		Standard:       windowStats(l.standard, now),
		Search:         windowStats(l.search, now),
		DailyLimit:     l.daily.limit,
		DailyRemaining: l.daily.remainingOrUnknown(),
		DailyResetAt:   l.daily.resetAt,
		Refused:        l.refused,
		Throttled:      l.throttled,
	}
}

func windowStats(w *rollingWindow, now time.Time) WindowStats {
	inWindow, inFlight := w.inUse(now)
	return WindowStats{
		Budget:   w.declared,
		Window:   w.length,
		InWindow: inWindow,
		InFlight: inFlight,
		Headroom: w.headroom(now),
		Waiting:  w.waiters.len(),
		Callers:  w.waiters.callers(),
		Granted:  w.granted,
	}
}

func headerInt(h http.Header, key string) (int64, bool) {
	v := strings.TrimSpace(h.Get(key))
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
