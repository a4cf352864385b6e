package budget

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
)

// Postgres is the ledger in the PostgreSQL database the replicas share (tables
// hubspot_budget_slots and hubspot_budget_grants, migration 0018). db is opened through
// pgx's database/sql driver. Every instant it records or compares is the database's
// clock_timestamp(): a replica passes durations only, so replicas whose clocks disagree still
// agree on when a slot frees. Each claim and each completion is one statement, so one short
// transaction; concurrent claims skip the rows another claim has locked
// (FOR UPDATE SKIP LOCKED) rather than queue behind it, and take different slots.
//
// It is safe for concurrent use.
type Postgres struct {
	db   *sql.DB
	hold time.Duration

	mu    sync.Mutex
	ready map[string]int // "key\x00kind" → slots known to exist (rows are created on first use)
}

// NewPostgres returns the ledger on db, whose in-flight slots are held at most hold (0:
// DefaultHold) plus a cycle. Give every replica the same hold.
func NewPostgres(db *sql.DB, hold time.Duration) *Postgres {
	return &Postgres{db: db, hold: holdOrDefault(hold), ready: map[string]int{}}
}

// Window is the shared window of one budget key; it panics on a key checkKey refuses (keys
// are the program's own, not callers').
func (p *Postgres) Window(key string) hubspot.SharedWindow {
	if err := checkKey(key); err != nil {
		panic(err)
	}
	return postgresWindow{p: p, key: key}
}

type postgresWindow struct {
	p   *Postgres
	key string
}

var _ hubspot.SharedWindow = postgresWindow{}

// micros is d as a whole number of microseconds, PostgreSQL's resolution, rounded up so that
// a slot is never freed early.
func micros(d time.Duration) int64 { return int64((d + time.Microsecond - 1) / time.Microsecond) }

// forget makes the next claim of the key's kind create its rows again.
func (p *Postgres) forget(key, kind string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.ready, key+"\x00"+kind)
}

// ensureSlots creates the key's grant counter and its first budget slots of kind, once per
// process and size: claims then only ever update rows.
func (p *Postgres) ensureSlots(ctx context.Context, key, kind string, budget int) error {
	id := key + "\x00" + kind
	p.mu.Lock()
	have := p.ready[id]
	p.mu.Unlock()
	if have >= budget {
		return nil
	}
	if _, err := p.db.ExecContext(ctx, `
		WITH counter AS (
			INSERT INTO hubspot_budget_grants (budget_key) VALUES ($1) ON CONFLICT DO NOTHING
		)
		INSERT INTO hubspot_budget_slots (budget_key, kind, slot)
		SELECT $1, $2, n FROM generate_series(0, $3::integer - 1) AS n
		ON CONFLICT DO NOTHING`, key, kind, budget); err != nil {
		return fmt.Errorf("budget: creating the slots of a budget: %w", err)
	}
	p.mu.Lock()
	p.ready[id] = max(p.ready[id], budget)
	p.mu.Unlock()
	return nil
}

// claimSQL takes the lowest-numbered reusable slot among the first $3 (see the package
// comment for the rule), counts the grant and stamps the slot, in one statement. The grant
// time and the stamp are one reading of the clock (two calls of clock_timestamp() in one
// statement may differ by a microsecond). $4 is the cycle and $5 the hold, in microseconds.
const claimSQL = `
WITH pick AS MATERIALIZED (
	SELECT slot FROM hubspot_budget_slots
	WHERE budget_key = $1 AND kind = $2 AND slot < $3::integer
	  AND CASE WHEN inflight THEN granted_at + ($5::bigint + $4::bigint) * interval '1 microsecond'
	           ELSE stamp + $4::bigint * interval '1 microsecond' END <= clock_timestamp()
	ORDER BY slot
	LIMIT 1
	FOR UPDATE SKIP LOCKED
), counted AS (
	UPDATE hubspot_budget_grants SET granted = granted + 1
	WHERE budget_key = $1 AND EXISTS (SELECT 1 FROM pick)
	RETURNING granted
)
UPDATE hubspot_budget_slots AS s
SET claim_seq = counted.granted, inflight = true, granted_at = now.t, stamp = now.t
FROM pick, counted, (SELECT clock_timestamp() AS t) AS now
WHERE s.budget_key = $1 AND s.kind = $2 AND s.slot = pick.slot
RETURNING s.slot, s.claim_seq`

// retrySQL is, after a refused claim, how long (microseconds, never negative) until the first
// of the $3 slots frees: an in-flight slot a cycle after now at the soonest (its completion
// cannot come earlier), or when its hold expires; the budget's grant count; and whether the
// rows a claim needs are all there.
const retrySQL = `
SELECT COALESCE((extract(epoch FROM min(greatest(
		CASE WHEN inflight THEN least(clock_timestamp() + $4::bigint * interval '1 microsecond',
		                              granted_at + ($5::bigint + $4::bigint) * interval '1 microsecond')
		     ELSE stamp + $4::bigint * interval '1 microsecond' END,
		clock_timestamp())) - clock_timestamp()) * 1000000)::bigint, 0),
	COALESCE((SELECT granted FROM hubspot_budget_grants WHERE budget_key = $1), 0),
	count(*) = $3::integer AND EXISTS (SELECT 1 FROM hubspot_budget_grants WHERE budget_key = $1)
FROM hubspot_budget_slots
WHERE budget_key = $1 AND kind = $2 AND slot < $3::integer`

