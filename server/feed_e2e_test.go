package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/sandbox"
)

// The tests of this file make changes "in HubSpot" (the sandbox's admin calls, as a sales
// rep editing in HubSpot's UI) and wait for them on WatchChanges: webhooks the sandbox sends
// to the server's real endpoint, and polling as the safety net. Every wait is on a stream
// with a deadline (feedWait), never a sleep.

// feedWait bounds each wait for a change on a stream: generous for a loaded machine, far
// above a webhook's round trip (the sandbox sends at once) or a test poll (app.PollEvery).
const feedWait = 30 * time.Second

// appID is the HubSpot app id of the test's token, the app webhooks come from.
func (ts *testServer) appID(t *testing.T) int64 {
	t.Helper()
	for _, tok := range ts.sb.Tokens(ts.acct.HubID) {
		if tok.Token == ts.token {
			return tok.AppID
		}
	}
	t.Fatal("the test's token is not in the sandbox")
	return 0
}

// subscribeWebhooks gives the connection the app's client secret (UpdateChangeSettings) and
// subscribes the sandbox app to the server's webhook endpoint for every kind of contact change
// but property changes, which it subscribes for props only.
func (ts *testServer) subscribeWebhooks(t *testing.T, c *client.Client, conn string, props ...string) {
	t.Helper()
	setWebhookSecret(t, c, conn, webhookSecret)
	subs := []sandbox.WebhookSubscription{{SubscriptionType: "contact.creation"}, {SubscriptionType: "contact.deletion"},
		{SubscriptionType: "contact.restore"}, {SubscriptionType: "contact.merge"}, {SubscriptionType: "contact.associationChange"}}
	for _, p := range props {
		subs = append(subs, sandbox.WebhookSubscription{SubscriptionType: "contact.propertyChange", PropertyName: p})
	}
	if _, err := ts.sb.SetWebhooks(sandbox.WebhookConfig{AppID: ts.appID(t), TargetURL: "http://" + ts.httpAddr + changes.WebhookPath,
		ClientSecret: webhookSecret, Subscriptions: subs}); err != nil {
		t.Fatal(err)
	}
}

