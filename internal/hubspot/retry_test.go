package hubspot

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// okBody answers any call in a shape every decoder accepts.
const okBody = `{"id":"1","properties":{},"results":[],"status":"COMPLETE","total":0,"userId":1,"hubId":2,"appId":3,"scopes":[]}`

func TestIdempotentCallsSurviveInjected503sAndResets(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	var injected atomic.Int64
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
		mu.Lock()
		roll := rng.Float64()
		mu.Unlock()
		switch {
		case roll < 0.10:
			injected.Add(1)
			writeJSON(w, 503, `{"status":"error","message":"Service Unavailable","category":"UNKNOWN"}`)
		case roll < 0.20:
			injected.Add(1)
			resetConnection(w)
		default:
			writeJSON(w, 200, okBody)
		}
	})
	c := testClient(t, fake.srv.URL, func(o *Options) { o.Retry.MaxAttempts = 10 })
	calls := map[string]func(context.Context) error{
		"introspect": func(ctx context.Context) error { _, err := c.IntrospectToken(ctx); return err },
		"account":    func(ctx context.Context) error { _, err := c.AccountDetails(ctx); return err },
		"list properties": func(ctx context.Context) error {
			_, err := c.ListProperties(ctx, "deals", ListPropertiesOptions{})
			return err
		},
		"get": func(ctx context.Context) error {
			_, err := c.GetObject(ctx, "contacts", "1", GetObjectOptions{})
			return err
		},
		"update": func(ctx context.Context) error {
			_, err := c.UpdateObject(ctx, "deals", "1", map[string]string{"dealstage": "won"}, UpdateObjectOptions{})
			return err
		},
		"archive": func(ctx context.Context) error { return c.ArchiveObject(ctx, "deals", "1") },
		"batch read": func(ctx context.Context) error {
			_, err := c.BatchRead(ctx, "contacts", BatchReadRequest{IDs: []string{"1"}})
			return err
		},
		"batch upsert": func(ctx context.Context) error {
			_, err := c.BatchUpsert(ctx, "contacts", []BatchUpsertInput{{ID: "a@x.com", IDProperty: "email"}})
			return err
		},
		"search": func(ctx context.Context) error { _, err := c.Search(ctx, "contacts", SearchRequest{}); return err },
		"list assoc": func(ctx context.Context) error {
			_, err := c.ListAssociations(ctx, "contacts", "1", "deals", ListAssociationsOptions{})
			return err
		},
		"default assoc": func(ctx context.Context) error { return c.AssociateDefault(ctx, "contacts", "1", "deals", "2") },
		"batch read assoc": func(ctx context.Context) error {
			_, err := c.BatchReadAssociations(ctx, "contacts", "deals", []AssociationReadInput{{ID: "1"}})
			return err
		},
	}
	var wg sync.WaitGroup
	for name, call := range calls {
		for range 15 {
			wg.Go(func() {
				if err := call(t.Context()); err != nil {
					t.Errorf("%s failed despite retries: %v", name, err)
				}
			})
		}
	}
	wg.Wait()
	if injected.Load() < 10 {
		t.Fatalf("only %d failures injected; the test proves nothing", injected.Load())
	}
	t.Logf("%d requests, %d injected failures", len(fake.seen()), injected.Load())
}

func TestCreatesAreNotRetriedBlindly(t *testing.T) {
	t.Parallel()
	creates := []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{"create", func(ctx context.Context, c *Client) error {
			_, err := c.CreateObject(ctx, "contacts", CreateObjectInput{Properties: map[string]string{"email": "a@x.com"}})
			return err
		}},
		{"batch create", func(ctx context.Context, c *Client) error {
			_, err := c.BatchCreate(ctx, "contacts", []BatchCreateInput{{Properties: map[string]string{"email": "a@x.com"}}})
			return err
		}},
		{"engagement", func(ctx context.Context, c *Client) error {
			_, err := c.CreateEngagement(ctx, EngagementInput{Type: EngagementNote, ContactIDs: []string{"1"}, Properties: map[string]string{"hs_timestamp": "1700000000000"}})
			return err
		}},
	}
	failures := []struct {
		name    string
		respond func(http.ResponseWriter)
	}{
		{"connection reset", resetConnection},
		{"503", func(w http.ResponseWriter) { writeJSON(w, 503, `{"status":"error","message":"down"}`) }},
		{"504", func(w http.ResponseWriter) { writeJSON(w, 504, ``) }},
	}
	for _, cr := range creates {
		for _, f := range failures {
			t.Run(cr.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) { f.respond(w) })
				c := testClient(t, fake.srv.URL, nil)
				err := cr.call(t.Context(), c)
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("err = %v, want ErrUnavailable", err)
				}
				if n := len(fake.seen()); n != 1 {
					t.Fatalf("server saw %d create attempts, want exactly 1", n)
				}
			})
		}
	}
}

