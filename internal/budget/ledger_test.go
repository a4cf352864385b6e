package budget_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/connectflo/integrations/internal/budget"
	"github.com/connectflo/integrations/internal/hubspot"
)

const (
	testCycle = 10 * time.Second // HubSpot's window plus a margin, roughly
	testHold  = 40 * time.Second
	// slack is how much real time may pass between two statements of one case against a
	// real database: the cases leave it room on every side of each boundary.
	slack = 5 * time.Second
)

// step is one thing a replica does to the ledger, and what it must answer.
type step struct {
	age time.Duration // when set, this much time passes and nothing else happens

	complete   int // when > 0, the replica completes the claim made at that step (1-based)
	wantUsage  hubspot.SlotUsage
	replica    int
	kind       hubspot.RequestKind
	budget     int
	wantClaim  hubspot.SlotClaim // Kind and Cycle are filled in
	retryAtMin time.Duration     // when the claim is refused: the range its RetryAfter lies in
	retryAtMax time.Duration

	count     bool // when set, the replica counts the kind's slots in the window: wantCount
	wantCount int
}

func inWindow(replica, want int) step { return step{count: true, replica: replica, wantCount: want} }

func claim(replica, budget int, want hubspot.SlotClaim) step {
	return step{replica: replica, budget: budget, wantClaim: want}
}

func refused(replica, budget int, seq uint64, lo, hi time.Duration) step {
	return step{replica: replica, budget: budget, wantClaim: hubspot.SlotClaim{Seq: seq}, retryAtMin: lo, retryAtMax: hi}
}

func granted(slot int, seq uint64) hubspot.SlotClaim {
	return hubspot.SlotClaim{Granted: true, Slot: slot, Seq: seq}
}

var ledgerCases = []struct {
	name  string
	steps []step
}{
	{"grants up to the budget, then names when a slot frees", []step{
		claim(0, 3, granted(0, 1)),
		claim(1, 3, granted(1, 2)),
		claim(0, 3, granted(2, 3)),
		refused(1, 3, 3, testCycle-slack, testCycle), // all in flight: a cycle after a completion not yet seen
	}},
	{"a completed slot is reused a cycle after its completion, not before", []step{
		claim(0, 1, granted(0, 1)),
		{complete: 1, wantUsage: hubspot.SlotUsage{Seq: 1, CountedAtClaim: 1}},
		{age: testCycle - slack},
		refused(1, 1, 1, time.Nanosecond, slack),
		{age: slack},
		claim(1, 1, granted(0, 2)),
	}},
	{"a slot left in flight is reclaimed after hold and cycle, and a late completion changes nothing", []step{
		claim(0, 1, granted(0, 1)),
		{age: testHold + testCycle - slack},
		refused(1, 1, 1, time.Nanosecond, slack),
		{age: slack},
		claim(1, 1, granted(0, 2)),
		{complete: 1, wantUsage: hubspot.SlotUsage{Seq: 2, CountedAtClaim: -1}},
		refused(1, 1, 2, testCycle-slack, testCycle), // the new holder's slot is still in flight
	}},
	{"a replica believing a smaller budget uses only the first slots", []step{
		claim(0, 2, granted(0, 1)),
		claim(0, 2, granted(1, 2)),
		refused(1, 1, 2, testCycle-slack, testCycle),
		claim(1, 3, granted(2, 3)),
	}},
	{"kinds have slots of their own and one grant count", []step{
		claim(0, 1, granted(0, 1)),
		{replica: 1, kind: hubspot.KindSearch, budget: 1, wantClaim: granted(0, 2)},
		refused(1, 1, 2, testCycle-slack, testCycle),
	}},
	{"a completion counts the fleet's slots that counted at its claim", []step{
		claim(0, 5, granted(0, 1)),
		claim(1, 5, granted(1, 2)),
		{complete: 1, replica: 0, wantUsage: hubspot.SlotUsage{Seq: 2, CountedAtClaim: 2}},
		{age: testCycle + slack},
		claim(1, 5, granted(0, 3)), // slot 0 is free again, slot 1 still in flight
		{complete: 5, replica: 1, wantUsage: hubspot.SlotUsage{Seq: 3, CountedAtClaim: 2}},
		// Slot 1 was claimed a cycle ago, but slot 0 completed since: a later claim counts.
		{complete: 2, replica: 1, wantUsage: hubspot.SlotUsage{Seq: 3, CountedAtClaim: 2}},
	}},
	{"every replica counts the fleet's slots in the window, by kind", []step{
		inWindow(0, 0),
		claim(0, 5, granted(0, 1)),
		claim(1, 5, granted(1, 2)),
		{replica: 1, kind: hubspot.KindSearch, budget: 5, wantClaim: granted(0, 3)},
		inWindow(0, 2),
		inWindow(1, 2),
		{complete: 2, replica: 0, wantUsage: hubspot.SlotUsage{Seq: 3, CountedAtClaim: 2}},
		inWindow(1, 2), // completed a moment ago: it counts for a cycle
		{age: testCycle + slack},
		inWindow(1, 1), // slot 1 is still in flight
		{age: testHold},
		inWindow(0, 0), // its holder never completed it: it stops counting once reclaimable
	}},
}

