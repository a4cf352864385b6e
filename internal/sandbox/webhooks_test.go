package sandbox_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/sandbox"
)

// hookEvent is the part of a webhook event the tests read.
type hookEvent struct {
	EventID          int64   `json:"eventId"`
	SubscriptionID   int64   `json:"subscriptionId"`
	PortalID         int64   `json:"portalId"`
	AppID            int64   `json:"appId"`
	OccurredAt       int64   `json:"occurredAt"`
	SubscriptionType string  `json:"subscriptionType"`
	AttemptNumber    int     `json:"attemptNumber"`
	ObjectID         int64   `json:"objectId"`
	PropertyName     string  `json:"propertyName"`
	PropertyValue    *string `json:"propertyValue"`
	ChangeSource     string  `json:"changeSource"`
	SourceID         string  `json:"sourceId"`
	ChangeFlag       string  `json:"changeFlag"`
}

type hookRequest struct {
	header http.Header
	url    string
	body   []byte
	events []hookEvent
}

// receiver is a loopback webhook target answering each request with the status stored
// when the request arrived: it is read before the request is handed to the test, so a
// test that changes the status after next() changes the answers of later requests only.
type receiver struct {
	url    string
	got    chan hookRequest
	status atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan hookRequest, 1000)}
	rc.status.Store(http.StatusNoContent)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := hookRequest{header: r.Header.Clone(), url: "http://" + r.Host + r.URL.RequestURI(), body: body}
		if err := json.Unmarshal(body, &req.events); err != nil {
			t.Errorf("webhook body is not a JSON array of events: %v\n%s", err, body)
		}
		status := int(rc.status.Load())
		rc.got <- req
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/hubspot/webhooks?connection=7"
	return rc
}

// next waits for the next request, failing after a generous bound.
func (rc *receiver) next(t *testing.T) hookRequest {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook request arrived")
		return hookRequest{}
	}
}

// events collects requests until n events arrived.
func (rc *receiver) events(t *testing.T, n int) ([]hookRequest, []hookEvent) {
	t.Helper()
	var reqs []hookRequest
	var evs []hookEvent
	for len(evs) < n {
		r := rc.next(t)
		reqs = append(reqs, r)
		evs = append(evs, r.events...)
	}
	return reqs, evs
}

const secret = "client-secret-of-the-app"

// hookEnv is an env whose token's app subscribes the receiver to subs. The sender is one
// goroutine sending one request at a time, so a request's arrival means every earlier one
// was answered and counted.
func hookEnv(t *testing.T, opts sandbox.Options, subs ...sandbox.WebhookSubscription) (*env, *receiver, int64) {
	t.Helper()
	if opts.WebhookRetryScale == 0 {
		opts.WebhookRetryScale = 1e-6 // a day of retries in about 80 ms
	}
	e := newEnv(t, opts)
	t.Cleanup(func() { _ = e.sb.Close() })
	rc := newReceiver(t)
	appID := e.sb.Tokens(e.acct.HubID)[0].AppID
	if _, err := e.sb.SetWebhooks(sandbox.WebhookConfig{AppID: appID, TargetURL: rc.url, ClientSecret: secret, Subscriptions: subs}); err != nil {
		t.Fatal(err)
	}
	return e, rc, appID
}

func sub(typ string, property ...string) sandbox.WebhookSubscription {
	s := sandbox.WebhookSubscription{SubscriptionType: typ}
	if len(property) > 0 {
		s.PropertyName = property[0]
	}
	return s
}

