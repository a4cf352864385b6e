package pgnotify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectflo/integrations/internal/changes"
)

// Deliver is where a Listener hands what it hears. Each function must return at once (the
// feed's and the processor's only signal a goroutine).
type Deliver struct {
	// Changes receives the uid of a connection whose changes some process stored:
	// changes.Feed.Notified.
	Changes func(uid string)
	// Inbox receives what some process said about the webhook inbox:
	// changes.Processor.Notified.
	Inbox func(news changes.InboxNews)
	// Listening is called after every connect and reconnect, once the listener listens: what
	// was notified while it was not listening is lost, so it must wake every watcher
	// (changes.Feed.WakeAll) and have the inbox processor look again
	// (changes.Processor.Resync).
	Listening func()
}

// Timing of a Listener.
const (
	// minBackoff and maxBackoff bound the wait before a reconnect; it doubles at each failed
	// attempt, and starts over after a connection that listened at least maxBackoff.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
	// idleCheck is how long the listener waits for a notification before it checks that the
	// connection still answers: a connection whose peer vanished without closing it would
	// otherwise wait for ever.
	idleCheck = 30 * time.Second
	// connectTimeout bounds a connect and its LISTENs, pingTimeout the check, closeTimeout
	// the goodbye to the server.
	connectTimeout = 10 * time.Second
	pingTimeout    = 5 * time.Second
	closeTimeout   = time.Second
)

// Listener listens on ChangesChannel and InboxChannel on its own connection (a pooled one
// could not wait for notifications), and reconnects, with a bounded backoff, whenever that
// connection fails.
type Listener struct {
	config  *pgx.ConnConfig
	deliver Deliver
	logger  *slog.Logger
	idle    time.Duration // idleCheck; shorter in tests
}

// NewListener returns a listener on the database at dsn (a postgres:// URL or key=value
// connection string, as pgx reads it) delivering to d.
func NewListener(dsn string, d Deliver, logger *slog.Logger) (*Listener, error) {
	if d.Changes == nil || d.Inbox == nil || d.Listening == nil {
		return nil, errors.New("pgnotify: a listener needs Changes, Inbox and Listening")
	}
	config, err := pgx.ParseConfig(dsn)
	if err != nil {
		// Not wrapped: pgx's message quotes the connection string, whose password it hides
		// only on a best-effort basis.
		return nil, errors.New("pgnotify: the database URL is not a PostgreSQL connection string pgx reads")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Listener{config: config, deliver: d, logger: logger, idle: idleCheck}, nil
}

// Run listens until ctx ends.
func (l *Listener) Run(ctx context.Context) {
	backoff := minBackoff
	for {
		listened, err := l.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened >= maxBackoff {
			backoff = minBackoff
		}
		l.logger.Warn("pgnotify: not listening for other replicas' changes; reconnecting", "err", err, "after", backoff.String())
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listen connects, listens, and delivers notifications until the connection fails (the
// error) or ctx ends (nil). It returns how long it listened.
func (l *Listener) listen(ctx context.Context) (time.Duration, error) {
	conn, err := l.connect(ctx)
	if err != nil {
		return 0, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		conn.Close(closeCtx)
	}()
	start := time.Now()
	// From here every commit's notification reaches this connection; those sent before, while
	// no connection listened, are lost. Waking everyone makes each watcher read again, which
	// finds what was missed or nothing: a read is cheap, a change missed until the next one
	// is not.
	l.logger.Info("pgnotify: listening for other replicas' changes", "backend_pid", conn.PgConn().PID())
	l.deliver.Listening()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, l.idle)
		n, err := conn.WaitForNotification(waitCtx)
		idle := waitCtx.Err() != nil
		cancel()
		if n != nil {
			l.dispatch(n)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return time.Since(start), nil
		case idle && !conn.IsClosed():
			pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
			err := conn.Ping(pingCtx) // a notification arriving meanwhile is kept for the next wait
			cancel()
			if err != nil && ctx.Err() == nil {
				return time.Since(start), fmt.Errorf("pgnotify: the listening connection does not answer: %w", err)
			}
		default:
			return time.Since(start), fmt.Errorf("pgnotify: wait for notifications: %w", err)
		}
	}
}

// connect opens the listening connection and listens on both channels.
func (l *Listener) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, l.config)
	if err != nil {
		return nil, fmt.Errorf("pgnotify: connect: %w", err)
	}
	for _, channel := range []string{ChangesChannel, InboxChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("pgnotify: listen on %s: %w", channel, err)
		}
	}
	return conn, nil
}

// dispatch hands one notification to its receiver.
func (l *Listener) dispatch(n *pgconn.Notification) {
	switch n.Channel {
	case ChangesChannel:
		if n.Payload != "" {
			l.deliver.Changes(n.Payload)
		}
	case InboxChannel:
		// News this build does not know (a newer replica's) reaches the processor too: it
		// treats it as "the lease may be free", which costs a look at the lease.
		l.deliver.Inbox(changes.InboxNews(n.Payload))
	}
}

// To delivers to this process's change feed and webhook inbox processor.
func To(feed *changes.Feed, inbox *changes.Processor) Deliver {
	return Deliver{Changes: feed.Notified, Inbox: inbox.Notified, Listening: func() {
		feed.WakeAll()
		inbox.Resync()
	}}
}