func (w postgresWindow) Claim(ctx context.Context, r hubspot.SlotRequest) (hubspot.SlotClaim, error) {
	kind, err := checkRequest(r)
	if err != nil {
		return hubspot.SlotClaim{}, err
	}
	// The second round only follows rows that were removed behind this process's back.
	for round := 0; ; round++ {
		if err := w.p.ensureSlots(ctx, w.key, kind, r.Budget); err != nil {
			return hubspot.SlotClaim{}, err
		}
		claim := hubspot.SlotClaim{Kind: r.Kind, Cycle: r.Cycle}
		var seq int64
		err = w.p.db.QueryRowContext(ctx, claimSQL, w.key, kind, r.Budget, micros(r.Cycle), micros(w.p.hold)).Scan(&claim.Slot, &seq)
		switch {
		case err == nil:
			claim.Granted, claim.Seq = true, uint64(seq)
			return claim, nil
		case !errors.Is(err, sql.ErrNoRows):
			return hubspot.SlotClaim{}, fmt.Errorf("budget: claiming a slot: %w", err)
		}
		var wait int64
		var complete bool
		if err := w.p.db.QueryRowContext(ctx, retrySQL, w.key, kind, r.Budget, micros(r.Cycle), micros(w.p.hold)).Scan(&wait, &seq, &complete); err != nil {
			return hubspot.SlotClaim{}, fmt.Errorf("budget: reading when a slot frees: %w", err)
		}
		if !complete && round == 0 {
			w.p.forget(w.key, kind)
			continue
		}
		if !complete {
			return hubspot.SlotClaim{}, fmt.Errorf("budget: the slots of a budget are missing after creating them")
		}
		claim.RetryAfter, claim.Seq = time.Duration(max(wait, 0))*time.Microsecond, uint64(seq)
		return claim, nil
	}
}

// completeSQL restamps the claim's slot if the claim still holds it, and reports the grant
// count and, from the statement's snapshot (where the slot is still in flight), how many of
// the kind's slots counted when the claim was granted.
const completeSQL = `
WITH done AS (
	UPDATE hubspot_budget_slots SET inflight = false, stamp = clock_timestamp()
	WHERE budget_key = $1 AND kind = $2 AND slot = $3::integer AND claim_seq = $4::bigint AND inflight
	RETURNING granted_at
)
SELECT COALESCE((SELECT granted FROM hubspot_budget_grants WHERE budget_key = $1), 0),
	CASE WHEN EXISTS (SELECT 1 FROM done) THEN
		(SELECT count(*) FROM hubspot_budget_slots AS s, done
		 WHERE s.budget_key = $1 AND s.kind = $2 AND s.claim_seq <> 0
		   AND (s.inflight OR s.stamp + $5::bigint * interval '1 microsecond' > done.granted_at))
	ELSE -1 END`

// inWindowSQL counts the slots a claim could not take now (claimSQL's rule, negated) that
// some claim has used. $3 is the cycle and $4 the hold, in microseconds.
const inWindowSQL = `
SELECT count(*) FROM hubspot_budget_slots
WHERE budget_key = $1 AND kind = $2 AND claim_seq <> 0
  AND CASE WHEN inflight THEN granted_at + ($4::bigint + $3::bigint) * interval '1 microsecond'
           ELSE stamp + $3::bigint * interval '1 microsecond' END > clock_timestamp()`

func (w postgresWindow) InWindow(ctx context.Context, k hubspot.RequestKind, cycle time.Duration) (int, error) {
	kind, err := checkCount(k, cycle)
	if err != nil {
		return 0, err
	}
	var n int
	if err := w.p.db.QueryRowContext(ctx, inWindowSQL, w.key, kind, micros(cycle), micros(w.p.hold)).Scan(&n); err != nil {
		return 0, fmt.Errorf("budget: counting a window: %w", err)
	}
	return n, nil
}

func (w postgresWindow) Complete(ctx context.Context, c hubspot.SlotClaim) (hubspot.SlotUsage, error) {
	kind, err := checkClaim(c)
	if err != nil {
		return hubspot.SlotUsage{}, err
	}
	var seq, counted int64
	if err := w.p.db.QueryRowContext(ctx, completeSQL, w.key, kind, c.Slot, int64(c.Seq), micros(c.Cycle)).Scan(&seq, &counted); err != nil {
		return hubspot.SlotUsage{}, fmt.Errorf("budget: completing a slot: %w", err)
	}
	return hubspot.SlotUsage{Seq: uint64(seq), CountedAtClaim: int(counted)}, nil
}
