package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// hubspotArrivals reports each request HubSpot (the sandbox) receives, as "METHOD path",
// when it arrives: before any fault holds it.
type hubspotArrivals chan string

func (a hubspotArrivals) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case a <- r.Method + " " + r.URL.Path:
		default: // the test stopped listening
		}
		next.ServeHTTP(w, r)
	})
}

// waitFor waits until a request of each of want (prefixes of "METHOD path") has arrived.
func (a hubspotArrivals) waitFor(t *testing.T, want ...string) {
	t.Helper()
	missing := map[string]bool{}
	for _, w := range want {
		missing[w] = true
	}
	timeout := time.After(20 * time.Second)
	for len(missing) > 0 {
		select {
		case got := <-a:
			for w := range missing {
				if strings.HasPrefix(got, w) {
					delete(missing, w)
				}
			}
		case <-timeout:
			t.Fatalf("HubSpot never received %v", missing)
		}
	}
}

// Every stage of the drain stuck on HubSpot at once (a REST call, a gRPC call, an upsert
// batch and a timeline batch, all waiting for answers that take longer than the shutdown
// timeout): the server still stops within --shutdown-timeout, each stage cut at its share.
func TestShutdownWithStuckStagesEndsWithinTheTimeout(t *testing.T) {
	// Not parallel: it bounds the shutdown in wall-clock time, which the load of other tests
	// would stretch.
	const timeout = time.Second
	arrivals := make(hubspotArrivals, 1000)
	ts := startServerWith(t, serverOptions{env: map[string]string{"INTEGRATIONS_SHUTDOWN_TIMEOUT": timeout.String()}, hubspot: arrivals.wrap})
	conn := ts.connect(t, "prod")
	contact, err := ts.sb.CreateRecord(ts.acct.HubID, "contacts", map[string]string{"email": "stuck@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var (
		getContact  = "GET " + familyPath("/crm/v3/objects/contacts/", "/crm/objects/2026-03/contacts/")
		upsertBatch = "POST " + familyPath("/crm/v3/objects/contacts/batch/upsert", "/crm/objects/2026-03/contacts/batch/upsert")
		createNotes = "POST " + familyPath("/crm/v3/objects/notes/batch/create", "/crm/objects/2026-03/notes/batch/create")
	)
	const (
		// Far beyond the shutdown timeout and the server's 2 s HubSpot attempt timeout, yet
		// short: the sandbox holds a request this long even after its client has gone.
		stuckLatency = 4 * time.Second
	)
	for _, stuck := range []string{getContact + contact, upsertBatch, createNotes} {
		method, path, _ := strings.Cut(stuck, " ")
		// Once each: the retries of the abandoned calls are answered, so they end soon after.
		if _, err := ts.sb.AddFault(sandbox.FaultRule{Method: method, Path: path, Latency: stuckLatency, Count: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for len(arrivals) > 0 { // forget Connect's requests
		<-arrivals
	}

	c := ts.client(t, ts.keys["acme"], client.WithTimeout(stuckLatency))
	ctx := context.Background()
	// A REST upsert: stuck in the HTTP drain, then in the upsert drain.
	go func() {
		req, _ := http.NewRequest("POST", "http://"+ts.httpAddr+"/v1/"+conn.GetName()+"/contacts:upsert", strings.NewReader(`{"email":"stuck@example.com"}`))
		req.Header.Set("Authorization", "Bearer "+ts.keys["acme"])
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	// A gRPC read: stuck in the gRPC drain.
	go func() {
		_, _ = c.GetRecord(ctx, &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "contacts", contact)})
	}()
	// A timeline event: accepted at once, its batch stuck in the outbox drain.
	if _, err := c.LogTimelineEvent(ctx, &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(),
		TimelineEvent: &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE, Title: "Chat", Body: "Stuck",
			Contact:   &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: contact}},
			OccurTime: timestamppb.New(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))}}); err != nil {
		t.Fatal(err)
	}
	arrivals.waitFor(t, getContact+contact, upsertBatch, createNotes)

	start := time.Now()
	ts.stop()
	if took := time.Since(start); took > timeout {
		t.Errorf("shutdown took %v, want at most the shutdown timeout, %v", took.Round(time.Millisecond), timeout)
	}
	logs := ts.logs.String()
	for _, cut := range []string{"HTTP drain cut short", "gRPC drain cut short", "upsert drain cut short", "timeline delivery drain cut short"} {
		if !strings.Contains(logs, cut) {
			t.Errorf("the log has no %q: that stage was not stuck, so the test did not exercise it", cut)
		}
	}
}
