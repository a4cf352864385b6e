// Package budget keeps the HubSpot budgets that several replicas of the service share: the
// ledger behind hubspot.SharedWindow (read its comment for the invariant and why it holds).
// Postgres is the ledger replicas use, in the database they share; Memory is the same ledger
// in one process's memory, for tests that run several limiters side by side.
//
// Both keep, per budget key and kind of request, numbered slots, each of which is:
//   - free when never used;
//   - taken while in flight, from its claim until its holder completes it, or until
//     claim + Hold + cycle when the holder never does (it died, or lost the database);
//   - taken after completion until completion + cycle (cycle: the window plus its margin,
//     given by the claimer).
//
// A claim takes the lowest-numbered free slot among the first SlotRequest.Budget, stamps it
// with the ledger's clock and counts one grant for the key.
package budget

import (
	"errors"
	"fmt"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
)

// DefaultHold is how long after its claim a request may still reach HubSpot, when the
// ledger is not told: the client's default per-attempt timeout (30 s) plus
// hubspot.DefaultSharedTimeout for the claim itself, rounded up to leave room for the
// moments between the claim and the request's start.
const DefaultHold = 40 * time.Second

// Bounds on what a claim may ask for, checked before any work.
const (
	// MaxSlots bounds a window's budget: HubSpot's largest is 250 per 10 s (and the
	// limiter adopts at most 100,000 from headers).
	MaxSlots = 100_000
	// MaxCycle bounds how long a slot stays taken after completion: HubSpot's windows are
	// seconds long, and the limiter adopts at most a day from headers.
	MaxCycle = 25 * time.Hour
	// MaxKeyBytes bounds a budget key.
	MaxKeyBytes = 200
)

// ErrInvalidClaim is returned for a claim outside the bounds above (or of an unknown kind, or
// for an empty key); nothing is taken.
var ErrInvalidClaim = errors.New("budget: invalid slot claim")

// kindName is the kind as the ledger stores it.
func kindName(k hubspot.RequestKind) (string, error) {
	switch k {
	case hubspot.KindStandard:
		return "standard", nil
	case hubspot.KindSearch:
		return "search", nil
	}
	return "", fmt.Errorf("%w: unknown request kind %d", ErrInvalidClaim, int(k))
}

// checkKey refuses an empty or oversized budget key.
func checkKey(key string) error {
	if key == "" || len(key) > MaxKeyBytes {
		return fmt.Errorf("%w: a budget key has 1..%d bytes, not %d", ErrInvalidClaim, MaxKeyBytes, len(key))
	}
	return nil
}

// checkRequest refuses a request the ledger could not honour.
func checkRequest(r hubspot.SlotRequest) (kind string, err error) {
	if kind, err = kindName(r.Kind); err != nil {
		return "", err
	}
	switch {
	case r.Budget < 1 || r.Budget > MaxSlots:
		return "", fmt.Errorf("%w: a budget has 1..%d slots, not %d", ErrInvalidClaim, MaxSlots, r.Budget)
	case r.Cycle <= 0 || r.Cycle > MaxCycle:
		return "", fmt.Errorf("%w: a cycle lasts (0, %v], not %v", ErrInvalidClaim, MaxCycle, r.Cycle)
	}
	return kind, nil
}

// checkClaim refuses to complete what no claim of this ledger can have returned.
// checkCount checks what InWindow is asked and names the kind.
func checkCount(k hubspot.RequestKind, cycle time.Duration) (string, error) {
	kind, err := kindName(k)
	if err != nil {
		return "", err
	}
	if cycle <= 0 || cycle > MaxCycle {
		return "", fmt.Errorf("%w: a cycle lasts (0, %v], not %v", ErrInvalidClaim, MaxCycle, cycle)
	}
	return kind, nil
}

func checkClaim(c hubspot.SlotClaim) (kind string, err error) {
	if kind, err = kindName(c.Kind); err != nil {
		return "", err
	}
	switch {
	case !c.Granted:
		return "", fmt.Errorf("%w: completing a claim that was not granted", ErrInvalidClaim)
	case c.Slot < 0 || c.Slot >= MaxSlots:
		return "", fmt.Errorf("%w: slot %d out of range", ErrInvalidClaim, c.Slot)
	case c.Cycle <= 0 || c.Cycle > MaxCycle:
		return "", fmt.Errorf("%w: a cycle lasts (0, %v], not %v", ErrInvalidClaim, MaxCycle, c.Cycle)
	}
	return kind, nil
}

// holdOrDefault is hold, or DefaultHold when not positive.
func holdOrDefault(hold time.Duration) time.Duration {
	if hold <= 0 {
		return DefaultHold
	}
	return hold
}
