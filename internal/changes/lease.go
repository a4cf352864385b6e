package changes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/connectflo/integrations/internal/store"
)

// Several processes on one store accept webhooks (any of them may receive HubSpot's call),
// and one at a time turns the inbox into changes: the one holding InboxLease. Two processes
// draining at once would store nothing twice (a change's dedup key makes the second store
// the same change), but each would read the same records' names from HubSpot, within the
// connection's budget, for nothing.
//
// The holder renews the lease every third of its TTL and before each batch of a pass once
// half of it has gone, and stops a pass when its own clock says the lease has expired; it
// releases the lease when Run ends and tells the others, which try to take it at once. A
// process that dies holding it is replaced when the lease expires, at the next third of a
// TTL of another process. A process that does not hold it and stored events tells the holder
// through the notifier; without a notifier, or when the notification is lost, the holder finds
// them at its next renewal. Lease times are wall-clock (they are compared between processes).

// InboxLease is the lease of the process that turns the webhook inbox into changes.
const InboxLease = "webhook-inbox"

// DefaultInboxLeaseTTL is Sharing.LeaseTTL's default: how long after its holder's last
// renewal the inbox waits for another process when the holder has died.
const DefaultInboxLeaseTTL = 15 * time.Second

// releaseTimeout bounds the release of the lease (and the notification of it) when Run
// ends: released, another process takes over at once instead of after the TTL.
const releaseTimeout = 500 * time.Millisecond

// Leases are the store's named leases.
type Leases interface {
	AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (store.Lease, error)
	ReleaseLease(ctx context.Context, name, owner string) error
}

// Sharing is what a processor needs to share its store with other processes.
type Sharing struct {
	Leases Leases
	// Notifier tells the holder about events another process stored (nil: the holder finds
	// them at its next renewal, within a third of LeaseTTL).
	Notifier Notifier
	// LeaseTTL is how long the lease outlives its holder's last renewal (0:
	// DefaultInboxLeaseTTL).
	LeaseTTL time.Duration
}

// Shared makes p drain the inbox only while it holds InboxLease, so that it shares its store
// with other processes (see above). Call it before Run.
func (p *Processor) Shared(s Sharing) *Processor {
	p.leases, p.notifier, p.ttl = s.Leases, s.Notifier, s.LeaseTTL
	if p.ttl <= 0 {
		p.ttl = DefaultInboxLeaseTTL
	}
	p.owner = newOwner()
	return p
}

// newOwner names this process in the lease: host and pid for the operator reading the other
// process's log, and a random part so that a restarted process with a reused pid is not taken
// for its predecessor.
func newOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	var raw [4]byte
	_, _ = rand.Read(raw[:]) // never fails (crypto/rand)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(raw[:]))
}

// holds reports whether this process holds the lease. take asks the store (taking a free or
// expired lease, renewing a held one); otherwise the store is asked only when a held lease
// is past half its TTL, and a process that does not hold it answers from memory.
func (p *Processor) holds(ctx context.Context, take bool) (bool, error) {
	now := p.now()
	if !take && (!p.held || now.Before(p.expire.Add(-p.ttl/2))) {
		return p.held && now.Before(p.expire), nil
	}
	l, err := p.leases.AcquireLease(ctx, InboxLease, p.owner, now, p.ttl)
	if err != nil {
		return false, fmt.Errorf("changes: take the webhook inbox lease: %w", err)
	}
	held := l.HeldBy(p.owner, now)
	switch {
	case held && !p.held:
		p.logger.Info("this process turns the webhook inbox into changes", "owner", p.owner)
	case !held && p.held:
		p.logger.Warn("lost the webhook inbox lease; another process turns the inbox into changes", "owner", p.owner, "holder", l.Owner)
	case !held && !p.looked:
		p.logger.Info("another process turns the webhook inbox into changes; this one stores the webhooks it receives and takes over when that one stops",
			"owner", p.owner, "holder", l.Owner, "lease_expires", l.Expire.UTC())
	}
	p.held, p.expire, p.looked = held, l.Expire, true
	return held, nil
}

// releaseLease frees the lease when Run ends and tells the other processes, so that one of
// them takes over at once.
func (p *Processor) releaseLease(ctx context.Context) {
	if p.leases == nil || !p.held {
		return
	}
	p.held = false
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := p.leases.ReleaseLease(ctx, InboxLease, p.owner); err != nil {
		p.logger.Warn("release the webhook inbox lease; another process takes over when it expires", "err", err, "lease_ttl", p.ttl.String())
		return
	}
	if p.notifier == nil {
		return
	}
	if err := p.notifier.NotifyInbox(ctx, InboxLeaseFreed); err != nil {
		p.logger.Warn("tell the other processes the webhook inbox lease is free; one takes over at its next renewal", "err", err)
	}
}
