package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Limits are the request budgets. Zero fields mean HubSpot's defaults for the
// account's tier (https://developers.hubspot.com/docs/api/usage-details); tests shrink
// them (e.g. 20 per 200ms) to run fast.
type Limits struct {
	Window    time.Duration `json:"window"`    // rolling window length; default 10s
	PerWindow int           `json:"perWindow"` // per app; default 100, 190 on Professional/Enterprise, 250 with a limit increase
	Daily     int           `json:"daily"`     // per account; default 250k/625k/1M by tier, plus 1M per limit increase
	// LimitIncreases is how many API limit increases the account bought (0 to
	// MaxLimitIncreases, on any tier): each raises the per-app window to 250 and adds
	// 1,000,000 to the tier's daily budget
	// (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines).
	// Explicit PerWindow and Daily still win.
	LimitIncreases  int           `json:"limitIncreases"`
	SearchPerSecond int           `json:"searchPerSecond"` // per account; default 5
	SearchWindow    time.Duration `json:"searchWindow"`    // default 1s
}

// HubSpot's API limit increase: at most two per account, each worth 250 requests per
// 10 s per app (the same 250 for one or two) and 1,000,000 requests a day.
const (
	MaxLimitIncreases     = 2
	limitIncreasePerApp   = 250
	limitIncreaseDailyAdd = 1_000_000
)

// checkLimitIncreases is the rule on Limits.LimitIncreases.
func checkLimitIncreases(n int) error {
	if n < 0 || n > MaxLimitIncreases {
		return fmt.Errorf("limitIncreases %d: HubSpot sells 0 to %d API limit increases per account", n, MaxLimitIncreases)
	}
	return nil
}

func (l Limits) forTier(t Tier) Limits {
	if l.Window <= 0 {
		l.Window = 10 * time.Second
	}
	// Options can carry any count; the admin API refuses one out of range, and here it is
	// held to what HubSpot sells.
	increases := min(max(l.LimitIncreases, 0), MaxLimitIncreases)
	if l.PerWindow <= 0 {
		switch {
		case increases > 0:
			l.PerWindow = limitIncreasePerApp
		case t == TierProfessional || t == TierEnterprise:
			l.PerWindow = 190
		default:
			l.PerWindow = 100
		}
	}
	if l.Daily <= 0 {
		switch t {
		case TierProfessional:
			l.Daily = 625_000
		case TierEnterprise:
			l.Daily = 1_000_000
		default:
			l.Daily = 250_000
		}
		l.Daily += increases * limitIncreaseDailyAdd
	}
	if l.SearchPerSecond <= 0 {
		l.SearchPerSecond = 5
	}
	if l.SearchWindow <= 0 {
		l.SearchWindow = time.Second
	}
	return l
}

// SetLimits replaces the limit overrides for every account. State already counted
// (receipt times, daily usage) is kept.
func (s *Sandbox) SetLimits(l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l
}

// EffectiveLimits returns the limits that apply to an account, defaults filled in.
func (s *Sandbox) EffectiveLimits(hubID int64) (Limits, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.accountLocked(hubID)
	if err != nil {
		return Limits{}, err
	}
	return s.limits.forTier(a.info.Tier), nil
}

// rateLimiter keeps the receipt times still inside each window. It is a true rolling
// window: a request is admitted when fewer than the budget were admitted in
// (now-window, now], which is what HubSpot's TEN_SECONDLY_ROLLING policy is named for
// and what a token bucket gets wrong.
type rateLimiter struct {
	perApp    map[int64][]time.Time
	perSearch map[int64][]time.Time
	daily     map[int64]*dailyUsage
}

type dailyUsage struct {
	day  string // yyyy-mm-dd in the account's time zone
	used int
}

func newRateLimiter() *rateLimiter {
	return &rateLimiter{perApp: map[int64][]time.Time{}, perSearch: map[int64][]time.Time{},
		daily: map[int64]*dailyUsage{}}
}

// pruneWindow drops receipt times at or before now-window.
func pruneWindow(times []time.Time, now time.Time, window time.Duration) []time.Time {
	cutoff := now.Add(-window)
	i := 0
	for i < len(times) && !times[i].After(cutoff) {
		i++
	}
	return times[i:]
}

// admitLocked counts a request against its budgets. It returns the rate-limit headers
// to send (none for search) and, when a budget is spent, the 429 to answer instead.
func (s *Sandbox) admitLocked(c *call, kind budget) (http.Header, *reply) {
	lim := s.limits.forTier(c.acct.info.Tier)
	rl := s.limiter
	hub, app := c.acct.info.HubID, c.tok.AppID

	day := c.now.In(c.acct.loc).Format("2006-01-02")
	du := rl.daily[hub]
	if du == nil || du.day != day {
		du = &dailyUsage{day: day}
		rl.daily[hub] = du
	}

	if kind == budgetSearch {
		if du.used >= lim.Daily {
			return nil, s.throttleLocked(c, "DAILY")
		}
		rl.perSearch[hub] = pruneWindow(rl.perSearch[hub], c.now, lim.SearchWindow)
		if len(rl.perSearch[hub]) >= lim.SearchPerSecond {
			return nil, s.throttleLocked(c, "SECONDLY")
		}
		rl.perSearch[hub] = append(rl.perSearch[hub], c.now)
		du.used++
		s.counters.admitted(hub, app, c.now, true)
		return nil, nil
	}

	rl.perApp[app] = pruneWindow(rl.perApp[app], c.now, lim.Window)
	headers := func(inWindow int) http.Header {
		h := http.Header{}
		h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(lim.Daily))
		h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(max(lim.Daily-du.used, 0)))
		h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(lim.Window.Milliseconds(), 10))
		h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(lim.PerWindow))
		h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(max(lim.PerWindow-inWindow, 0)))
		return h
	}
	if du.used >= lim.Daily {
		return headers(len(rl.perApp[app])), s.throttleLocked(c, "DAILY")
	}
	if len(rl.perApp[app]) >= lim.PerWindow {
		return headers(len(rl.perApp[app])), s.throttleLocked(c, "TEN_SECONDLY_ROLLING")
	}
	rl.perApp[app] = append(rl.perApp[app], c.now)
	du.used++
	s.counters.admitted(hub, app, c.now, false)
	return headers(len(rl.perApp[app])), nil
}

// throttleLocked builds HubSpot's 429 body for a policy: errorType and policyName, no
// category, as in the example of https://developers.hubspot.com/docs/api/usage-details.
func (s *Sandbox) throttleLocked(c *call, policy string) *reply {
	s.counters.throttled(policy)
	body := apiError{Status: "error", ErrorType: "RATE_LIMIT", CorrelationID: c.correlationID, PolicyName: policy}
	switch policy {
	case "DAILY":
		body.Message = "You have reached your daily limit."
		body.RequestID = s.uuidLocked()
	case "SECONDLY":
		body.Message = "You have reached your secondly limit."
	default:
		body.Message = "You have reached your ten_secondly_rolling limit."
		body.GroupName = fmt.Sprintf("publicapi:private_app-api-calls-ten-secondly:%d:%d", c.tok.AppID, c.acct.info.HubID)
	}
	rep := jsonReply(http.StatusTooManyRequests, body)
	return &rep
}