// TestLedgerSlots is the ledger's rule, step by step, on every implementation: two replicas
// share one budget's slots, a slot frees a cycle after its completion or hold and cycle after
// its claim, and the grant count is the budget's.
func TestLedgerSlots(t *testing.T) {
	for _, lk := range ledgerKinds {
		t.Run(lk.name, func(t *testing.T) {
			ledger := lk.open(t, testHold)
			for i, tc := range ledgerCases {
				t.Run(tc.name, func(t *testing.T) {
					key := "case-" + string(rune('a'+i))
					ctx := t.Context()
					claims := map[int]hubspot.SlotClaim{}
					for n, s := range tc.steps {
						n++
						switch {
						case s.age > 0:
							ledger.age(t, key, s.age)
						case s.count:
							got, err := ledger.replica(s.replica, key).InWindow(ctx, hubspot.KindStandard, testCycle)
							if err != nil || got != s.wantCount {
								t.Fatalf("step %d: %d slots in the window (%v), want %d", n, got, err, s.wantCount)
							}
						case s.complete > 0:
							got, err := ledger.replica(s.replica, key).Complete(ctx, claims[s.complete])
							if err != nil {
								t.Fatalf("step %d: %v", n, err)
							}
							if diff := cmp.Diff(s.wantUsage, got); diff != "" {
								t.Fatalf("step %d: completion (-want +got):\n%s", n, diff)
							}
						default:
							got, err := ledger.replica(s.replica, key).Claim(ctx, hubspot.SlotRequest{Kind: s.kind, Budget: s.budget, Cycle: testCycle})
							if err != nil {
								t.Fatalf("step %d: %v", n, err)
							}
							claims[n] = got
							want := s.wantClaim
							want.Kind, want.Cycle = s.kind, testCycle
							if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(hubspot.SlotClaim{}, "RetryAfter")); diff != "" {
								t.Fatalf("step %d: claim (-want +got):\n%s", n, diff)
							}
							if got.Granted {
								if got.RetryAfter != 0 {
									t.Fatalf("step %d: granted with RetryAfter %v", n, got.RetryAfter)
								}
							} else if got.RetryAfter < s.retryAtMin || got.RetryAfter > s.retryAtMax {
								t.Fatalf("step %d: refused with RetryAfter %v, want within [%v, %v]", n, got.RetryAfter, s.retryAtMin, s.retryAtMax)
							}
						}
					}
				})
			}
		})
	}
}

// TestLedgerRefusesInvalidClaims: what no limiter would ask is refused before any work.
func TestLedgerRefusesInvalidClaims(t *testing.T) {
	requests := []struct {
		name string
		req  hubspot.SlotRequest
	}{
		{"no slots", hubspot.SlotRequest{Budget: 0, Cycle: testCycle}},
		{"too many slots", hubspot.SlotRequest{Budget: budget.MaxSlots + 1, Cycle: testCycle}},
		{"no cycle", hubspot.SlotRequest{Budget: 1}},
		{"a cycle too long", hubspot.SlotRequest{Budget: 1, Cycle: budget.MaxCycle + time.Second}},
		{"an unknown kind", hubspot.SlotRequest{Kind: 7, Budget: 1, Cycle: testCycle}},
	}
	completions := []struct {
		name  string
		claim hubspot.SlotClaim
	}{
		{"a refused claim", hubspot.SlotClaim{Slot: 0, Seq: 1, Cycle: testCycle}},
		{"a negative slot", hubspot.SlotClaim{Granted: true, Slot: -1, Seq: 1, Cycle: testCycle}},
		{"no cycle", hubspot.SlotClaim{Granted: true, Slot: 0, Seq: 1}},
	}
	for _, lk := range ledgerKinds {
		t.Run(lk.name, func(t *testing.T) {
			w := lk.open(t, testHold).replica(0, "invalid")
			for _, tc := range requests {
				t.Run("claim "+tc.name, func(t *testing.T) {
					if _, err := w.Claim(t.Context(), tc.req); !errors.Is(err, budget.ErrInvalidClaim) {
						t.Fatalf("Claim(%+v) = %v, want ErrInvalidClaim", tc.req, err)
					}
				})
			}
			for _, tc := range completions {
				t.Run("complete "+tc.name, func(t *testing.T) {
					if _, err := w.Complete(t.Context(), tc.claim); !errors.Is(err, budget.ErrInvalidClaim) {
						t.Fatalf("Complete(%+v) = %v, want ErrInvalidClaim", tc.claim, err)
					}
				})
			}
		})
	}
}

