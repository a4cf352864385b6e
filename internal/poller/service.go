package poller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
)

// Defaults of ServiceConfig.
const (
	DefaultInterval = 60 * time.Second
	// DefaultLeaseTTL is ServiceConfig.LeaseTTL's default.
	DefaultLeaseTTL = 5 * time.Minute
	// MaxBackoff is how many intervals an idle connection waits at most: each poll that
	// finds nothing doubles its wait, up to this many intervals; a change resets it.
	MaxBackoff = 4
)

// ServiceDeps are what the polling service reads and calls.
type ServiceDeps struct {
	Store   Store
	Sink    Sink
	Conns   func(ctx context.Context) ([]store.Connection, error) // every stored connection
	Clients func(ctx context.Context, c store.Connection) (*hubspot.Client, error)
	Leases  Leases
	// Watch gives a connection's extra watched properties per type (see Watched); nil
	// watches the defaults only.
	Watch func(ctx context.Context, c store.Connection) (map[string][]string, error)
	// OnError is told when a poll fails because the connection's token is refused
	// (hubspot.ErrInvalidToken), so the connection can go to ERROR like after any other
	// background call.
	OnError func(ctx context.Context, name resname.Connection, err error)
	Logger  *slog.Logger
}

// Leases is the store's named leases (internal/store).
type Leases interface {
	AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (store.Lease, error)
	ReleaseLease(ctx context.Context, name, owner string) error
}

// ServiceConfig tunes the polling service. Zero values take the defaults.
type ServiceConfig struct {
	Poll     Config
	Interval time.Duration // between polls of a connection that found something; default 60 s
	// IntervalFor overrides Interval per connection (0: Interval).
	IntervalFor func(ctx context.Context, c store.Connection) time.Duration
	Share       hubspot.ShareConfig // the part of each connection's budgets polling may use
	// LeaseTTL is how long a connection's poll lease lasts; a poll is cut at half of it
	// (its cursor is saved page by page, and the next pass goes on from it). Default 5 minutes.
	LeaseTTL time.Duration
	Tick     time.Duration // how often due connections are looked for; default 1 s
}

func (c ServiceConfig) withDefaults() ServiceConfig {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.Tick <= 0 {
		c.Tick = time.Second
	}
	return c
}

// connState is what the service keeps of a connection between polls.
type connState struct {
	next    time.Time
	backoff int            // the current wait in intervals: 1, 2, 4
	share   *hubspot.Share // of the connection's limiter; nil until a poll opened its client
}

// Service polls every connection that is not in ERROR, each at its interval, one
// connection at a time, within each connection's share of its budgets, holding a lease per
// connection so that two processes never poll the same connection.
type Service struct {
	cfg    ServiceConfig
	deps   ServiceDeps
	poller *Poller
	owner  string

	mu    sync.Mutex
	state map[resname.Connection]*connState
	held  map[string]bool // lease names held
	// shares are kept per limiter: connections of one HubSpot app and account share one
	// limiter (one budget), so they share one polling share too.
	shares map[*hubspot.Limiter]*hubspot.Share
	stop   chan struct{}
	done   chan struct{}
	cancel context.CancelFunc
}

// NewService returns a stopped service.
func NewService(d ServiceDeps, cfg ServiceConfig) (*Service, error) {
	if err := cfg.Share.Validate(); err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	return &Service{cfg: cfg.withDefaults(), deps: d, poller: New(d.Store, d.Sink, cfg.Poll),
		owner: fmt.Sprintf("%s:%d:%d", host, os.Getpid(), time.Now().UnixNano()),
		state: map[resname.Connection]*connState{}, held: map[string]bool{}, shares: map[*hubspot.Limiter]*hubspot.Share{}}, nil
}

// LeaseName is the lease of polling one connection.
func LeaseName(name resname.Connection) string { return "poll:" + name.String() }