func TestCreateIsRetriedAfterA429(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
		if calls.Add(1) == 1 {
			writeJSON(w, 429, body429Ten)
			return
		}
		writeJSON(w, 201, `{"id":"7","properties":{}}`)
	})
	const window = 150 * time.Millisecond
	clock := newSkipClock()
	c := testClient(t, fake.srv.URL, func(o *Options) {
		o.Clock = clock
		o.Limiter = NewLimiter(LimiterConfig{Budget: 10, Window: window, SafetyMargin: -1, Clock: clock})
	})
	obj, err := c.CreateObject(t.Context(), "contacts", CreateObjectInput{})
	if err != nil || obj.ID != "7" {
		t.Fatalf("create after 429: %v, %v", obj, err)
	}
	if waited := clock.Waited(); waited < window {
		t.Fatalf("retried after waiting %v, before the window (%v) rolled", waited, window)
	}
	if s := c.Limiter().Stats(); s.Throttled != 1 {
		t.Fatalf("limiter not told about the 429: %+v", s)
	}
}

func TestDaily429FailsFastWithResetTime(t *testing.T) {
	t.Parallel()
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) { writeJSON(w, 429, body429Daily) })
	c := testClient(t, fake.srv.URL, nil)
	for i := range 3 {
		_, err := c.GetObject(t.Context(), "contacts", "1", GetObjectOptions{})
		var rl *RateLimitError
		if !errors.As(err, &rl) || !errors.Is(err, ErrDailyLimitExhausted) {
			t.Fatalf("call %d: err = %v, want daily exhaustion", i, err)
		}
		if want := nextMidnight(time.Now(), time.UTC); rl.RetryAt.Sub(want).Abs() > time.Second {
			t.Fatalf("RetryAt = %v, want next midnight %v", rl.RetryAt, want)
		}
	}
	if n := len(fake.seen()); n != 1 {
		t.Fatalf("server saw %d requests; after a DAILY 429 nothing more should be sent", n)
	}
}

func TestSecondly429RetriesAfterASecond(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
		if calls.Add(1) == 1 {
			writeJSON(w, 429, body429Secondly)
			return
		}
		writeJSON(w, 200, `{"total":0,"results":[]}`)
	})
	clock := newSkipClock()
	c := testClient(t, fake.srv.URL, func(o *Options) {
		o.Clock = clock
		o.Limiter = NewLimiter(LimiterConfig{SafetyMargin: -1, Clock: clock})
	})
	if _, err := c.Search(t.Context(), "contacts", SearchRequest{}); err != nil {
		t.Fatal(err)
	}
	if waited := clock.Waited(); waited != time.Second {
		t.Fatalf("search retried after waiting %v, want the second the SECONDLY policy counts", waited)
	}
}

func TestLockedIsRetriedAfterTheLockDelay(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
		if calls.Add(1) == 1 {
			writeJSON(w, 423, `{"status":"error","message":"locked"}`)
			return
		}
		writeJSON(w, 200, okBody)
	})
	clock := newSkipClock()
	c := testClient(t, fake.srv.URL, func(o *Options) {
		o.Clock = clock
		o.Retry.LockedDelay = 100 * time.Millisecond
	})
	if _, err := c.UpdateObject(t.Context(), "companies", "1", map[string]string{"name": "x"}, UpdateObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if waited := clock.Waited(); waited != 100*time.Millisecond {
		t.Fatalf("retried after waiting %v, want the lock delay (100ms)", waited)
	}
}

