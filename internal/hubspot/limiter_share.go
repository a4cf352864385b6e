package hubspot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Background work (polling HubSpot for changes) must never starve the requests the workflow
// engine waits for. A Share caps what a context carrying it (WithShare) may take of a
// connection's budgets, on top of the Limiter's own limits, which still apply:
//
//   - of the search budget (5 per second), at most ShareConfig.SearchPerSecond per second;
//   - of the rolling window, at most ShareConfig.WindowFraction of the budget the limiter
//     currently believes (at least one request) per window length;
//   - nothing once HubSpot reports less than ShareConfig.DailyFloor of the daily allowance
//     left: Wait then fails with ErrShareExhausted instead of queueing.
//
// Invariant: in any interval of one window length (one second for searches) a Share grants
// at most its cap of requests, counted at grant time; retries of a call count like first
// attempts. The requests are still queued fairly with every other caller by the Limiter, so
// what the share leaves over stays available to the others.

// ErrShareExhausted means background work must stop for now: the daily budget is below the
// share's floor. errors.Is(err, ErrRateLimited) holds too.
var ErrShareExhausted = fmt.Errorf("%w: background share of the daily budget used up", ErrRateLimited)

// ShareConfig says how much a Share may take. Zero values take the defaults.
type ShareConfig struct {
	SearchPerSecond int     // default 1 of HubSpot's 5
	WindowFraction  float64 // of the rolling window's budget; default 0.10
	DailyFloor      float64 // stop below this fraction of the daily allowance left; default 0.10
}

// DefaultShareConfig is the share taken when ShareConfig leaves a value zero.
var DefaultShareConfig = ShareConfig{SearchPerSecond: 1, WindowFraction: 0.10, DailyFloor: 0.10}

// Validate refuses a share that could not hold its invariant.
func (c ShareConfig) Validate() error {
	switch {
	case c.SearchPerSecond < 0 || c.SearchPerSecond > 5:
		return fmt.Errorf("%w: a share takes 0..5 searches per second, not %d", ErrInvalidRequest, c.SearchPerSecond)
	case c.WindowFraction < 0 || c.WindowFraction > 1:
		return fmt.Errorf("%w: a share's window fraction is within 0..1, not %g", ErrInvalidRequest, c.WindowFraction)
	case c.DailyFloor < 0 || c.DailyFloor > 1:
		return fmt.Errorf("%w: a share's daily floor is within 0..1, not %g", ErrInvalidRequest, c.DailyFloor)
	}
	return nil
}

func (c ShareConfig) withDefaults() ShareConfig {
	if c.SearchPerSecond <= 0 {
		c.SearchPerSecond = DefaultShareConfig.SearchPerSecond
	}
	if c.WindowFraction <= 0 {
		c.WindowFraction = DefaultShareConfig.WindowFraction
	}
	if c.DailyFloor <= 0 {
		c.DailyFloor = DefaultShareConfig.DailyFloor
	}
	return c
}

// Share is a bounded part of one connection's budgets for background work; see ShareConfig.
// Use one Share per Limiter (per connection). It is safe for concurrent use.
type Share struct {
	cfg ShareConfig

	mu     sync.Mutex
	grants [2][]time.Time // per RequestKind, grant times within the last window, oldest first
	used   [2]uint64      // per RequestKind, every grant since NewShare
}

// NewShare returns a share; cfg must pass Validate.
func NewShare(cfg ShareConfig) *Share { return &Share{cfg: cfg.withDefaults()} }

// Used is how many requests of the kind the share has granted.
func (s *Share) Used(kind RequestKind) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used[kindIndex(kind)]
}

type shareKey struct{}

// WithShare makes every request sent with ctx count against s (and wait for it) before the
// limiter's own queue.
func WithShare(ctx context.Context, s *Share) context.Context {
	return context.WithValue(ctx, shareKey{}, s)
}

func shareFrom(ctx context.Context) *Share {
	s, _ := ctx.Value(shareKey{}).(*Share)
	return s
}

func kindIndex(kind RequestKind) int {
	if kind == KindSearch {
		return 1
	}
	return 0
}

// capacity is the share's cap for a kind and the length of the interval it applies to.
func (l *Limiter) shareCapacity(s *Share, kind RequestKind) (int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if kind == KindSearch {
		return min(s.cfg.SearchPerSecond, l.search.declared), l.search.length
	}
	return max(1, int(s.cfg.WindowFraction*float64(l.standard.declared))), l.standard.length
}

// dailyBelow reports whether HubSpot's last report leaves less than floor of the allowance.
func (l *Limiter) dailyBelow(floor float64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := &l.daily
	d.refresh(l.clock.Now())
	if d.exhausted {
		return true
	}
	return d.known && d.limit > 0 && float64(d.remaining) < floor*float64(d.limit)
}

// waitShare blocks until s allows one more request of kind and records it.
func (l *Limiter) waitShare(ctx context.Context, s *Share, kind RequestKind) error {
	i := kindIndex(kind)
	for {
		if l.dailyBelow(s.cfg.DailyFloor) {
			return ErrShareExhausted
		}
		limit, length := l.shareCapacity(s, kind)
		now := l.clock.Now()
		s.mu.Lock()
		g := s.grants[i]
		for len(g) > 0 && !g[0].Add(length).After(now) {
			g = g[1:]
		}
		s.grants[i] = g
		if len(g) < limit {
			s.grants[i] = append(g, now)
			s.used[i]++
			s.mu.Unlock()
			return nil
		}
		next := g[0].Add(length)
		s.mu.Unlock()
		if deadline, ok := ctx.Deadline(); ok && deadline.Before(next) {
			return &RateLimitError{Policy: l.window(kind).policy, RetryAt: next, RetryAfter: next.Sub(now)}
		}
		select {
		case <-l.clock.After(next.Sub(now)):
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return &RateLimitError{Policy: l.window(kind).policy, RetryAt: next, RetryAfter: max(next.Sub(l.clock.Now()), 0), cause: ctx.Err()}
			}
			return fmt.Errorf("hubspot: waiting for the background share: %w", ctx.Err())
		}
	}
}
