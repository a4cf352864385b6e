package outbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/connectflo/integrations/internal/store"
)

// One process delivers a database's outbox at a time: claims are plain updates, so two
// processes delivering the same queue (a rolling restart, a second start on the same file)
// would send events twice. The deliverer holds store.OutboxDeliveryLease, renews it every
// LeaseInterval and releases it at Close; a process without it accepts events (they are
// rows in the shared database) and takes delivery over when the lease is released or
// expires. Every claim checks the lease in its own transaction, so a process that lost the
// lease mid-pass sends nothing more. Lease times are wall-clock (they are compared between
// processes), not Config.Now.

// releaseTimeout bounds the release of the lease at Close when Close's own context has
// ended: a released lease lets the next process deliver at once instead of after LeaseTTL.
const releaseTimeout = 250 * time.Millisecond

// newOwnerID names this process in the lease: host and pid for the operator reading the
// log of the other process, and a random part so that a restarted process with a reused
// pid is not taken for its predecessor.
func newOwnerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), newEventID()[:8])
}

// keepLease renews (or waits for) the delivery lease until Close.
func (o *Outbox) keepLease() {
	defer close(o.leaseDone)
	tick := time.NewTicker(o.cfg.LeaseInterval)
	defer tick.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-tick.C:
		}
		if err := o.checkLease(o.workCtx); err != nil && o.workCtx.Err() == nil {
			o.cfg.Logger.Error("outbox: delivery lease", "err", err)
		}
	}
}

// checkLease takes or renews the lease and acts on a change: taking it starts delivery of
// every backlog; holding it, it looks for events other processes accepted; losing it stops
// the workers. Each change is logged once.
func (o *Outbox) checkLease(ctx context.Context) error {
	now := time.Now()
	l, err := o.st.AcquireLease(ctx, store.OutboxDeliveryLease, o.owner, now, o.cfg.LeaseTTL)
	if err != nil {
		return err
	}
	held := l.HeldBy(o.owner, now)
	o.mu.Lock()
	was, first := o.leased, !o.leaseChecked
	o.leaseChecked = true
	if held {
		o.leased = true // a loss is for lostLease to record and log
	}
	o.mu.Unlock()
	log := o.cfg.Logger
	switch {
	case held && !was:
		log.InfoContext(ctx, "outbox: this process delivers the database's timeline events", "owner", o.owner)
		// Whoever delivered before (this process's previous run, or another process) may
		// have held events for reasons that are over: one attempt finds out.
		return o.sweep(ctx, true)
	case held:
		return o.sweep(ctx, false)
	case was:
		o.lostLease(l.Owner)
	case first:
		log.WarnContext(ctx, "outbox: another process delivers this database's timeline events; this one accepts events and takes delivery over when that one stops",
			"owner", o.owner, "delivering_owner", l.Owner, "lease_expires", l.Expire.UTC())
	}
	return nil
}

// sweep wakes the worker of every connection with queued events (release: held ones too),
// or, when not releasing, of those with events due: other processes on the database accept
// events this process's workers were not told about.
func (o *Outbox) sweep(ctx context.Context, release bool) error {
	backlogs, err := o.st.OutboxBacklogs(ctx)
	if err != nil {
		return fmt.Errorf("outbox: read backlog: %w", err)
	}
	now := o.cfg.Now()
	for _, b := range backlogs {
		if release {
			o.cfg.Logger.InfoContext(ctx, "outbox: resuming", "workspace", b.Workspace, "connection", b.ConnectionID, "queued", b.Queued)
		} else if b.NextAttempt.After(now) {
			continue
		}
		o.wake(b.Workspace, b.ConnectionID, release)
	}
	return nil
}

// lostLease stops delivery here: another process took the lease (this one stalled past
// LeaseTTL) or it expired. Workers retire at their next look; claims already fail.
func (o *Outbox) lostLease(holder string) {
	o.mu.Lock()
	was := o.leased
	o.leased = false
	for _, w := range o.workers {
		select {
		case w.signal <- struct{}{}:
		default:
		}
	}
	o.mu.Unlock()
	if was {
		args := []any{"owner", o.owner}
		if holder != "" {
			args = append(args, "delivering_owner", holder)
		}
		o.cfg.Logger.Warn("outbox: lost the delivery lease; this process stops delivering timeline events and takes delivery over again if it becomes free", args...)
	}
}

// delivering reports whether this process holds the delivery lease.
func (o *Outbox) delivering() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.leased
}

// claim records events as possibly sent, provided this process still holds the lease.
func (o *Outbox) claim(ctx context.Context, events []store.OutboxEvent) error {
	err := o.st.ClaimOutboxEvents(ctx, o.owner, time.Now(), events)
	if errors.Is(err, store.ErrLeaseNotHeld) {
		o.lostLease("")
	}
	return err
}

// releaseLease frees the lease at Close so that another process delivers at once.
func (o *Outbox) releaseLease(ctx context.Context) {
	o.mu.Lock()
	held := o.leased
	o.leased = false
	o.mu.Unlock()
	if !held {
		return
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
	}
	if err := o.st.ReleaseLease(ctx, store.OutboxDeliveryLease, o.owner); err != nil {
		o.cfg.Logger.Warn("outbox: release the delivery lease; another process takes delivery over when it expires",
			"err", err, "lease_ttl", o.cfg.LeaseTTL.String())
	}
}
