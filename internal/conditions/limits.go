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