func TestWebhookPayloadAndSignature(t *testing.T) {
	e, rc, appID := hookEnv(t, sandbox.Options{}, sub("contact.creation"), sub("contact.propertyChange", "firstname"))
	e.clock.Advance(1500 * time.Millisecond)
	id := e.do("POST", "/crm/v3/objects/contacts", map[string]any{"properties": props("email", "hook@example.com", "firstname", "Hook")}).
		want(t, http.StatusCreated).str("id")
	req := rc.next(t)

	now := e.clock.Now().UnixMilli()
	ts := req.header.Get("X-HubSpot-Request-Timestamp")
	if ts != strconv.FormatInt(now, 10) || req.header.Get("Content-Type") != "application/json" {
		t.Errorf("timestamp %q, content type %q; want %d and application/json", ts, req.header.Get("Content-Type"), now)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("POST" + req.url + string(req.body) + ts))
	if got, want := req.header.Get("X-HubSpot-Signature-v3"), base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("X-HubSpot-Signature-v3 = %q, want %q", got, want)
	}
	oid, _ := strconv.ParseInt(id, 10, 64)
	hook := "Hook"
	base := hookEvent{PortalID: e.acct.HubID, AppID: appID, OccurredAt: now, ObjectID: oid,
		ChangeSource: sandbox.SourceIntegration, SourceID: strconv.FormatInt(appID, 10)}
	creation, change := base, base
	creation.SubscriptionID, creation.SubscriptionType, creation.ChangeFlag = 1, "contact.creation", "CREATED"
	change.SubscriptionID, change.SubscriptionType, change.PropertyName, change.PropertyValue = 2, "contact.propertyChange", "firstname", &hook
	got := slices.Clone(req.events)
	for i := range got {
		if got[i].EventID == 0 {
			t.Errorf("event %d has no eventId", i)
		}
		got[i].EventID = 0
	}
	if diff := cmp.Diff([]hookEvent{creation, change}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// A bulk edit of 250 contacts arrives in requests of fewer than 100 events, all stamped
// with the edit's one time and attributed to a user in HubSpot.
func TestWebhookBatchesFewerThan100Events(t *testing.T) {
	e, rc, _ := hookEnv(t, sandbox.Options{}, sub("contact.propertyChange", "jobtitle"))
	for i := range 250 - len(e.seed.Contacts) {
		if _, err := e.sb.CreateRecord(e.acct.HubID, "contacts", map[string]string{"email": "bulk" + strconv.Itoa(i) + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := e.sb.BulkEdit(e.acct.HubID, sandbox.BulkEdit{ObjectType: "contacts", Property: "jobtitle", Value: "Buyer", Count: 250})
	if err != nil || res.Edited != 250 {
		t.Fatalf("bulk edit: %+v, %v", res, err)
	}
	reqs, evs := rc.events(t, 250)
	var sizes []int
	for _, r := range reqs {
		sizes = append(sizes, len(r.events))
	}
	if diff := cmp.Diff([]int{99, 99, 52}, sizes); diff != "" {
		t.Errorf("request sizes (-want +got):\n%s", diff)
	}
	seen := map[int64]bool{}
	for _, ev := range evs {
		if ev.OccurredAt != res.ModifiedAt.UnixMilli() || ev.ChangeSource != sandbox.SourceCRMUI || *ev.PropertyValue != "Buyer" {
			t.Fatalf("event %+v: want occurredAt %d, CRM_UI, Buyer", ev, res.ModifiedAt.UnixMilli())
		}
		seen[ev.ObjectID] = true
	}
	if len(seen) != 250 {
		t.Errorf("%d distinct contacts, want 250", len(seen))
	}
}

// A failed request is retried with the same events and a growing attemptNumber; after the
// tenth failure it is given up.
func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name      string
		failFirst int
		wantLast  int // attemptNumber of the last request
		want      sandbox.WebhookCounters
	}{
		{"succeeds on the third attempt", 2, 2, sandbox.WebhookCounters{EventsQueued: 2, EventsDelivered: 2, Attempts: 4, Succeeded: 2, Failed: 2}},
		{"gives up after ten attempts", 10, 9, sandbox.WebhookCounters{EventsQueued: 2, EventsDelivered: 1, Attempts: 11, Succeeded: 1, Failed: 10, GaveUp: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rc, _ := hookEnv(t, sandbox.Options{}, sub("contact.deletion"))
			rc.status.Store(http.StatusInternalServerError)
			first := e.seed.Contacts[0]
			if err := e.sb.DeleteRecord(e.acct.HubID, "contacts", first); err != nil {
				t.Fatal(err)
			}
			var attempts []int
			for range tt.failFirst {
				r := rc.next(t)
				attempts = append(attempts, r.events[0].AttemptNumber)
				if r.events[0].ObjectID != mustInt(t, first) {
					t.Fatalf("retry carries object %d, want %s", r.events[0].ObjectID, first)
				}
			}
			rc.status.Store(http.StatusOK)
			if tt.failFirst < 10 {
				attempts = append(attempts, rc.next(t).events[0].AttemptNumber)
			}
			if attempts[len(attempts)-1] != tt.wantLast || !slices.IsSorted(attempts) {
				t.Errorf("attemptNumbers %v, want increasing to %d", attempts, tt.wantLast)
			}
			// A marker change: its arrival means the requests before it are counted.
			if err := e.sb.DeleteRecord(e.acct.HubID, "contacts", e.seed.Contacts[1]); err != nil {
				t.Fatal(err)
			}
			if r := rc.next(t); r.events[0].ObjectID != mustInt(t, e.seed.Contacts[1]) {
				t.Fatalf("marker request carries %+v", r.events)
			}
			got := e.sb.WebhookCounters()
			if got.Succeeded == tt.want.Succeeded-1 { // the marker's answer may not be counted yet
				got.Succeeded, got.EventsDelivered = got.Succeeded+1, got.EventsDelivered+1
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("counters (-want +got):\n%s", diff)
			}
		})
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Faults on request, from the seeded random source: dropped events never come, duplicated
// ones come twice, reordered ones out of eventId order.
func TestWebhookFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults sandbox.WebhookFaults
		check  func(t *testing.T, evs []hookEvent, c sandbox.WebhookCounters)
	}{
		{"drop a fifth", sandbox.WebhookFaults{DropRate: 0.2}, func(t *testing.T, evs []hookEvent, c sandbox.WebhookCounters) {
			if c.EventsDropped == 0 || c.EventsDropped+len(evs) != 40 {
				t.Errorf("%d dropped + %d delivered, want some dropped and 40 in all", c.EventsDropped, len(evs))
			}
		}},
		{"duplicate all", sandbox.WebhookFaults{DuplicateRate: 1}, func(t *testing.T, evs []hookEvent, c sandbox.WebhookCounters) {
			count := map[int64]int{}
			for _, ev := range evs {
				count[ev.EventID]++
			}
			for id, n := range count {
				if n != 2 {
					t.Errorf("event %d came %d times, want 2", id, n)
				}
			}
			if len(count) != 40 || c.EventsDuplicated != 40 {
				t.Errorf("%d distinct events, %d duplicated; want 40 and 40", len(count), c.EventsDuplicated)
			}
		}},
		{"reorder", sandbox.WebhookFaults{Reorder: true}, func(t *testing.T, evs []hookEvent, c sandbox.WebhookCounters) {
			ids := make([]int64, len(evs))
			for i, ev := range evs {
				ids[i] = ev.EventID
			}
			if len(ids) != 40 || slices.IsSorted(ids) {
				t.Errorf("event ids %v: want 40 out of order", ids)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rc, _ := hookEnv(t, sandbox.Options{Seed: 3}, sub("contact.propertyChange", "jobtitle"))
			var ids []string
			for i := range 40 {
				id, err := e.sb.CreateRecord(e.acct.HubID, "contacts", map[string]string{"email": "f" + strconv.Itoa(i) + "@example.com"})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			if err := e.sb.SetWebhookFaults(tt.faults); err != nil {
				t.Fatal(err)
			}
			// One bulk edit queues the 40 events at once, faults applied: the counters then
			// say how many requests' worth of events will come.
			if _, err := e.sb.BulkEdit(e.acct.HubID, sandbox.BulkEdit{ObjectType: "contacts", Property: "jobtitle", Value: "J", IDs: ids}); err != nil {
				t.Fatal(err)
			}
			c := e.sb.WebhookCounters()
			_, evs := rc.events(t, 40-c.EventsDropped+c.EventsDuplicated)
			tt.check(t, evs, e.sb.WebhookCounters())
		})
	}
}

func TestSetWebhooksRefusals(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	t.Cleanup(func() { _ = e.sb.Close() })
	key, err := e.sb.CreateToken(sandbox.Token{HubID: e.acct.HubID, Kind: sandbox.KindServiceKey, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	static, err := e.sb.CreateToken(sandbox.Token{HubID: e.acct.HubID, Kind: sandbox.KindStaticAppToken, Scopes: sandbox.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	good := []sandbox.WebhookSubscription{sub("deal.propertyChange", "dealstage")}
	tests := []struct {
		name    string
		cfg     sandbox.WebhookConfig
		wantErr error // nil: any error; see ok
		ok      bool
	}{
		{"static project app", sandbox.WebhookConfig{AppID: static.AppID, TargetURL: "https://x.example/h", ClientSecret: "s", Subscriptions: good}, nil, true},
		{"Service Key", sandbox.WebhookConfig{AppID: key.AppID, TargetURL: "https://x.example/h", ClientSecret: "s", Subscriptions: good}, sandbox.ErrNoWebhooks, false},
		{"unknown app", sandbox.WebhookConfig{AppID: 1, TargetURL: "https://x.example/h", ClientSecret: "s", Subscriptions: good}, sandbox.ErrNotFound, false},
		{"relative URL", sandbox.WebhookConfig{AppID: static.AppID, TargetURL: "/h", ClientSecret: "s", Subscriptions: good}, nil, false},
		{"no secret", sandbox.WebhookConfig{AppID: static.AppID, TargetURL: "https://x.example/h", Subscriptions: good}, nil, false},
		{"unknown type", sandbox.WebhookConfig{AppID: static.AppID, TargetURL: "https://x.example/h", ClientSecret: "s",
			Subscriptions: []sandbox.WebhookSubscription{sub("ticket.creation")}}, nil, false},
		{"propertyChange without property", sandbox.WebhookConfig{AppID: static.AppID, TargetURL: "https://x.example/h", ClientSecret: "s",
			Subscriptions: []sandbox.WebhookSubscription{sub("contact.propertyChange")}}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.sb.SetWebhooks(tt.cfg)
			switch {
			case tt.ok && err != nil:
				t.Fatalf("refused: %v", err)
			case !tt.ok && err == nil:
				t.Fatal("accepted")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
}