func TestRetryBounds(t *testing.T) {
	t.Parallel()
	t.Run("max attempts", func(t *testing.T) {
		t.Parallel()
		fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) { writeJSON(w, 502, ``) })
		c := testClient(t, fake.srv.URL, func(o *Options) { o.Retry.MaxAttempts = 3 })
		_, err := c.GetObject(t.Context(), "contacts", "1", GetObjectOptions{})
		if e := mustAPIError(t, err); e.Attempts != 3 || len(fake.seen()) != 3 {
			t.Fatalf("attempts %d, server saw %d, want 3", e.Attempts, len(fake.seen()))
		}
	})
	t.Run("a 423 on a create is returned with the lock delay as hint", func(t *testing.T) {
		t.Parallel()
		fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) { writeJSON(w, 423, `{"status":"error","message":"locked"}`) })
		c := testClient(t, fake.srv.URL, func(o *Options) { o.Retry.LockedDelay = 0 })
		_, err := c.CreateObject(t.Context(), "companies", CreateObjectInput{})
		if e := mustAPIError(t, err); !errors.Is(err, ErrLocked) || e.RetryAfter != 2*time.Second || len(fake.seen()) != 1 {
			t.Fatalf("err %v RetryAfter %v after %d attempts; want ErrLocked, 2s, 1 attempt", err, e.RetryAfter, len(fake.seen()))
		}
	})
	t.Run("caller deadline bounds backoff", func(t *testing.T) {
		t.Parallel()
		fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) { writeJSON(w, 503, ``) })
		clock := newSkipClock()
		c := testClient(t, fake.srv.URL, func(o *Options) {
			o.Clock = clock
			o.Retry = RetryPolicy{MaxAttempts: 10, BaseDelay: 2 * time.Second, MaxDelay: 2 * time.Second}
		})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		clock.After(59 * time.Second) // the clock now stands a second before the deadline: a 2 s backoff would end past it
		_, err := c.GetObject(ctx, "contacts", "1", GetObjectOptions{})
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err %v, want ErrUnavailable", err)
		}
		// Backoff is jittered (any delay up to 2 s): retries whose wait fits go, and the
		// first that would end past the deadline is not waited for.
		deadline, _ := ctx.Deadline()
		if now := clock.Now(); now.After(deadline) {
			t.Fatalf("the client waited %v past the caller's deadline", now.Sub(deadline))
		}
	})
	t.Run("per-attempt timeout is retried and reads as unavailable", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int64
		fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
			if calls.Add(1) == 1 {
				<-r.Gone // HubSpot answers the first attempt only after the client gave up on it
			}
			writeJSON(w, 200, okBody)
		})
		c := testClient(t, fake.srv.URL, func(o *Options) { o.Timeout = 100 * time.Millisecond })
		if _, err := c.GetObject(t.Context(), "contacts", "1", GetObjectOptions{}); err != nil {
			t.Fatalf("second attempt should succeed: %v", err)
		}
		c1 := testClient(t, fake.srv.URL, func(o *Options) { o.Timeout = time.Nanosecond; o.Retry.MaxAttempts = 2 })
		_, err := c1.GetObject(t.Context(), "contacts", "1", GetObjectOptions{})
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v: an attempt timeout is HubSpot being slow, not the caller's deadline", err)
		}
	})
	t.Run("caller cancellation is not unavailability", func(t *testing.T) {
		t.Parallel()
		fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
			<-r.Gone // HubSpot answers only after the caller gave up
			writeJSON(w, 200, okBody)
		})
		c := testClient(t, fake.srv.URL, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := c.GetObject(ctx, "contacts", "1", GetObjectOptions{})
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want the caller's DeadlineExceeded", err)
		}
	})
	t.Run("dial failures are retried even for creates", func(t *testing.T) {
		t.Parallel()
		fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {})
		url := fake.srv.URL
		fake.srv.Close() // nothing listens any more: the request can never be sent
		c := testClient(t, url, func(o *Options) { o.Retry.MaxAttempts = 3 })
		_, err := c.CreateObject(t.Context(), "contacts", CreateObjectInput{})
		var te *TransportError
		if !errors.As(err, &te) || !te.NotSent || te.Attempts != 3 || !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %#v, want an unsent TransportError after 3 attempts", err)
		}
		if strings.Contains(err.Error(), "Post \"") {
			t.Fatalf("error quotes the URL: %v", err)
		}
	})
}
