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
// holder's when another process holds it. SQLite's write lock makes this atomic between
// processes: two contenders never both get it.
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
func checkLease(ctx context.Context, tx *sql.Tx, name, owner string, now time.Time) error {
	var ms int64
	err := tx.QueryRowContext(ctx, `SELECT expire_ms FROM leases WHERE name = ? AND owner = ?`, name, owner).Scan(&ms)
	if errors.Is(translate(err), ErrNotFound) || (err == nil && ms <= now.UnixMilli()) {
		return fmt.Errorf("%w: %s is not held by %s", ErrLeaseNotHeld, name, owner)
	}
	return err
}