// watchFor opens WatchChanges over gRPC from cursor, ended by the test's end or feedWait per
// change at most (nextChange).
func watchFor(t *testing.T, c *client.Client, conn, cursor string) grpc.ServerStreamingClient[integrationsv1.Change] {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w, err := c.WatchChanges(ctx, &integrationsv1.WatchChangesRequest{Connection: conn, Cursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// nextChange is the stream's next change, or a failure after feedWait.
func nextChange(t *testing.T, w grpc.ServerStreamingClient[integrationsv1.Change]) *integrationsv1.Change {
	t.Helper()
	type result struct {
		c   *integrationsv1.Change
		err error
	}
	got := make(chan result, 1)
	go func() {
		c, err := w.Recv()
		got <- result{c, err}
	}()
	timer := time.NewTimer(feedWait)
	defer timer.Stop()
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatalf("WatchChanges: %v", r.err)
		}
		return r.c
	case <-timer.C:
		t.Fatalf("no change on the stream within %v", feedWait)
		return nil
	}
}

// nextChangeRESTWithin is nextChangeREST bounded by feedWait.
func nextChangeRESTWithin(t *testing.T, sc *bufio.Scanner) *integrationsv1.Change {
	t.Helper()
	got := make(chan *integrationsv1.Change, 1)
	go func() {
		if !sc.Scan() {
			got <- nil
			return
		}
		got <- parseNDJSONChange(sc.Bytes())
	}()
	timer := time.NewTimer(feedWait)
	defer timer.Stop()
	select {
	case c := <-got:
		if c == nil {
			t.Fatalf("the REST watch ended or sent a line that is not {\"result\": Change}: %v", sc.Err())
		}
		return c
	case <-timer.C:
		t.Fatalf("no change on the REST watch within %v", feedWait)
		return nil
	}
}

// changeSummary is what a test says of a change: its kind and record, with the merged or
// associated ids.
func changeSummary(c *integrationsv1.Change) string {
	s := strings.TrimPrefix(c.GetKind().String(), "CHANGE_KIND_") + " " + c.GetObjectType() + "/" + c.GetRecordId()
	if len(c.GetMergedRecordIds()) > 0 {
		s += " merged " + strings.Join(c.GetMergedRecordIds(), ",")
	}
	if c.GetAssociatedRecordId() != "" {
		s += " with " + c.GetAssociatedObjectType() + "/" + c.GetAssociatedRecordId()
	}
	return s
}

// TestHubSpotChangesArriveByWebhook: the sandbox, as HubSpot, sends signed webhooks to the
// server's endpoint for an app whose client secret the connection has; an edit, a creation, a
// deletion, a restore, a merge and an association made in HubSpot arrive on WatchChanges over
// gRPC and REST NDJSON, typed and named, each once; the service's own upsert arrives
// self-written; after a restart the changes are kept and a cursor resumes.
func TestHubSpotChangesArriveByWebhook(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	hub := ts.acct.HubID
	ts.subscribeWebhooks(t, c, conn.GetName(), "lifecyclestage")
	watch := watchFor(t, c, conn.GetName(), "")
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	code, rest, body := ts.watchREST(wctx, t, "/v1/"+conn.GetName()+"/changes:watch", ts.keys["acme"])
	if code != 200 {
		t.Fatalf("REST watch: %d %s", code, body)
	}

	// An edit in HubSpot: UPDATED, the field typed as GetRecord types it, the record named.
	contact := seed.Contacts[0]
	if err := ts.sb.EditRecord(hub, "contacts", contact, map[string]string{"lifecyclestage": "customer"}); err != nil {
		t.Fatal(err)
	}
	edit := nextChange(t, watch)
	rec, err := c.GetRecord(ctx, &integrationsv1.GetRecordRequest{Name: client.RecordName(conn.GetName(), "contacts", contact),
		Properties: []string{"lifecyclestage", "firstname", "lastname"}})
	if err != nil {
		t.Fatal(err)
	}
	want := &integrationsv1.Change{ObjectType: "contacts", RecordId: contact, Record: client.RecordName(conn.GetName(), "contacts", contact),
		RecordDisplayName: rec.GetProperties()["firstname"].GetRaw() + " " + rec.GetProperties()["lastname"].GetRaw(),
		Kind:              integrationsv1.ChangeKind_CHANGE_KIND_UPDATED,
		Fields:            map[string]*integrationsv1.FieldValue{"lifecyclestage": rec.GetProperties()["lifecyclestage"]},
		OccurTime:         rec.GetUpdateTime(), Source: integrationsv1.ChangeSource_CHANGE_SOURCE_WEBHOOK}
	ignore := protocmp.IgnoreFields(&integrationsv1.Change{}, "name", "id", "detect_time", "cursor")
	if d := cmp.Diff(want, edit, protocmp.Transform(), ignore); d != "" {
		t.Errorf("the edit made in HubSpot (-want +got):\n%s", d)
	}
	if d := cmp.Diff(edit, nextChangeRESTWithin(t, rest), protocmp.Transform()); d != "" {
		t.Errorf("the REST watch's change differs from gRPC's (-gRPC +REST):\n%s", d)
	}

	// Creation, deletion, restore, merge and association, each waited for in turn.
	created, err := ts.sb.CreateRecord(hub, "contacts", map[string]string{"firstname": "Katherine", "lastname": "Johnson"})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		do   func() error
		want string
	}{
		{func() error { return nil }, "CREATED contacts/" + created},
		{func() error { return ts.sb.DeleteRecord(hub, "contacts", created) }, "DELETED contacts/" + created},
		{func() error { return ts.sb.RestoreRecord(hub, "contacts", created) }, "RESTORED contacts/" + created},
		{func() error { return ts.sb.MergeRecords(hub, "contacts", contact, created) }, "MERGED contacts/" + contact + " merged " + created},
		{func() error { return ts.sb.Associate(hub, "contacts", contact, "companies", seed.Companies[1], 1) },
			"ASSOCIATION_ADDED contacts/" + contact + " with companies/" + seed.Companies[1]},
	}
	var got, wantSteps []string
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.want, err)
		}
		wantSteps = append(wantSteps, s.want)
		ch := nextChange(t, watch)
		got = append(got, changeSummary(ch))
		if rch := nextChangeRESTWithin(t, rest); !cmp.Equal(ch, rch, protocmp.Transform()) {
			t.Errorf("REST watch sent %s where gRPC sent %s", changeSummary(rch), changeSummary(ch))
		}
	}
	if d := cmp.Diff(wantSteps, got); d != "" {
		t.Errorf("changes made in HubSpot, in order (-want +got):\n%s", d)
	}

	// Echo suppression: the service's own upsert comes back self-written, an edit in
	// HubSpot of the same record does not.
	up, err := c.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: "echo@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	own := nextChange(t, watch)
	if err := ts.sb.EditRecord(hub, "contacts", up.GetContactId(), map[string]string{"lifecyclestage": "lead"}); err != nil {
		t.Fatal(err)
	}
	theirs := nextChange(t, watch)
	self := map[string]bool{changeSummary(own): own.GetSelfWritten(), changeSummary(theirs): theirs.GetSelfWritten()}
	if d := cmp.Diff(map[string]bool{"CREATED contacts/" + up.GetContactId(): true, "UPDATED contacts/" + up.GetContactId(): false}, self); d != "" {
		t.Errorf("self_written (-want +got):\n%s", d)
	}

	// A restart keeps every change, and a cursor resumes after it.
	before, err := c.ListChanges(ctx, &integrationsv1.ListChangesRequest{Connection: conn.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	ts.restart(t, ts.env)
	c = ts.client(t, ts.keys["acme"])
	after, err := c.ListChanges(ctx, &integrationsv1.ListChangesRequest{Connection: conn.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, after, protocmp.Transform()); d != "" {
		t.Errorf("ListChanges across a restart (-before +after):\n%s", d)
	}
	ts.subscribeWebhooks(t, c, conn.GetName(), "lifecyclestage") // the server's new address
	resumed := watchFor(t, c, conn.GetName(), before.GetNextCursor())
	if err := ts.sb.EditRecord(hub, "contacts", contact, map[string]string{"lifecyclestage": "opportunity"}); err != nil {
		t.Fatal(err)
	}
	if got := changeSummary(nextChange(t, resumed)); got != "UPDATED contacts/"+contact {
		t.Errorf("after the restart, from the last cursor: %s; want the new edit only", got)
	}
}

// TestStaleWebhooksAreRefused: a sandbox whose clock is 6 minutes behind signs its webhooks
// with timestamps older than the 5 minutes the endpoint accepts: every delivery is refused as
// stale and nothing is stored. (The other tests keep the sandbox on real time.)
func TestStaleWebhooksAreRefused(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seededWith(t, serverOptions{webhookRetryScale: 1e-4,
		sandboxNow: func() time.Time { return time.Now().Add(-6 * time.Minute) }})
	ts.subscribeWebhooks(t, c, conn.GetName(), "lifecyclestage")
	if err := ts.sb.EditRecord(ts.acct.HubID, "contacts", seed.Contacts[0], map[string]string{"lifecyclestage": "customer"}); err != nil {
		t.Fatal(err)
	}
	line := `integrations_webhooks_refused_total{reason="` + changes.RefusedStaleTimestamp + `"} `
	// The server counts the refusal before the sandbox counts its failed attempt: wait for both.
	if !eventually(func() bool { return strings.Contains(ts.metrics(t), line) && ts.sb.WebhookCounters().Failed > 0 }) {
		t.Fatalf("/metrics never showed %s; sandbox counters %+v", line, ts.sb.WebhookCounters())
	}
	if n := ts.sb.WebhookCounters(); n.Succeeded != 0 {
		t.Errorf("sandbox counters %+v; want failed attempts only", n)
	}
	list, err := c.ListChanges(context.Background(), &integrationsv1.ListChangesRequest{Connection: conn.GetName()})
	if err != nil || len(list.GetChanges()) != 0 {
		t.Errorf("ListChanges after stale webhooks = %v, %v; want nothing", list, err)
	}
}

// eventually reports whether cond held within feedWait, checking it every 10 ms: for what
// the server shows only through a counter, where no stream can be waited on.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(feedWait)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond) // the period of a bounded check, not a synchronisation
	}
	return true
}

