package poller

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// jumpClock is a limiter clock on which every wait is over at once: it moves forward by
// the wait. The budget share's waits are counted, not waited for.
type jumpClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(max(d, 0))
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// searches counts the sandbox's answered searches and archived listings.
func (e *env) requests() (searches, lists int) {
	for path, byStatus := range e.sb.Counters().Requests {
		switch {
		case strings.HasSuffix(path, "/search"):
			searches += byStatus[200]
		case strings.HasPrefix(path, "GET "):
			lists += byStatus[200]
		}
	}
	return searches, lists
}

func (e *env) service(t *testing.T, cfg ServiceConfig) *Service {
	t.Helper()
	ptok, err := hubspot.ParseToken(e.tokenText)
	if err != nil {
		t.Fatal(err)
	}
	client, err := hubspot.NewClient(hubspot.Options{BaseURL: e.srv.URL, Token: ptok,
		Limiter: hubspot.NewLimiter(hubspot.LimiterConfig{Clock: &jumpClock{now: e.clock.Now()}})})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Poll.Now = e.clock.Now
	s, err := NewService(ServiceDeps{Store: e.st, Sink: e.sink, Conns: e.st.AllConnections, Leases: e.st,
		Clients: func(context.Context, store.Connection) (*hubspot.Client, error) { e.opens.Add(1); return client, nil }}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// An idle connection is polled less and less often, up to MaxBackoff intervals apart, and
// at its interval again once a poll finds a change; every request a poll sends goes through
// the connection's budget share.
func TestServiceBacksOffWhenIdle(t *testing.T) {
	e := newEnv(t, sandbox.SearchLimits{})
	const interval = time.Minute
	s := e.service(t, ServiceConfig{Interval: interval, Poll: Config{ArchivedEvery: 2}})
	start := e.clock.Now()
	steps := []struct {
		name     string
		at       time.Duration // since start
		edit     bool
		polled   bool
		nextPoll time.Duration // since start
	}{
		{"the baseline: no request, a cursor, the next poll one interval later", 0, false, false, interval},
		{"not due yet", interval / 2, false, false, interval},
		{"idle: two intervals", interval, false, true, 3 * interval},
		{"idle again: four intervals", 3 * interval, false, true, 7 * interval},
		{"idle at most four intervals", 7 * interval, false, true, 11 * interval},
		{"a change brings the interval back", 11 * interval, true, true, 12 * interval},
		{"idle: two intervals again", 12 * interval, false, true, 14 * interval},
	}
	everPolled := false
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e.clock.Advance(start.Add(st.at).Sub(e.clock.Now()))
			if st.edit {
				e.create(t, "contacts", map[string]string{"email": "new@x.example"})
			}
			before, _ := e.requests()
			s.Pass(t.Context(), e.clock.Now())
			after, _ := e.requests()
			if polled := after > before; polled != st.polled {
				t.Errorf("polled = %v, want %v", polled, st.polled)
			}
			everPolled = everPolled || st.polled
			if opened := e.opens.Load() > 0; opened != everPolled {
				t.Errorf("client opened = %v; want it opened by the first poll after the baseline, not before", opened)
			}
			if got, want := s.NextPoll(e.conn), start.Add(st.nextPoll); !got.Equal(want) {
				t.Errorf("next poll at +%v, want +%v", got.Sub(start), st.nextPoll)
			}
		})
	}
	searches, lists := e.requests()
	share := s.Share(e.conn)
	if uint64(searches) != share.Used(hubspot.KindSearch) || uint64(lists) != share.Used(hubspot.KindStandard) || lists == 0 {
		t.Errorf("sandbox saw %d searches and %d listings; the share granted %d and %d",
			searches, lists, share.Used(hubspot.KindSearch), share.Used(hubspot.KindStandard))
	}
	if got := len(e.sink.take()); got != 1 {
		t.Errorf("%d changes reported, want the one contact created", got)
	}
}

