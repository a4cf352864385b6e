package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// TestWebhookRefusals: a webhook request that is not HubSpot's, signed with the connection's
// secret, recent, and a JSON array of events gets a 4xx, is counted by reason, and stores
// nothing.
func TestWebhookRefusals(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	setWebhookSecret(t, c, conn.GetName(), webhookSecret)
	ev := ts.propertyChange(1, seed.Contacts[0], "firstname", "Grace", changeTime)
	at := func(d time.Duration) webhookRequest {
		w := signedWebhook(t, webhookSecret, ev)
		w.timestamp = strconv.FormatInt(time.Now().Add(d).UnixMilli(), 10)
		return w
	}
	otherPortal := ts.propertyChange(1, seed.Contacts[0], "firstname", "Grace", changeTime)
	otherPortal["portalId"] = ts.acct.HubID + 1
	raw := func(body string) webhookRequest {
		w := signedWebhook(t, webhookSecret)
		w.body = []byte(body)
		return w
	}
	for _, tc := range []struct {
		name     string
		req      webhookRequest
		wantCode int
		reason   string
	}{
		{"signed with another secret", signedWebhook(t, "not-the-apps-secret", ev), 401, changes.RefusedBadSignature},
		{"a timestamp 6 minutes old", at(-6 * time.Minute), 401, changes.RefusedStaleTimestamp},
		{"a timestamp 6 minutes ahead", at(6 * time.Minute), 401, changes.RefusedStaleTimestamp},
		{"no signature headers", webhookRequest{body: signedWebhook(t, webhookSecret, ev).body, noHeaders: true}, 401, changes.RefusedMissingHeaders},
		{"a portal no connection has", signedWebhook(t, webhookSecret, otherPortal), 401, changes.RefusedUnknownPortal},
		{"a body that is not JSON", raw(`[{"eventId":`), 400, changes.RefusedMalformed},
		{"an object, not an array", raw(`{"eventId":1}`), 400, changes.RefusedMalformed},
		{"no events", raw(`[]`), 400, changes.RefusedMalformed},
		{"an event without its portal", raw(`[{"eventId":1,"subscriptionType":"contact.creation","objectId":1}]`), 400, changes.RefusedMalformed},
		{"a body over 1 MiB", raw(`["` + strings.Repeat("x", changes.MaxWebhookBody) + `"]`), 413, changes.RefusedTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ts.postWebhook(t, tc.req); got != tc.wantCode {
				t.Errorf("answered %d, want %d", got, tc.wantCode)
			}
		})
	}
	list, err := c.ListChanges(context.Background(), &integrationsv1.ListChangesRequest{Connection: conn.GetName()})
	if err != nil || len(list.GetChanges()) != 0 {
		t.Errorf("ListChanges after refused webhooks = %v, %v; want no change", list, err)
	}
	metrics := ts.metrics(t)
	for reason, n := range map[string]int{changes.RefusedBadSignature: 1, changes.RefusedStaleTimestamp: 2, changes.RefusedMissingHeaders: 1,
		changes.RefusedUnknownPortal: 1, changes.RefusedMalformed: 4, changes.RefusedTooLarge: 1} {
		line := `integrations_webhooks_refused_total{reason="` + reason + `"} ` + strconv.Itoa(n)
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	settings, err := c.GetChangeSettings(context.Background(), &integrationsv1.GetChangeSettingsRequest{Name: client.ChangeSettingsName(conn.GetName())})
	if err != nil || settings.GetWebhooksRefused() != 1 || settings.GetWebhooksReceived() != 0 {
		t.Errorf("settings after the refusals = %v, %v; want 1 refused (the bad signature), 0 received", settings, err)
	}
	if strings.Contains(ts.logs.String(), webhookSecret) {
		t.Errorf("the webhook secret was logged")
	}
}

