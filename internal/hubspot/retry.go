package hubspot

import (
	"errors"
	"math/rand/v2"
	"time"
)

// RetryPolicy bounds retries. Zero values take the defaults.
//
// What is retried, and why:
//
//   - 429 TEN_SECONDLY_ROLLING: always (any call): HubSpot refused the request
//     without processing it. The limiter books the window as full, so the
//     retry waits in the limiter's queue for the window to roll; no separate
//     sleep.
//   - 429 SECONDLY (search): always; the limiter books the search second as
//     full, so the retry waits about one second.
//   - 429 DAILY: never; the limiter fails every call fast until the account's
//     midnight, and the error carries that time.
//   - 500, 502, 503, 504, 521–524, 423, connection resets, timeouts:
//     idempotent calls only (see below), with exponential backoff and full
//     jitter; 423 waits at least LockedDelay (HubSpot's lock lasts 2 s).
//   - Dial failures (the request never left this process): any call.
//
// Idempotent calls — repeating them leaves HubSpot in the same state:
// every GET; search, batch read, association batch read and token
// introspection (POSTs that only read); the default association PUT (the
// pair is associated once however often it is sent); single and batch
// update (they set absolute values, and HubSpot has no increment); batch
// upsert (keyed by a unique idProperty, so a repeat updates the record the
// first attempt created — its result then says new=false); single and batch
// archive (archiving an archived record changes nothing).
//
// Not idempotent — creates (single, batch, engagements): a reset or a 5xx
// after the request was sent may have created the record, and a blind retry
// would duplicate it (a contact create would then fail with 409, a note would
// silently appear twice). They are retried only when HubSpot provably did
// not process them (429, dial failure); otherwise the caller gets
// ErrUnavailable and decides (e.g. search for the record, or use upsert).
type RetryPolicy struct {
	MaxAttempts int           // attempts in total, including the first; default 4
	BaseDelay   time.Duration // first backoff ceiling; default 250 ms
	MaxDelay    time.Duration // backoff ceiling; default 8 s
	LockedDelay time.Duration // minimum wait after a 423; default 2 s
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 8 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.LockedDelay <= 0 {
		p.LockedDelay = 2 * time.Second
	}
	return p
}

// backoff is "full jitter": uniformly random in [0, min(MaxDelay,
// BaseDelay·2^(attempt-1))], which spreads retries of many callers apart.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	ceiling := p.MaxDelay
	if shift := attempt - 1; shift < 30 {
		if d := p.BaseDelay << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return rand.N(ceiling + 1) //nolint:gosec // jitter, not a secret
}

// decide says whether the failed attempt number `attempt` should be retried
// and after how long.
func (p RetryPolicy) decide(ep endpoint, err error, attempt int) (time.Duration, bool) {
	if attempt >= p.MaxAttempts {
		return 0, false
	}
	if rl, ok := errors.AsType[*RateLimitError](err); ok {
		// Only HubSpot's refusals: the local limiter refusing means the
		// caller's deadline cannot be met, and daily waits are hours long.
		return 0, rl.FromHubSpot && rl.Policy != PolicyDaily
	}
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		switch {
		case !ep.idempotent:
			return 0, false
		case apiErr.StatusCode == 423:
			return max(p.LockedDelay, apiErr.RetryAfter, p.backoff(attempt)), true
		case retryableStatus(apiErr.StatusCode):
			return p.backoff(attempt), true
		}
		return 0, false
	}
	if te, ok := errors.AsType[*TransportError](err); ok && !te.callerDone {
		return p.backoff(attempt), ep.idempotent || te.NotSent
	}
	return 0, false
}

// retryableStatus lists HubSpot's transient server statuses. 477 (migration
// in progress) is left out: its Retry-After can be hours.
func retryableStatus(status int) bool {
	switch status {
	case 500, 502, 503, 504, 521, 522, 523, 524:
		return true
	}
	return false
}
