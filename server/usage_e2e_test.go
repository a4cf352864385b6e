package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// hubGate stands between the service and the sandbox serving as HubSpot: it counts the
// requests HubSpot answered, and once shut it answers none (the connection is cut before an
// answer), so that polling in the background can add nothing to the usage figures.
type hubGate struct {
	mu                          sync.RWMutex // held for reading while a request is served; shut takes it
	shut                        bool
	answered, search, throttled atomic.Int64
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (g *hubGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.RLock()
		defer g.mu.RUnlock()
		if g.shut {
			panic(http.ErrAbortHandler) // net/http closes the connection without an answer
		}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		g.answered.Add(1)
		if strings.HasSuffix(r.URL.Path, "/search") {
			g.search.Add(1)
		}
		if rec.status == http.StatusTooManyRequests {
			g.throttled.Add(1)
		}
	})
}

// close answers no more requests, once those being served have been answered.
func (g *hubGate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = true
}

// usageHours are the hours of u with requests, by start.
func usageHours(u *integrationsv1.Usage) map[time.Time]*integrationsv1.UsageHour {
	out := map[time.Time]*integrationsv1.UsageHour{}
	for _, h := range u.GetHours() {
		if h.GetStandardRequests()+h.GetSearchRequests() > 0 {
			out[h.GetStartTime().AsTime()] = h
		}
	}
	return out
}

// TestUsageSurvivesARestart: every request HubSpot answered for a connection, standard and
// search, and the 429 among them, is in GetUsage; after a restart on the same database the
// hourly figures are the same.
func TestUsageSurvivesARestart(t *testing.T) {
	t.Parallel()
	gate := &hubGate{}
	ts := startServerWith(t, serverOptions{hubspot: gate.wrap})
	ctx := context.Background()
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	name := client.UsageName(conn.GetName())

	if _, err := c.DiscoverFields(ctx, &integrationsv1.DiscoverFieldsRequest{Connection: conn.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SearchRecords(ctx, &integrationsv1.SearchRecordsRequest{Parent: client.ObjectTypeName(conn.GetName(), "contacts"), Query: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	// The account's daily budget spent: HubSpot answers the next request with a DAILY 429.
	ts.sb.SetLimits(sandbox.Limits{Daily: 1})
	_, err := c.SearchRecords(ctx, &integrationsv1.SearchRecordsRequest{Parent: client.ObjectTypeName(conn.GetName(), "contacts"), Query: "grace@example.com"})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("SearchRecords past the daily budget: %v; want RESOURCE_EXHAUSTED", err)
	}
	gate.close()

	// A request answered just before the gate shut is counted when its answer is read by the
	// service: read until the figures have caught up with the gate's (they never pass it).
	var before *integrationsv1.Usage
	for range 100 {
		if before, err = c.GetUsage(ctx, &integrationsv1.GetUsageRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		if before.GetRequests_24H() == gate.answered.Load() {
			break
		}
	}
	var search int64
	for _, h := range before.GetHours() {
		search += h.GetSearchRequests()
	}
	got := []int64{before.GetRequests_24H(), search, before.GetRateLimited_24H(), before.GetRateLimitedTotal(), int64(len(before.GetHours()))}
	want := []int64{gate.answered.Load(), gate.search.Load(), gate.throttled.Load(), gate.throttled.Load(), 24}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests, searches, 429s in 24 h, 429s in all, hours (-HubSpot answered +GetUsage):\n%s", diff)
	}
	if gate.search.Load() == 0 || gate.throttled.Load() == 0 {
		t.Errorf("HubSpot answered %d searches and %d 429s; the test wants some of each", gate.search.Load(), gate.throttled.Load())
	}
	if w := before.GetStandardWindow(); w.GetBudget() == 0 || w.GetWindow().AsDuration() != 10*time.Second {
		t.Errorf("standard window %v; want HubSpot's 10-second budget", w)
	}

	ts.restart(t, ts.env)
	after, err := ts.client(t, ts.keys["acme"]).GetUsage(ctx, &integrationsv1.GetUsageRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(usageHours(before), usageHours(after), protocmp.Transform()); diff != "" {
		t.Errorf("hours with requests after a restart (-before +after):\n%s", diff)
	}
	if after.GetRequests_24H() != before.GetRequests_24H() || after.GetRateLimitedTotal() != before.GetRateLimitedTotal() {
		t.Errorf("after a restart: %d requests and %d 429s; before: %d and %d", after.GetRequests_24H(), after.GetRateLimitedTotal(),
			before.GetRequests_24H(), before.GetRateLimitedTotal())
	}
	// No answer from HubSpot since the restart: the day's figure is the service's own count.
	if d := after.GetDaily(); d.GetSource() != integrationsv1.DailyUsage_SOURCE_COUNTED || !d.GetResetTime().AsTime().After(time.Now()) {
		t.Errorf("daily usage after a restart %v; want the counted figure and a reset to come", d)
	}
}
