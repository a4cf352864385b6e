package budget

import (
	"context"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
)

// Memory is the ledger in one process's memory: the budgets of limiters that share it, as
// replicas share Postgres. It is safe for concurrent use.
type Memory struct {
	hold time.Duration
	now  func() time.Time // the ledger's clock

	mu      sync.Mutex
	budgets map[string]*memoryBudget
}

type memoryBudget struct {
	granted uint64
	slots   map[string][]memorySlot // by kind
}

type memorySlot struct {
	seq       uint64 // the claim holding it; 0: never used
	inflight  bool
	grantedAt time.Time
	stamp     time.Time
}

// NewMemory returns an empty ledger whose in-flight slots are held at most hold (0:
// DefaultHold) plus a cycle, on the clock now (nil: time.Now).
func NewMemory(hold time.Duration, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{hold: holdOrDefault(hold), now: now, budgets: map[string]*memoryBudget{}}
}

// Window is the shared window of one budget key; it panics on a key checkKey refuses (keys
// are the program's own, not callers').
func (m *Memory) Window(key string) hubspot.SharedWindow {
	if err := checkKey(key); err != nil {
		panic(err)
	}
	return memoryWindow{m: m, key: key}
}

type memoryWindow struct {
	m   *Memory
	key string
}

var _ hubspot.SharedWindow = memoryWindow{}

// freeAt is when the slot may be claimed, from now's point of view: an in-flight slot frees
// a cycle after a completion that cannot come before now, or when its hold expires.
func (m *Memory) freeAt(s memorySlot, cycle time.Duration, now time.Time) time.Time {
	switch {
	case s.seq == 0:
		return now
	case s.inflight:
		expiry := s.grantedAt.Add(m.hold + cycle)
		if soonest := now.Add(cycle); soonest.Before(expiry) {
			return soonest
		}
		return expiry
	default:
		return s.stamp.Add(cycle)
	}
}

// reusable is the ledger's rule (see the package comment).
func (m *Memory) reusable(s memorySlot, cycle time.Duration, now time.Time) bool {
	switch {
	case s.seq == 0:
		return true
	case s.inflight:
		return !s.grantedAt.Add(m.hold + cycle).After(now)
	default:
		return !s.stamp.Add(cycle).After(now)
	}
}

func (w memoryWindow) Claim(ctx context.Context, r hubspot.SlotRequest) (hubspot.SlotClaim, error) {
	kind, err := checkRequest(r)
	if err != nil {
		return hubspot.SlotClaim{}, err
	}
	if err := ctx.Err(); err != nil {
		return hubspot.SlotClaim{}, err
	}
	m := w.m
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.budgets[w.key]
	if b == nil {
		b = &memoryBudget{slots: map[string][]memorySlot{}}
		m.budgets[w.key] = b
	}
	slots := b.slots[kind]
	if len(slots) < r.Budget {
		slots = append(slots, make([]memorySlot, r.Budget-len(slots))...)
		b.slots[kind] = slots
	}
	now := m.now()
	claim := hubspot.SlotClaim{Kind: r.Kind, Cycle: r.Cycle, Seq: b.granted}
	for i, s := range slots[:r.Budget] {
		if m.reusable(s, r.Cycle, now) {
			b.granted++
			slots[i] = memorySlot{seq: b.granted, inflight: true, grantedAt: now, stamp: now}
			claim.Granted, claim.Slot, claim.Seq = true, i, b.granted
			return claim, nil
		}
	}
	next := m.freeAt(slots[0], r.Cycle, now)
	for _, s := range slots[1:r.Budget] {
		if t := m.freeAt(s, r.Cycle, now); t.Before(next) {
			next = t
		}
	}
	claim.RetryAfter = max(next.Sub(now), 0)
	return claim, nil
}

func (w memoryWindow) InWindow(ctx context.Context, k hubspot.RequestKind, cycle time.Duration) (int, error) {
	kind, err := checkCount(k, cycle)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m := w.m
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.budgets[w.key]
	if b == nil {
		return 0, nil
	}
	now, n := m.now(), 0
	for _, s := range b.slots[kind] {
		if s.seq != 0 && m.freeAt(s, cycle, now).After(now) {
			n++
		}
	}
	return n, nil
}

func (w memoryWindow) Complete(ctx context.Context, c hubspot.SlotClaim) (hubspot.SlotUsage, error) {
	kind, err := checkClaim(c)
	if err != nil {
		return hubspot.SlotUsage{}, err
	}
	if err := ctx.Err(); err != nil {
		return hubspot.SlotUsage{}, err
	}
	m := w.m
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.budgets[w.key]
	if b == nil {
		return hubspot.SlotUsage{CountedAtClaim: -1}, nil
	}
	usage := hubspot.SlotUsage{Seq: b.granted, CountedAtClaim: -1}
	slots := b.slots[kind]
	if c.Slot >= len(slots) || slots[c.Slot].seq != c.Seq || !slots[c.Slot].inflight {
		return usage, nil // reclaimed after its hold: the new holder's slot stays as it is
	}
	grantedAt := slots[c.Slot].grantedAt
	usage.CountedAtClaim = 0
	for _, s := range slots {
		if s.seq != 0 && (s.inflight || s.stamp.Add(c.Cycle).After(grantedAt)) {
			usage.CountedAtClaim++
		}
	}
	slots[c.Slot].inflight = false
	slots[c.Slot].stamp = m.now()
	return usage, nil
}