// Start starts polling in the background until Close.
func (s *Service) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done, s.cancel = make(chan struct{}), make(chan struct{}), cancel
	go s.run(ctx)
}

func (s *Service) run(ctx context.Context) {
	defer close(s.done)
	tick := time.NewTicker(s.cfg.Tick)
	defer tick.Stop()
	for {
		s.Pass(ctx, s.cfg.Poll.withDefaults().Now())
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
	}
}

// Close stops polling: the poll in progress is cut when ctx ends (its cursor is saved page
// by page), and the leases held are released.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	stop, done, cancel := s.stop, s.done, s.cancel
	if stop != nil {
		select {
		case <-stop:
		default:
			close(stop)
		}
	}
	s.mu.Unlock()
	var err error
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			cancel()
			<-done
			err = ctx.Err()
		}
		cancel()
	}
	s.mu.Lock()
	names := make([]string, 0, len(s.held))
	for n := range s.held {
		names = append(names, n)
	}
	s.held = map[string]bool{}
	s.mu.Unlock()
	rctx, rcancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer rcancel()
	for _, n := range names {
		if rerr := s.deps.Leases.ReleaseLease(rctx, n, s.owner); rerr != nil {
			s.deps.Logger.Warn("poller: release lease", "lease", n, "err", rerr)
		}
	}
	return err
}

// Pass polls, once, every connection due at now. The background loop calls it every Tick;
// tests call it with their own clock.
func (s *Service) Pass(ctx context.Context, now time.Time) {
	conns, err := s.deps.Conns(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.deps.Logger.Error("poller: list connections", "err", err)
		}
		return
	}
	live := map[resname.Connection]bool{}
	for _, c := range conns {
		name := resname.Connection{Workspace: c.Workspace, ID: c.ID}
		live[name] = true
		if c.Status == "ERROR" || ctx.Err() != nil {
			continue
		}
		st := s.stateOf(name)
		if now.Before(s.NextPoll(name)) {
			continue
		}
		s.pollOne(ctx, c, name, st, now)
	}
	s.mu.Lock()
	for name := range s.state {
		if !live[name] {
			delete(s.state, name) // deleted: its rows went with it
		}
	}
	s.mu.Unlock()
}

// stateOf is the connection's state. Only the polling goroutine changes backoff; next and
// share are guarded by s.mu, which NextPoll and Share read under.
func (s *Service) stateOf(name resname.Connection) *connState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.state[name]
	if !ok {
		st = &connState{backoff: 1}
		s.state[name] = st
	}
	return st
}

// NextPoll is when the connection is next due (zero: at the next pass).
func (s *Service) NextPoll(name resname.Connection) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.state[name]; ok {
		return st.next
	}
	return time.Time{}
}

// Share is the budget share the connection's polls used (nil before one sent a request).
func (s *Service) Share(name resname.Connection) *hubspot.Share {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.state[name]; ok {
		return st.share
	}
	return nil
}

// shareOf is the share of a limiter's budgets polling may use.
func (s *Service) shareOf(l *hubspot.Limiter) *hubspot.Share {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.shares[l]
	if !ok {
		sh = hubspot.NewShare(s.cfg.Share)
		s.shares[l] = sh
	}
	return sh
}

