package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrLeaseNotHeld means a write that requires a lease was refused: the caller does not hold
// it, or its lease has expired.
var ErrLeaseNotHeld = errors.New("store: lease not held")

// OutboxDeliveryLease is the lease of the process that delivers the timeline outbox.
const OutboxDeliveryLease = "outbox-delivery"

// Lease is who holds a named lease, and until when.
type Lease struct {
	Name   string
	Owner  string
	Expire time.Time
}

// HeldBy reports whether owner holds the lease at now.
func (l Lease) HeldBy(owner string, now time.Time) bool {
	return l.Owner == owner && now.Before(l.Expire)
}

// AcquireLease gives the lease to owner until now+ttl when it is free, expired, or already
// owner's (a renewal), and returns the lease as it stands afterwards: owner's, or the current
// holder's when another process holds it. Two contenders never both get it: the upsert is
// one statement that, on PostgreSQL, locks the lease's row and evaluates its WHERE on the
// latest committed version (and on SQLite runs under the database's write lock).
func (s *Store) AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (Lease, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return Lease{}, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO leases(name, owner, expire_ms) VALUES (?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expire_ms = excluded.expire_ms
		WHERE leases.owner = excluded.owner OR leases.expire_ms <= ?`,
		name, owner, now.Add(ttl).UnixMilli(), now.UnixMilli()); err != nil {
		return Lease{}, fmt.Errorf("store: acquire lease %s: %w", name, err)
	}
	l := Lease{Name: name}
	var ms int64
	if err := tx.QueryRowContext(ctx, `SELECT owner, expire_ms FROM leases WHERE name = ?`, name).Scan(&l.Owner, &ms); err != nil {
		return Lease{}, fmt.Errorf("store: read lease %s: %w", name, translate(err))
	}
	l.Expire = time.UnixMilli(ms)
	return l, tx.Commit()
}

// ReleaseLease frees the lease if owner holds it, so that another process can take it at
// once rather than when it expires.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND owner = ?`, name, owner); err != nil {
		return fmt.Errorf("store: release lease %s: %w", name, err)
	}
	return nil
}

// checkLease is ErrLeaseNotHeld unless owner holds the lease at now. Called inside a write
// transaction, it holds until the commit: no other process can take the lease in between.
// It is an UPDATE that changes nothing rather than a SELECT so that on PostgreSQL it locks
// the lease's row until tx ends: an AcquireLease by another process waits for the commit, and
// then finds the lease as this transaction left it. (On SQLite the write lock does this.)
func checkLease(ctx context.Context, tx *sql.Tx, name, owner string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE leases SET expire_ms = expire_ms WHERE name = ? AND owner = ? AND expire_ms > ?`,
		name, owner, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: check lease %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(fmt.Errorf("%w: %s is not held by %s", ErrLeaseNotHeld, name, owner), err)
	}
	return nil
}
