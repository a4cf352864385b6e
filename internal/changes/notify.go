package changes

import (
	"context"
	"time"
)

// Notifier carries wake-ups between the processes (replicas) sharing one store, so that a
// watcher on any of them sees the changes another stored, and the process draining the
// webhook inbox hears of the events another accepted. A notification carries nothing a
// reader relies on: it only says "read the store again", so a lost one costs a delay, never
// a change. Without a notifier (the default) the process's own wake-ups are all there are,
// which is enough when it is the only process.
type Notifier interface {
	// NotifyChanges tells every process, this one included, that changes of the connection
	// uid were stored or updated.
	NotifyChanges(ctx context.Context, uid string) error
	// NotifyInbox tells every process, this one included, what happened to the webhook inbox.
	NotifyInbox(ctx context.Context, news InboxNews) error
}

// InboxNews is what a process tells the others about the webhook inbox.
type InboxNews string

const (
	// InboxEventsAdded: a process that does not drain the inbox added events to it.
	InboxEventsAdded InboxNews = "events"
	// InboxLeaseFreed: the process that drained the inbox let its lease go (it is stopping).
	InboxLeaseFreed InboxNews = "released"
)

// Valid reports whether n is one of the InboxNews constants.
func (n InboxNews) Valid() bool { return n == InboxEventsAdded || n == InboxLeaseFreed }

// notifyTimeout bounds a notification sent after a store has committed. It does not follow
// the caller's context: a caller that gives up after the commit must not leave the other
// processes' watchers asleep.
const notifyTimeout = 2 * time.Second

// WithNotifier makes f tell the other processes sharing its store about every Ingest that
// stored or updated a change, so that their watchers wake too. Call it before f is used.
func (f *Feed) WithNotifier(n Notifier) *Feed {
	f.notifier = n
	return f
}

// notify tells the other processes that changes of uid were stored. A failure is logged: their
// watchers see the change at their next wake-up instead of now.
func (f *Feed) notify(ctx context.Context, uid string) {
	if f.notifier == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
	defer cancel()
	if err := f.notifier.NotifyChanges(ctx, uid); err != nil {
		f.logger.Warn("tell the other processes about stored changes; their watchers see them at their next wake-up", "connection_uid", uid, "err", err)
	}
}

// Notified wakes this process's watchers of the connection uid, whose changes another
// process (or this one, through the notifier) stored. The wake-up only makes them read again.
func (f *Feed) Notified(uid string) { f.wake(uid) }

// WakeAll wakes every watcher of every connection: for when notifications may have been
// missed (a listener that lost its connection to the database). Each watcher reads again and
// finds nothing new or what it missed; a read is cheap, a missed change is not.
func (f *Feed) WakeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for uid, ch := range f.wakes {
		close(ch)
		delete(f.wakes, uid)
	}
}