// TestLedgerConcurrentReplicasNeverExceedTheBudget: replicas claiming at once, each from
// many goroutines, get exactly the budget's slots between them, each slot once, and the
// grants are counted once each.
func TestLedgerConcurrentReplicasNeverExceedTheBudget(t *testing.T) {
	const (
		budgetSlots = 10
		replicaN    = 3
		workers     = 6 // per replica
		attempts    = 8 // per worker: 144 claims for 10 slots
	)
	for _, lk := range ledgerKinds {
		t.Run(lk.name, func(t *testing.T) {
			ledger := lk.open(t, testHold)
			var mu sync.Mutex
			var slots []int
			var seqs []uint64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for r := range replicaN {
				w := ledger.replica(r, "concurrent")
				for range workers {
					wg.Go(func() {
						<-start
						for range attempts {
							c, err := w.Claim(context.Background(), hubspot.SlotRequest{Budget: budgetSlots, Cycle: time.Hour})
							if err != nil {
								t.Error(err)
								return
							}
							if c.Granted {
								mu.Lock()
								slots, seqs = append(slots, c.Slot), append(seqs, c.Seq)
								mu.Unlock()
							}
						}
					})
				}
			}
			close(start)
			wg.Wait()
			sort.Ints(slots)
			sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
			var wantSlots []int
			var wantSeqs []uint64
			for i := range budgetSlots {
				wantSlots, wantSeqs = append(wantSlots, i), append(wantSeqs, uint64(i+1))
			}
			if diff := cmp.Diff(wantSlots, slots); diff != "" {
				t.Errorf("slots granted (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantSeqs, seqs); diff != "" {
				t.Errorf("grant counts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPostgresStampsWithTheDatabaseClock: a claim and its completion are stamped with the
// database's clock, between two readings of it taken before and after, whatever the replica's
// clock says; the replica passes durations only.
func TestPostgresStampsWithTheDatabaseClock(t *testing.T) {
	dsn := testPostgres(t)
	db := openPostgres(t, dsn)
	w := budget.NewPostgres(db, testHold).Window("clock")
	ctx := t.Context()
	dbNow := func() time.Time {
		t.Helper()
		var now time.Time
		if err := db.QueryRowContext(ctx, "SELECT clock_timestamp()").Scan(&now); err != nil {
			t.Fatal(err)
		}
		return now
	}
	stamps := func() (grantedAt, stamp time.Time, inflight bool) {
		t.Helper()
		if err := db.QueryRowContext(ctx, `SELECT granted_at, stamp, inflight FROM hubspot_budget_slots
			WHERE budget_key = 'clock' AND kind = 'standard' AND slot = 0`).Scan(&grantedAt, &stamp, &inflight); err != nil {
			t.Fatal(err)
		}
		return grantedAt, stamp, inflight
	}
	between := func(what string, got, lo, hi time.Time) {
		t.Helper()
		if got.Before(lo) || got.After(hi) {
			t.Errorf("%s %v is not between the database's readings %v and %v", what, got, lo, hi)
		}
	}

	before := dbNow()
	c, err := w.Claim(ctx, hubspot.SlotRequest{Budget: 1, Cycle: testCycle})
	if err != nil || !c.Granted {
		t.Fatalf("Claim = %+v, %v", c, err)
	}
	after := dbNow()
	grantedAt, stamp, inflight := stamps()
	between("granted_at", grantedAt, before, after)
	if !stamp.Equal(grantedAt) || !inflight {
		t.Errorf("after the claim: stamp %v, in flight %v; want the grant time %v, in flight", stamp, inflight, grantedAt)
	}

	before = dbNow()
	if _, err := w.Complete(ctx, c); err != nil {
		t.Fatal(err)
	}
	after = dbNow()
	_, stamp, inflight = stamps()
	between("completion stamp", stamp, before, after)
	if inflight {
		t.Error("the slot is still in flight after its completion")
	}
}

// TestPostgresRecreatesRemovedRows: a ledger whose rows were removed behind it (a truncated
// table, a restored backup) creates them again rather than refusing every claim for ever.
func TestPostgresRecreatesRemovedRows(t *testing.T) {
	dsn := testPostgres(t)
	db := openPostgres(t, dsn)
	w := budget.NewPostgres(db, testHold).Window("removed")
	ctx := t.Context()
	req := hubspot.SlotRequest{Budget: 2, Cycle: testCycle}
	if c, err := w.Claim(ctx, req); err != nil || !c.Granted {
		t.Fatalf("first claim = %+v, %v", c, err)
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM hubspot_budget_slots; DELETE FROM hubspot_budget_grants"); err != nil {
		t.Fatal(err)
	}
	got, err := w.Claim(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	want := hubspot.SlotClaim{Granted: true, Slot: 0, Seq: 1, Cycle: testCycle}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("claim after the rows went (-want +got):\n%s", diff)
	}
}
