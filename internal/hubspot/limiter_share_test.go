package hubspot

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// A share grants background work at most its cap per interval, measured on the limiter's
// clock, while callers without the share still get the rest of the budget at once.
func TestShareCapsBackgroundRequestsPerInterval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		kind     RequestKind
		cap      int // of a 100-per-10-s limiter with the default share
		interval time.Duration
	}{
		{"one of the five searches per second", KindSearch, 1, time.Second},
		{"a tenth of the rolling window", KindStandard, 10, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inBubble(t, func(t *testing.T) {
				clock := newFakeClock()
				l := newTestLimiter(clock, 100, 10*time.Second)
				share := NewShare(ShareConfig{})
				bg := WithShare(t.Context(), share)
				take := func(ctx context.Context) error {
					ctx, cancel := context.WithDeadline(ctx, clock.Now().Add(tt.interval/2))
					defer cancel()
					p, err := l.Wait(ctx, tt.kind)
					if err == nil {
						p.Done(nil)
					}
					return err
				}
				for i := range tt.cap {
					if err := take(bg); err != nil {
						t.Fatalf("background request %d of %d: %v", i+1, tt.cap, err)
					}
				}
				var rl *RateLimitError
				if err := take(bg); !errors.As(err, &rl) || rl.RetryAfter != tt.interval {
					t.Fatalf("background request past the cap: err = %v, want a RateLimitError retrying after %v", err, tt.interval)
				}
				if err := take(t.Context()); err != nil {
					t.Fatalf("a foreground request beside a full share: %v", err)
				}
				clock.Advance(tt.interval)
				if err := take(bg); err != nil {
					t.Fatalf("background request an interval later: %v", err)
				}
				if got, want := share.Used(tt.kind), uint64(tt.cap+1); got != want {
					t.Errorf("Used = %d, want %d", got, want)
				}
			})
		})
	}
}

// Below the daily floor a share refuses at once, and foreground requests still pass.
func TestShareStopsBelowTheDailyFloor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		remaining int
		want      error
	}{
		{remaining: 100, want: nil}, // exactly 10% of 1,000 left
		{remaining: 99, want: ErrShareExhausted},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.remaining), func(t *testing.T) {
			t.Parallel()
			inBubble(t, func(t *testing.T) {
				clock := newFakeClock()
				l := newTestLimiter(clock, 100, 10*time.Second)
				h := http.Header{}
				h.Set(headerRateDaily, "1000")
				h.Set(headerRateDailyRemaining, strconv.Itoa(tt.remaining))
				mustWait(t, l, KindStandard).Done(h)

				p, err := l.Wait(WithShare(t.Context(), NewShare(ShareConfig{})), KindSearch)
				if !errors.Is(err, tt.want) {
					t.Fatalf("background Wait: err = %v, want %v", err, tt.want)
				}
				if err == nil {
					p.Done(nil)
				}
				if tt.want != nil && !errors.Is(err, ErrRateLimited) {
					t.Errorf("ErrShareExhausted does not match ErrRateLimited")
				}
				mustWait(t, l, KindSearch).Done(nil)
			})
		})
	}
}

func TestShareConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  ShareConfig
		want error
	}{
		{ShareConfig{}, nil},
		{DefaultShareConfig, nil},
		{ShareConfig{SearchPerSecond: 6}, ErrInvalidRequest},
		{ShareConfig{WindowFraction: 1.5}, ErrInvalidRequest},
		{ShareConfig{DailyFloor: -0.1}, ErrInvalidRequest},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); !errors.Is(err, tt.want) {
			t.Errorf("%+v.Validate() = %v, want %v", tt.cfg, err, tt.want)
		}
	}
}