func (s *Service) pollOne(ctx context.Context, c store.Connection, name resname.Connection, st *connState, now time.Time) {
	log := s.deps.Logger.With("connection", name.String())
	lease := LeaseName(name)
	l, err := s.deps.Leases.AcquireLease(ctx, lease, s.owner, time.Now(), s.cfg.LeaseTTL)
	if err != nil {
		log.Error("poller: lease", "err", err)
		return
	}
	if !l.HeldBy(s.owner, time.Now()) {
		return // another process polls this connection
	}
	s.mu.Lock()
	s.held[lease] = true
	s.mu.Unlock()

	interval := s.cfg.Interval
	if s.cfg.IntervalFor != nil {
		if d := s.cfg.IntervalFor(ctx, c); d > 0 {
			interval = d
		}
	}
	found, sent, cut, err := s.pollConn(ctx, c, name, st)
	next := now
	switch {
	case err != nil && cut:
		// Cut at half its lease (a bulk edit of tens of thousands of records read within
		// polling's share): the cursor is saved page by page, so the poll goes on at the next
		// pass instead of an interval later.
		st.backoff = 1
		log.Info("poller: poll cut at half its lease; it goes on at once from the saved cursor", "found", found)
		s.mu.Lock()
		st.next = next
		s.mu.Unlock()
		return
	case err == nil && (found > 0 || !sent):
		// A change, or a baseline (no request sent: nothing could be found yet), polls again
		// after one interval; counting the baseline as idle would put the first real poll of a
		// new connection two intervals away.
		st.backoff = 1
	case errors.Is(err, hubspot.ErrShareExhausted):
		st.backoff = MaxBackoff
		log.Info("poller: the daily budget is below polling's floor; polling slows down", "err", err)
	case err != nil && errors.Is(err, hubspot.ErrInvalidToken):
		if s.deps.OnError != nil {
			s.deps.OnError(ctx, name, err)
		}
		log.Warn("poller: token refused", "err", err)
	case err != nil:
		if ctx.Err() == nil {
			log.Warn("poller: poll failed; the next goes on from the saved cursor", "err", err)
		}
	default:
		st.backoff = min(st.backoff*2, MaxBackoff)
	}
	s.mu.Lock()
	st.next = next.Add(time.Duration(st.backoff) * interval)
	s.mu.Unlock()
}

// pollConn polls the connection once, for at most half the lease: cut reports that the poll
// ran out of that time (the service's own context still alive).
func (s *Service) pollConn(parent context.Context, c store.Connection, name resname.Connection, st *connState) (found int, sent, cut bool, err error) {
	ctx, cancel := context.WithTimeout(parent, s.cfg.LeaseTTL/2)
	defer cancel()
	defer func() { cut = parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) }()
	// The client is opened at the first request: a baseline poll sends none, so a server
	// starting on connections it cannot reach (a token it cannot decrypt) changes nothing
	// until a real poll is due.
	src := &lazySource{open: func(ctx context.Context) (*hubspot.Client, *hubspot.Share, error) {
		client, err := s.deps.Clients(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		share := s.shareOf(client.Limiter())
		s.mu.Lock()
		st.share = share
		s.mu.Unlock()
		return client, share, nil
	}}
	var watch map[string][]string
	if s.deps.Watch != nil {
		if watch, err = s.deps.Watch(ctx, c); err != nil {
			return 0, false, false, err
		}
	}
	found, err = s.poller.Poll(hubspot.WithCaller(ctx, "poller"), name, src, watch)
	return found, src.client != nil, false, err
}

// lazySource opens its client on first use, and sends every request within the budget
// share of the client's limiter.
type lazySource struct {
	open   func(ctx context.Context) (*hubspot.Client, *hubspot.Share, error)
	client *hubspot.Client
	share  *hubspot.Share
}

func (l *lazySource) get(ctx context.Context) (context.Context, *hubspot.Client, error) {
	if l.client == nil {
		c, share, err := l.open(ctx)
		if err != nil {
			return ctx, nil, err
		}
		l.client, l.share = c, share
	}
	return hubspot.WithShare(ctx, l.share), l.client, nil
}

func (l *lazySource) Search(ctx context.Context, objectType string, req hubspot.SearchRequest) (*hubspot.SearchResult, error) {
	ctx, c, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return c.Search(ctx, objectType, req)
}

func (l *lazySource) ListObjects(ctx context.Context, objectType string, opts hubspot.ListObjectsOptions) (*hubspot.ObjectPage, error) {
	ctx, c, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return c.ListObjects(ctx, objectType, opts)
}
