package conditions

import "time"

// Limits bound what one condition may cost. The zero value of a field takes its default.
type Limits struct {
	// MaxLength is the longest expression accepted, in characters. Default 4096.
	MaxLength int
	// MaxCost bounds CEL's cost units, both the static estimate at compile time (the worst
	// case over any record, with text fields up to HubSpot's 65,536 characters) and the cost
	// actually spent by one evaluation. Default 1,000,000 (a few milliseconds of work).
	MaxCost uint64
	// Timeout bounds one evaluation; comprehensions check it every 100 iterations.
	// Default 100 ms.
	Timeout time.Duration
}

// Default limits.
const (
	DefaultMaxLength = 4096
	DefaultMaxCost   = 1_000_000
	DefaultTimeout   = 100 * time.Millisecond
)

// EarliestNow and LatestNow bound the time a caller may evaluate a condition at: wide enough
// for any what-if, narrow enough that date arithmetic on it (now plus a duration of centuries)
// stays inside CEL's timestamp range (years 1 to 9999).
var (
	EarliestNow = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	LatestNow   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// NowInRange reports whether now is between EarliestNow and LatestNow.
func NowInRange(now time.Time) bool { return !now.Before(EarliestNow) && !now.After(LatestNow) }

// interruptCheckFrequency is how many comprehension iterations run between checks of the
// evaluation's deadline: often enough to stop a runaway loop within microseconds, rarely
// enough to cost nothing measurable.
const interruptCheckFrequency = 100

func (l Limits) withDefaults() Limits {
	if l.MaxLength <= 0 {
		l.MaxLength = DefaultMaxLength
	}
	if l.MaxCost == 0 {
		l.MaxCost = DefaultMaxCost
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}