// TestChangesIteratorResumesAcrossARestart: the typed client's Changes iterator, cut by a
// server restart (UNAVAILABLE), opens the stream again from the last cursor it yielded: no
// change lost, none repeated.
func TestChangesIteratorResumesAcrossARestart(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ts.subscribeWebhooks(t, c, conn.GetName(), "lifecyclestage")
	ctx, cancel := context.WithTimeout(context.Background(), 3*feedWait)
	defer cancel()
	next, stop := iterPull(c.Changes(ctx, &integrationsv1.WatchChangesRequest{Connection: conn.GetName()}))
	defer stop()
	hub := ts.acct.HubID
	edit := func(id, stage string) {
		t.Helper()
		if err := ts.sb.EditRecord(hub, "contacts", id, map[string]string{"lifecyclestage": stage}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	take := func() {
		t.Helper()
		ch, err := next()
		if err != nil {
			t.Fatalf("Changes: %v", err)
		}
		got = append(got, changeSummary(ch)+" "+ch.GetFields()["lifecyclestage"].GetRaw())
	}
	edit(seed.Contacts[0], "customer")
	take()
	ts.restartAtSameAddresses(t)
	ts.subscribeWebhooks(t, ts.client(t, ts.keys["acme"]), conn.GetName(), "lifecyclestage")
	edit(seed.Contacts[1], "customer")
	edit(seed.Contacts[2], "customer")
	take()
	take()
	want := []string{"UPDATED contacts/" + seed.Contacts[0] + " customer", "UPDATED contacts/" + seed.Contacts[1] + " customer",
		"UPDATED contacts/" + seed.Contacts[2] + " customer"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the iterator across a restart (-want +got):\n%s", d)
	}
}

// restartAtSameAddresses stops the server and starts it again on the same database and the
// same ports, as a restarted deployment is, so that clients reconnect to it.
func (ts *testServer) restartAtSameAddresses(t *testing.T) {
	t.Helper()
	ts.stop()
	ts.args = []string{"--grpc-addr", ts.grpcAddr, "--http-addr", ts.httpAddr}
	ts.start(t)
}

// iterPull is iter.Pull2 with a bound: next fails after feedWait.
func iterPull(seq func(func(*integrationsv1.Change, error) bool)) (func() (*integrationsv1.Change, error), func()) {
	type result struct {
		c   *integrationsv1.Change
		err error
	}
	ch := make(chan result)
	done := make(chan struct{})
	go func() {
		seq(func(c *integrationsv1.Change, err error) bool {
			select {
			case ch <- result{c, err}:
				return err == nil
			case <-done:
				return false
			}
		})
		close(ch)
	}()
	var once bool
	return func() (*integrationsv1.Change, error) {
			timer := time.NewTimer(feedWait)
			defer timer.Stop()
			select {
			case r, ok := <-ch:
				if !ok {
					return nil, context.Canceled
				}
				return r.c, r.err
			case <-timer.C:
				return nil, context.DeadlineExceeded
			}
		}, func() {
			if !once {
				once = true
				close(done)
			}
		}
}

// parseNDJSONChange is a REST watch line's change ({"result": Change}), nil when it is not one.
func parseNDJSONChange(b []byte) *integrationsv1.Change {
	var line struct {
		Result json.RawMessage `json:"result"`
	}
	c := &integrationsv1.Change{}
	if json.Unmarshal(b, &line) != nil || line.Result == nil || protojson.Unmarshal(line.Result, c) != nil {
		return nil
	}
	return c
}

// testPollEvery is how often the polling tests poll each connection (app.PollEvery): with
// the poller's backoff (up to 4 intervals when idle), a change is polled within ~1.5 s of
// reaching search.
const testPollEvery = 300 * time.Millisecond

// searchCounter counts the search requests the server sends to HubSpot.
type searchCounter struct{ n atomic.Int64 }

func (s *searchCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/search") {
			s.n.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// waitPolled returns once the server sent more than n searches since: a poll ran after the
// baseline (the first poll records one and searches nothing).
func (s *searchCounter) waitPolled(t *testing.T, more int64) {
	t.Helper()
	start := s.n.Load()
	if !eventually(func() bool { return s.n.Load() >= start+more }) {
		t.Fatalf("the server sent %d searches within %v; want %d", s.n.Load()-start, feedWait, more)
	}
}

// collect reads changes from w until want distinct records have one, and returns them by
// record id; a record's second change fails the test.
func collect(t *testing.T, w grpc.ServerStreamingClient[integrationsv1.Change], want int) map[string]*integrationsv1.Change {
	t.Helper()
	got := map[string]*integrationsv1.Change{}
	for len(got) < want {
		ch := nextChange(t, w)
		if prev, ok := got[ch.GetRecordId()]; ok {
			t.Fatalf("record %s changed twice on the stream: %s (%v) then %s (%v)", ch.GetRecordId(),
				changeSummary(prev), prev.GetSource(), changeSummary(ch), ch.GetSource())
		}
		got[ch.GetRecordId()] = ch
	}
	return got
}

// TestPollingCatchesDroppedWebhooks: with 20% of HubSpot's webhooks dropped and polling on,
// every contact created in HubSpot arrives, the dropped ones through polling (source POLL),
// each once on the stream although polling finds every one of them.
func TestPollingCatchesDroppedWebhooks(t *testing.T) {
	t.Parallel()
	var searches searchCounter
	ts, c, conn, _ := seededWith(t, serverOptions{pollEvery: testPollEvery, hubspot: searches.wrap})
	searches.waitPolled(t, 1)
	ts.subscribeWebhooks(t, c, conn.GetName())
	if err := ts.sb.SetWebhookFaults(sandbox.WebhookFaults{DropRate: 0.2}); err != nil {
		t.Fatal(err)
	}
	watch := watchFor(t, c, conn.GetName(), "")
	const n = 40
	created := map[string]bool{}
	for i := range n {
		id, err := ts.sb.CreateRecord(ts.acct.HubID, "contacts", map[string]string{"email": fmt.Sprintf("dropped%d@example.com", i)})
		if err != nil {
			t.Fatal(err)
		}
		created[id] = true
	}
	got := collect(t, watch, n)
	sources := map[integrationsv1.ChangeSource]int{}
	for id, ch := range got {
		if !created[id] || ch.GetKind() != integrationsv1.ChangeKind_CHANGE_KIND_CREATED {
			t.Errorf("unexpected change %s", changeSummary(ch))
		}
		sources[ch.GetSource()]++
	}
	dropped := ts.sb.WebhookCounters().EventsDropped
	if dropped == 0 || sources[integrationsv1.ChangeSource_CHANGE_SOURCE_POLL] < dropped ||
		sources[integrationsv1.ChangeSource_CHANGE_SOURCE_POLL]+sources[integrationsv1.ChangeSource_CHANGE_SOURCE_WEBHOOK] != n {
		t.Errorf("changes by source %v with %d webhooks dropped; want every dropped one polled, %d in all", sources, dropped, n)
	}
	// Polls after every creation was found add nothing: each change is stored once.
	searches.waitPolled(t, 3)
	list, err := c.ListChanges(context.Background(), &integrationsv1.ListChangesRequest{Connection: conn.GetName(), PageSize: 100})
	if err != nil || len(list.GetChanges()) != n {
		t.Errorf("ListChanges: %d changes, %v; want %d", len(list.GetChanges()), err, n)
	}
}

// TestPollingPastTheSearchCap: 12,000 contacts bulk-edited in HubSpot with one timestamp and
// no webhooks all arrive through polling, each once, past the 10,000 results one search can
// page through.
func TestPollingPastTheSearchCap(t *testing.T) {
	t.Parallel()
	var searches searchCounter
	ts := startServerWith(t, serverOptions{pollEvery: testPollEvery, hubspot: searches.wrap, searchLag: sandbox.NoSearchLag,
		env: map[string]string{"INTEGRATIONS_POLL_SEARCH_SHARE": "5", "INTEGRATIONS_POLL_OVERLAP": "1s"}})
	const n = 12_000
	for i := range n {
		if _, err := ts.sb.CreateRecord(ts.acct.HubID, "contacts", map[string]string{"email": fmt.Sprintf("bulk%d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	searches.waitPolled(t, 1)
	watch := watchFor(t, c, conn.GetName(), "")
	res, err := ts.sb.BulkEdit(ts.acct.HubID, sandbox.BulkEdit{ObjectType: "contacts", Property: "lifecyclestage", Value: "lead", Count: n})
	if err != nil || res.Edited != n {
		t.Fatalf("BulkEdit = %+v, %v", res, err)
	}
	got := collect(t, watch, n)
	for _, ch := range got {
		if ch.GetKind() != integrationsv1.ChangeKind_CHANGE_KIND_UPDATED || ch.GetSource() != integrationsv1.ChangeSource_CHANGE_SOURCE_POLL ||
			!ch.GetOccurTime().AsTime().Equal(res.ModifiedAt) || ch.GetFields()["lifecyclestage"].GetRaw() != "lead" {
			t.Fatalf("a bulk-edited contact's change: %v; want UPDATED by POLL at %v with lifecyclestage lead", ch, res.ModifiedAt)
		}
	}
}

// TestPollingSeesMerges: with no webhooks, a merge made in HubSpot arrives through polling as
// MERGED with the merged id: the merged record is gone from search and listings, and the
// primary's merged-ids property grew.
func TestPollingSeesMerges(t *testing.T) {
	t.Parallel()
	var searches searchCounter
	ts, c, conn, _ := seededWith(t, serverOptions{pollEvery: testPollEvery, hubspot: searches.wrap, searchLag: sandbox.NoSearchLag})
	searches.waitPolled(t, 1)
	watch := watchFor(t, c, conn.GetName(), "")
	hub := ts.acct.HubID
	var ids []string
	for _, email := range []string{"primary@example.com", "duplicate@example.com"} {
		id, err := ts.sb.CreateRecord(hub, "contacts", map[string]string{"email": email})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	got := map[string]bool{}
	for range ids {
		got[changeSummary(nextChange(t, watch))] = true
	}
	if err := ts.sb.MergeRecords(hub, "contacts", ids[0], ids[1]); err != nil {
		t.Fatal(err)
	}
	merged := nextChange(t, watch)
	got[changeSummary(merged)+" by "+merged.GetSource().String()] = true
	want := map[string]bool{"CREATED contacts/" + ids[0]: true, "CREATED contacts/" + ids[1]: true,
		"MERGED contacts/" + ids[0] + " merged " + ids[1] + " by CHANGE_SOURCE_POLL": true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("changes polled (-want +got):\n%s", d)
	}
}