// metrics is the server's /metrics text.
func (ts *testServer) metrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + ts.httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestWebhookEventsBecomeOneChangePerEvent: events delivered out of order, twice, and the
// property events of one write in two deliveries make one change per HubSpot change, the
// same over ListChanges (gRPC and REST) and WatchChanges (gRPC and REST NDJSON).
func TestWebhookEventsBecomeOneChangePerEvent(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	setWebhookSecret(t, c, conn.GetName(), webhookSecret)
	contact, deal := seed.Contacts[1], seed.Deals[0]
	created, edited := changeTime, changeTime.Add(time.Minute)
	watch, err := c.WatchChanges(ctx, &integrationsv1.WatchChangesRequest{Connection: conn.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	for i, delivery := range [][]hubEvent{
		{ts.propertyChange(11, contact, "lastname", "Hopper", edited), ts.event(10, "contact.creation", contact, created)},
		{ts.propertyChange(12, contact, "firstname", "Grace", edited), ts.propertyChange(11, contact, "lastname", "Hopper", edited),
			ts.event(10, "contact.creation", contact, created)},
		{ts.event(13, "deal.deletion", deal, edited)},
	} {
		if code := ts.postWebhook(t, signedWebhook(t, webhookSecret, delivery...)); code != 204 {
			t.Fatalf("delivery %d answered %d, want 204", i, code)
		}
	}
	// The deletion was delivered last, so once it is on the stream the others were stored.
	streamed := receiveChanges(t, watch, 3)
	if streamed[2].GetKind() != integrationsv1.ChangeKind_CHANGE_KIND_DELETED {
		t.Fatalf("third change streamed = %v, want the deletion", streamed[2])
	}
	str := func(s string) *integrationsv1.FieldValue {
		return &integrationsv1.FieldValue{Raw: s, Value: &integrationsv1.FieldValue_StringValue{StringValue: s}}
	}
	rec := func(objectType, id string) string { return client.RecordName(conn.GetName(), objectType, id) }
	want := []*integrationsv1.Change{
		{ObjectType: "contacts", RecordId: contact, Record: rec("contacts", contact), Kind: integrationsv1.ChangeKind_CHANGE_KIND_UPDATED,
			Fields:    map[string]*integrationsv1.FieldValue{"firstname": str("Grace"), "lastname": str("Hopper")},
			OccurTime: timestamppb.New(edited), Source: integrationsv1.ChangeSource_CHANGE_SOURCE_WEBHOOK},
		{ObjectType: "contacts", RecordId: contact, Record: rec("contacts", contact), Kind: integrationsv1.ChangeKind_CHANGE_KIND_CREATED,
			OccurTime: timestamppb.New(created), Source: integrationsv1.ChangeSource_CHANGE_SOURCE_WEBHOOK},
		{ObjectType: "deals", RecordId: deal, Record: rec("deals", deal), Kind: integrationsv1.ChangeKind_CHANGE_KIND_DELETED,
			OccurTime: timestamppb.New(edited), Source: integrationsv1.ChangeSource_CHANGE_SOURCE_WEBHOOK},
	}
	listed, err := c.ListChanges(ctx, &integrationsv1.ListChangesRequest{Connection: conn.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	ignore := protocmp.IgnoreFields(&integrationsv1.Change{}, "name", "id", "detect_time", "cursor", "record_display_name")
	if d := cmp.Diff(want, listed.GetChanges(), protocmp.Transform(), ignore); d != "" {
		t.Errorf("ListChanges (-want +got):\n%s", d)
	}
	if listed.GetNextCursor() != listed.GetChanges()[2].GetCursor() {
		t.Errorf("next_cursor %q, want the last change's", listed.GetNextCursor())
	}
	// The lastname event arrived first: the change is at the position of its first event,
	// and gained firstname in place.
	if d := cmp.Diff(streamed[0].GetId(), listed.GetChanges()[0].GetId()); d != "" {
		t.Errorf("the update's id moved: %s", d)
	}
	if streamed[0].GetRecordDisplayName() == "" || listed.GetChanges()[2].GetRecordDisplayName() != "" {
		t.Errorf("display names %q (contact, read from HubSpot) and %q (a deal deleted before it was seen); want a name and none",
			streamed[0].GetRecordDisplayName(), listed.GetChanges()[2].GetRecordDisplayName())
	}
	r := ts.do(t, "GET", "/v1/"+conn.GetName()+"/changes", ts.keys["acme"], "")
	restList := &integrationsv1.ListChangesResponse{}
	if err := protojson.Unmarshal([]byte(r.raw), restList); err != nil || r.code != 200 {
		t.Fatalf("REST ListChanges: %d %v %s", r.code, err, r.raw)
	}
	if d := cmp.Diff(listed, restList, protocmp.Transform()); d != "" {
		t.Errorf("REST ListChanges differs from gRPC (-gRPC +REST):\n%s", d)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	code, lines, body := ts.watchREST(wctx, t, "/v1/"+conn.GetName()+"/changes:watch?cursor="+listed.GetChanges()[0].GetCursor(), ts.keys["acme"])
	if code != 200 {
		t.Fatalf("REST watch: %d %s", code, body)
	}
	for i := 1; i < 3; i++ {
		if d := cmp.Diff(listed.GetChanges()[i], nextChangeREST(t, lines), protocmp.Transform()); d != "" {
			t.Errorf("REST watch line %d (-ListChanges +watch):\n%s", i, d)
		}
	}
}

// TestWebhookReachesEveryConnectionOfThePortal: two workspaces connected to one HubSpot
// account, with the app's secret, both get its changes.
func TestWebhookReachesEveryConnectionOfThePortal(t *testing.T) {
	t.Parallel()
	ts, acme, conn, seed := seeded(t)
	globex := ts.client(t, ts.keys["globex"])
	other, err := globex.Connect(context.Background(), &integrationsv1.ConnectRequest{Parent: "workspaces/globex", DisplayName: "Globex HubSpot",
		ConnectionId: "crm", AccessToken: ts.token})
	if err != nil {
		t.Fatal(err)
	}
	setWebhookSecret(t, acme, conn.GetName(), webhookSecret)
	setWebhookSecret(t, globex, other.GetName(), webhookSecret)
	if code := ts.postWebhook(t, signedWebhook(t, webhookSecret, ts.event(20, "company.creation", seed.Companies[0], changeTime))); code != 204 {
		t.Fatalf("webhook answered %d, want 204", code)
	}
	for _, tc := range []struct {
		c    *client.Client
		conn string
	}{{acme, conn.GetName()}, {globex, other.GetName()}} {
		got := watchFirst(t, tc.c, &integrationsv1.WatchChangesRequest{Connection: tc.conn})
		if got.GetRecord() != client.RecordName(tc.conn, "companies", seed.Companies[0]) || got.GetKind() != integrationsv1.ChangeKind_CHANGE_KIND_CREATED {
			t.Errorf("%s got %v", tc.conn, got)
		}
	}
}

// TestWebhookEventsInTheInboxSurviveARestart: events accepted (answered 204) but not yet
// turned into changes when the server stopped are turned into changes after it starts.
func TestWebhookEventsInTheInboxSurviveARestart(t *testing.T) {
	t.Parallel()
	ts, _, conn, seed := seeded(t)
	ts.stop()
	ctx := context.Background()
	st, err := store.Open(ctx, ts.db)
	if err != nil {
		t.Fatal(err)
	}
	row, err := st.GetConnection(ctx, "acme", "prod")
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := json.Marshal(ts.event(30, "contact.deletion", seed.Contacts[2], changeTime))
	if err := st.AddToInbox(ctx, []store.InboxEvent{{ConnectionUID: row.UID, Event: ev, Received: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ts.restart(t, ts.env)
	c := ts.client(t, ts.keys["acme"])
	got := watchFirst(t, c, &integrationsv1.WatchChangesRequest{Connection: conn.GetName()})
	if got.GetRecordId() != seed.Contacts[2] || got.GetKind() != integrationsv1.ChangeKind_CHANGE_KIND_DELETED {
		t.Errorf("after the restart: %v; want the deletion left in the inbox", got)
	}
}

// TestOwnWritesAreSelfWritten: HubSpot's change for a write this service made (its record,
// at the updatedAt HubSpot answered) is self-written; an edit of the record at another time
// is not.
func TestOwnWritesAreSelfWritten(t *testing.T) {
	t.Parallel()
	ts, c, conn, _ := seeded(t)
	ctx := context.Background()
	setWebhookSecret(t, c, conn.GetName(), webhookSecret)
	up, err := c.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: "echo@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := c.GetRecord(ctx, &integrationsv1.GetRecordRequest{Name: up.GetContact()})
	if err != nil {
		t.Fatal(err)
	}
	written := rec.GetUpdateTime().AsTime()
	watch, err := c.WatchChanges(ctx, &integrationsv1.WatchChangesRequest{Connection: conn.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if code := ts.postWebhook(t, signedWebhook(t, webhookSecret,
		ts.propertyChange(40, up.GetContactId(), "email", "echo@example.com", written),
		ts.propertyChange(41, up.GetContactId(), "firstname", "Someone", written.Add(time.Second)))); code != 204 {
		t.Fatalf("webhook answered %d", code)
	}
	got := map[string]bool{}
	for _, ch := range receiveChanges(t, watch, 2) {
		got[ch.GetOccurTime().AsTime().Sub(written).String()] = ch.GetSelfWritten()
	}
	if d := cmp.Diff(map[string]bool{"0s": true, "1s": false}, got); d != "" {
		t.Errorf("self_written by time after the upsert (-want +got):\n%s", d)
	}
}

// TestWatchChanges: the backlog after a cursor, then live changes, filtered by object type,
// until the caller cancels; an expired or foreign cursor is refused.
func TestWatchChanges(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	setWebhookSecret(t, c, conn.GetName(), webhookSecret)
	post := func(events ...hubEvent) {
		t.Helper()
		if code := ts.postWebhook(t, signedWebhook(t, webhookSecret, events...)); code != 204 {
			t.Fatalf("webhook answered %d", code)
		}
	}
	post(ts.event(50, "contact.creation", seed.Contacts[0], changeTime), ts.event(51, "company.creation", seed.Companies[0], changeTime))
	all, err := c.WatchChanges(ctx, &integrationsv1.WatchChangesRequest{Connection: conn.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	backlog := receiveChanges(t, all, 2)

	wctx, cancel := context.WithCancel(ctx)
	companies, err := c.WatchChanges(wctx, &integrationsv1.WatchChangesRequest{Connection: conn.GetName(), ObjectTypes: []string{"companies"}})
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := c.WatchChanges(ctx, &integrationsv1.WatchChangesRequest{Connection: conn.GetName(), Cursor: backlog[0].GetCursor()})
	if err != nil {
		t.Fatal(err)
	}
	if got := receiveChanges(t, companies, 1)[0]; got.GetObjectType() != "companies" {
		t.Errorf("the companies watch got %v", got)
	}
	if d := cmp.Diff(backlog[1], receiveChanges(t, resumed, 1)[0], protocmp.Transform()); d != "" {
		t.Errorf("resumed after the first change (-want +got):\n%s", d)
	}

	post(ts.event(52, "deal.creation", seed.Deals[0], changeTime), ts.event(53, "company.deletion", seed.Companies[1], changeTime))
	live := receiveChanges(t, all, 2)
	if live[0].GetObjectType() != "deals" || live[1].GetObjectType() != "companies" {
		t.Errorf("live changes %v", live)
	}
	if got := receiveChanges(t, companies, 1)[0]; got.GetRecordId() != seed.Companies[1] {
		t.Errorf("the companies watch got %v live; want the deletion only", got)
	}
	cancel()
	if _, err := companies.Recv(); client.ErrorDetails(err).Code != codes.Canceled {
		t.Errorf("after cancel: %v; want CANCELED", err)
	}

	globex := ts.client(t, ts.keys["globex"])
	other, err := globex.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/globex", DisplayName: "G", ConnectionId: "crm", AccessToken: ts.token})
	if err != nil {
		t.Fatal(err)
	}
	_, err = globex.ListChanges(ctx, &integrationsv1.ListChangesRequest{Connection: other.GetName(), Cursor: backlog[0].GetCursor()})
	if e := client.ErrorDetails(err); e.Code != codes.InvalidArgument || len(e.FieldViolations) != 1 || e.FieldViolations[0].Field != "cursor" {
		t.Errorf("another connection's cursor: %+v; want INVALID_ARGUMENT on cursor", e)
	}
}

// TestChangeSettingsRules: a Service Key connection refuses a webhook secret (HubSpot sends no
// webhooks for Service Keys), and UpdateChangeSettings is audited without its secret.
func TestChangeSettingsRules(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	key, err := ts.sb.CreateToken(sandboxServiceKey(ts))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Service key", ConnectionId: "sk", AccessToken: key.Token})
	if err != nil {
		t.Fatal(err)
	}
	if conn.GetCredentialKind() != integrationsv1.CredentialKind_CREDENTIAL_KIND_SERVICE_KEY {
		t.Fatalf("credential kind %v, want SERVICE_KEY", conn.GetCredentialKind())
	}
	settings := client.ChangeSettingsName(conn.GetName())
	_, err = c.UpdateChangeSettings(ctx, &integrationsv1.UpdateChangeSettingsRequest{ChangeSettings: &integrationsv1.ChangeSettings{Name: settings, WebhookClientSecret: webhookSecret}})
	if e := client.ErrorDetails(err); e.Code != codes.FailedPrecondition || e.Reason != client.ReasonWebhooksUnsupported {
		t.Errorf("a webhook secret for a Service Key: %+v; want FAILED_PRECONDITION WEBHOOKS_UNSUPPORTED", e)
	}
	got, err := c.UpdateChangeSettings(ctx, &integrationsv1.UpdateChangeSettingsRequest{ChangeSettings: &integrationsv1.ChangeSettings{Name: settings,
		PollInterval: durationpbOf(30 * time.Second)}, RequestId: "poll-30s"})
	if err != nil || got.GetPollInterval().AsDuration() != 30*time.Second || got.GetWebhookSecretSet() {
		t.Errorf("the poll interval of a Service Key connection: %v, %v", got, err)
	}
	events, err := c.ListAuditEvents(ctx, &integrationsv1.ListAuditEventsRequest{Parent: "workspaces/acme",
		Action: integrationsv1.AuditAction_AUDIT_ACTION_UPDATE_CHANGE_SETTINGS})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, e := range events.GetAuditEvents() {
		outcomes = append(outcomes, e.GetResource()+" "+e.GetOutcome()+" "+e.GetDescription())
	}
	want := []string{conn.GetName() + " OK fields webhook_client_secret, poll_interval", conn.GetName() + " FAILED_PRECONDITION fields webhook_client_secret, poll_interval"}
	if d := cmp.Diff(want, outcomes); d != "" {
		t.Errorf("audit events, newest first (-want +got):\n%s", d)
	}
	if strings.Contains(ts.logs.String(), webhookSecret) {
		t.Errorf("the webhook secret was logged")
	}
}

// TestExpiredCursor: once retention purged the changes after a cursor, ListChanges and
// WatchChanges refuse it with CHANGE_CURSOR_EXPIRED, and work without a cursor.
func TestExpiredCursor(t *testing.T) {
	t.Parallel()
	ts, c, conn, seed := seeded(t)
	ctx := context.Background()
	setWebhookSecret(t, c, conn.GetName(), webhookSecret)
	if code := ts.postWebhook(t, signedWebhook(t, webhookSecret, ts.event(60, "contact.creation", seed.Contacts[0], changeTime),
		ts.event(61, "contact.deletion", seed.Contacts[1], changeTime))); code != 204 {
		t.Fatalf("webhook answered %d", code)
	}
	first := watchFirst(t, c, &integrationsv1.WatchChangesRequest{Connection: conn.GetName()})
	second := watchFirst(t, c, &integrationsv1.WatchChangesRequest{Connection: conn.GetName(), Cursor: first.GetCursor()})
	// The sweep, as it would run a retention later.
	ts.stop()
	st, err := store.Open(ctx, ts.db)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.PruneChanges(ctx, second.GetDetectTime().AsTime().Add(time.Millisecond), 100); err != nil || n != 2 {
		t.Fatalf("PruneChanges = %d, %v; want 2", n, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ts.restart(t, ts.env)
	c = ts.client(t, ts.keys["acme"])
	_, err = c.ListChanges(ctx, &integrationsv1.ListChangesRequest{Connection: conn.GetName(), Cursor: first.GetCursor()})
	if e := client.ErrorDetails(err); e.Code != codes.FailedPrecondition || e.Reason != client.ReasonChangeCursorExpired {
		t.Errorf("ListChanges from an expired cursor: %+v; want FAILED_PRECONDITION CHANGE_CURSOR_EXPIRED", e)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	code, _, body := ts.watchREST(wctx, t, "/v1/"+conn.GetName()+"/changes:watch?cursor="+first.GetCursor(), ts.keys["acme"])
	if code != 400 || !strings.Contains(body, client.ReasonChangeCursorExpired) {
		t.Errorf("REST watch from an expired cursor: %d %s; want 400 CHANGE_CURSOR_EXPIRED", code, body)
	}
	fresh, err := c.ListChanges(ctx, &integrationsv1.ListChangesRequest{Connection: conn.GetName(), Cursor: second.GetCursor()})
	if err != nil || len(fresh.GetChanges()) != 0 || fresh.GetNextCursor() != second.GetCursor() {
		t.Errorf("from the last purged change: %v, %v; want nothing lost, the same cursor back", fresh, err)
	}
}

// sandboxServiceKey is a Service Key of the test's account that introspection does not know,
// which the service can tell as a Service Key.
func sandboxServiceKey(ts *testServer) sandbox.Token {
	return sandbox.Token{HubID: ts.acct.HubID, Kind: sandbox.KindServiceKey, Scopes: sandbox.AllScopes()}
}

func durationpbOf(d time.Duration) *durationpb.Duration { return durationpb.New(d) }
