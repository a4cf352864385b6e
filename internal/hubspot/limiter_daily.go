package hubspot

import "time"

// dailyBudget follows the account's daily allowance as HubSpot reports it in
// X-HubSpot-RateLimit-Daily-Remaining (private apps only; OAuth calls do not
// get the header, and then the budget simply stays unknown).
//
// The daily limit cannot be waited out within a request, so once it is spent
// every caller fails fast with the reset time instead of queueing.
type dailyBudget struct {
	loc       *time.Location // the account's time zone: the budget resets at its midnight
	known     bool
	limit     int64 // X-HubSpot-RateLimit-Daily: the allowance itself; 0 if never reported
	remaining int64
	exhausted bool      // a DAILY 429 was seen
	resetAt   time.Time // zero until we know anything
}

// refresh forgets everything once the reset time has passed.
func (d *dailyBudget) refresh(now time.Time) {
	if !d.resetAt.IsZero() && !now.Before(d.resetAt) {
		d.known, d.exhausted, d.remaining, d.resetAt = false, false, 0, time.Time{}
	}
}

// blocked reports whether no request may be sent until resetAt.
func (d *dailyBudget) blocked(now time.Time) bool {
	d.refresh(now)
	return d.exhausted || (d.known && d.remaining <= 0)
}

// onGrants takes n grants (this process's, or with a SharedWindow the fleet's) off the
// remaining budget.
func (d *dailyBudget) onGrants(n uint64) {
	if d.known {
		d.remaining -= int64(n)
	}
}

// report records HubSpot's count; grantedSince is how many requests we (or,
// with a SharedWindow, the fleet) released after the one that carried it
// (HubSpot had not seen them yet).
func (d *dailyBudget) report(remaining int64, grantedSince uint64, now time.Time) {
	d.refresh(now)
	d.known = true
	d.remaining = remaining - int64(grantedSince)
	d.resetAt = nextMidnight(now, d.loc)
}

func (d *dailyBudget) exhaust(now time.Time) {
	d.refresh(now)
	d.exhausted = true
	d.resetAt = nextMidnight(now, d.loc)
}

func (d *dailyBudget) remainingOrUnknown() int64 {
	if !d.known {
		return -1
	}
	return max(d.remaining, 0)
}

// DailyResetAfter is when HubSpot's daily budget next resets after now: the next midnight in
// the account's time zone loc (UTC when nil).
func DailyResetAfter(now time.Time, loc *time.Location) time.Time { return nextMidnight(now, loc) }

// nextMidnight is the next 00:00 in loc strictly after now.
func nextMidnight(now time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	y, m, day := local.Date()
	return time.Date(y, m, day+1, 0, 0, 0, 0, loc)
}