// A poll cut at half its lease (here a sink that never answers in time; in production a bulk
// edit too large for polling's share) goes on at the next pass from its saved cursor, not an
// interval later, and what it had not stored arrives then.
func TestServiceGoesOnAtOnceAfterACutPoll(t *testing.T) {
	e := newEnv(t, sandbox.SearchLimits{})
	e.sink.blockOn = 1
	const interval = time.Minute
	s := e.service(t, ServiceConfig{Interval: interval, LeaseTTL: 200 * time.Millisecond})
	s.Pass(t.Context(), e.clock.Now()) // the baseline
	e.create(t, "contacts", map[string]string{"email": "cut@x.example"})
	e.clock.Advance(interval)
	cutAt := e.clock.Now()
	s.Pass(t.Context(), cutAt) // cut after 100 ms: the sink holds its first page
	if got := s.NextPoll(e.conn); !got.Equal(cutAt) {
		t.Errorf("after a cut poll the next is at %v, want the next pass (%v)", got, cutAt)
	}
	if got := len(e.sink.take()); got != 0 {
		t.Fatalf("%d changes stored by the cut poll, want none", got)
	}
	s.Pass(t.Context(), cutAt)
	if got := len(e.sink.take()); got != 1 {
		t.Errorf("%d changes after the poll went on, want the contact created", got)
	}
	if got, want := s.NextPoll(e.conn), cutAt.Add(interval); !got.Equal(want) {
		t.Errorf("after the poll that went on the next is at %v, want one interval later (%v)", got, want)
	}
}

// A connection in ERROR, or whose lease another process holds, is not polled.
func TestServiceSkipsConnections(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env)
	}{
		{"in ERROR", func(t *testing.T, e *env) {
			if err := e.st.SetConnectionStatus(t.Context(), e.conn.Workspace, e.conn.ID, "ERROR", "token revoked", e.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}},
		{"polled by another process", func(t *testing.T, e *env) {
			if _, err := e.st.AcquireLease(t.Context(), LeaseName(e.conn), "other-process", time.Now(), time.Hour); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.SearchLimits{})
			s := e.service(t, ServiceConfig{})
			tt.setup(t, e)
			s.Pass(t.Context(), e.clock.Now())
			e.clock.Advance(time.Hour)
			s.Pass(t.Context(), e.clock.Now())
			if c, err := e.st.GetPollCursor(t.Context(), store.PollKey{Workspace: e.conn.Workspace, ConnectionID: e.conn.ID, ObjectType: "contacts"}); err != nil || c.Found {
				t.Errorf("cursor %+v, %v: the connection was polled", c, err)
			}
		})
	}
}

// Start and Close: Close returns once the loop has stopped and releases the leases.
func TestServiceStartClose(t *testing.T) {
	e := newEnv(t, sandbox.SearchLimits{})
	s := e.service(t, ServiceConfig{Tick: time.Hour})
	s.Start()
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	l, err := e.st.AcquireLease(t.Context(), LeaseName(e.conn), "next-process", time.Now(), time.Minute)
	if err != nil || l.Owner != "next-process" {
		t.Errorf("lease after Close: %+v, %v; want it free for the next process", l, err)
	}
}

// A poll refused for the token tells OnError, so the connection goes to ERROR like after
// any other background call.
func TestServiceReportsARefusedToken(t *testing.T) {
	e := newEnv(t, sandbox.SearchLimits{})
	var told []error
	ptok, err := hubspot.ParseToken(e.tokenText)
	if err != nil {
		t.Fatal(err)
	}
	client, err := hubspot.NewClient(hubspot.Options{BaseURL: e.srv.URL, Token: ptok})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewService(ServiceDeps{Store: e.st, Sink: e.sink, Conns: e.st.AllConnections, Leases: e.st,
		Clients: func(context.Context, store.Connection) (*hubspot.Client, error) { return client, nil },
		OnError: func(_ context.Context, _ resname.Connection, err error) { told = append(told, err) }},
		ServiceConfig{Poll: Config{Now: e.clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	s.Pass(t.Context(), e.clock.Now()) // baseline
	if err := e.sb.RevokeToken(e.tokenText); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	s.Pass(t.Context(), e.clock.Now())
	if len(told) != 1 || !errors.Is(told[0], hubspot.ErrInvalidToken) {
		t.Fatalf("OnError told %v, want one ErrInvalidToken", told)
	}
}
