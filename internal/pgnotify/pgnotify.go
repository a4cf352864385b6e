// Package pgnotify carries the change feed's wake-ups between replicas sharing one PostgreSQL
// database (changes.Notifier), through PostgreSQL's NOTIFY and LISTEN
// (https://www.postgresql.org/docs/current/sql-notify.html).
//
// Notifier sends with pg_notify through the replicas' *sql.DB; Listener holds a dedicated
// connection that LISTENs on both channels and hands what it hears to the feed and the inbox
// processor. PostgreSQL delivers a notification to every session listening on its channel
// when the sending transaction commits, the sender's own included, in the database it was
// sent in: the channels are constants, so processes sharing a database (not only a schema)
// wake each other, which costs them a read of the store and nothing else.
//
// A notification says only "read again": its payload is a connection uid (never a secret) or
// an inbox news word, both far below PostgreSQL's payload limit of 8000 bytes.
package pgnotify

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/connectflo/integrations/internal/changes"
)

// Channels.
const (
	// ChangesChannel's payload is the uid of a connection whose changes were stored.
	ChangesChannel = "integrations_changes"
	// InboxChannel's payload is a changes.InboxNews.
	InboxChannel = "integrations_webhook_inbox"
)

// MaxPayload is the longest payload PostgreSQL's default build accepts, in bytes.
const MaxPayload = 7999

// Notifier sends notifications through a pool of the database (pgx's database/sql driver).
type Notifier struct {
	db *sql.DB
}

var _ changes.Notifier = (*Notifier)(nil)

// NewNotifier returns the notifier sending through db.
func NewNotifier(db *sql.DB) *Notifier { return &Notifier{db: db} }

// NotifyChanges notifies ChangesChannel with the connection uid.
func (n *Notifier) NotifyChanges(ctx context.Context, uid string) error {
	if uid == "" || len(uid) > MaxPayload {
		return fmt.Errorf("pgnotify: a connection uid of %d bytes cannot be a payload (1 to %d)", len(uid), MaxPayload)
	}
	return n.send(ctx, ChangesChannel, uid)
}

// NotifyInbox notifies InboxChannel with news.
func (n *Notifier) NotifyInbox(ctx context.Context, news changes.InboxNews) error {
	if !news.Valid() {
		return fmt.Errorf("pgnotify: %q is not inbox news", news)
	}
	return n.send(ctx, InboxChannel, string(news))
}

func (n *Notifier) send(ctx context.Context, channel, payload string) error {
	// pg_notify rather than NOTIFY: the channel and payload are parameters, not SQL text.
	if _, err := n.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("pgnotify: notify %s: %w", channel, err)
	}
	return nil
}
