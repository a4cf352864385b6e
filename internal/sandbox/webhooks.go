package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Webhooks as HubSpot sends them (https://developers.hubspot.com/docs/api/webhooks):
// an app's subscriptions name the changes it wants; HubSpot POSTs them to the app's target
// URL as JSON arrays of fewer than 100 events, signed with the app's client secret, waits
// 5 seconds for a 2xx, and tries a failing request up to 10 times over about a day. Order
// is not guaranteed and an event may come twice.

// maxWebhookBatch is the most events one request carries: "fewer than 100".
const maxWebhookBatch = 99

// webhookAttempts is how many times a request is tried, the first included.
const webhookAttempts = 10

// defaultWebhookTimeout is how long HubSpot waits for the target to answer.
const defaultWebhookTimeout = 5 * time.Second

// webhookRetryDelays are the waits before the 2nd…10th attempts. HubSpot documents only
// "up to 10 times over the next 24 hours, with varying delays"; this schedule (23 hours in
// all) is the sandbox's guess. Options.WebhookRetryScale shrinks it for tests.
var webhookRetryDelays = []time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour,
	2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 12 * time.Hour,
}

// WebhookSubscription is one subscription of an app: a type "<object>.<kind>" with object
// contact, company or deal and kind one of the Change* kinds; a propertyChange names its
// property.
type WebhookSubscription struct {
	ID               int64  `json:"id"` // assigned by SetWebhooks
	SubscriptionType string `json:"subscriptionType"`
	PropertyName     string `json:"propertyName,omitempty"`
}

// WebhookConfig is an app's webhook settings: where events go, the client secret they are
// signed with, and what the app subscribes to.
type WebhookConfig struct {
	AppID         int64                 `json:"appId"`
	TargetURL     string                `json:"targetUrl"`
	ClientSecret  string                `json:"clientSecret"`
	Subscriptions []WebhookSubscription `json:"subscriptions"`
}

// WebhookFaults make the sender misbehave the way HubSpot's webhooks may, from the sandbox's
// seeded random source (Options.Seed), so a run replays.
type WebhookFaults struct {
	DropRate      float64       `json:"dropRate"`      // share of events never sent
	DuplicateRate float64       `json:"duplicateRate"` // share of events sent a second time, in a later request
	Reorder       bool          `json:"reorder"`       // shuffle the events of each round of requests
	Delay         time.Duration `json:"delay"`         // hold each event this long before its first attempt
}

// WebhookCounters count the sender's work since the sandbox was made or reset.
type WebhookCounters struct {
	EventsQueued     int `json:"eventsQueued"`     // events matched by a subscription
	EventsDropped    int `json:"eventsDropped"`    // by the DropRate fault
	EventsDuplicated int `json:"eventsDuplicated"` // by the DuplicateRate fault
	EventsDelivered  int `json:"eventsDelivered"`  // events in requests answered 2xx
	Attempts         int `json:"attempts"`         // requests sent
	Succeeded        int `json:"succeeded"`        // answered 2xx
	Failed           int `json:"failed"`           // any other answer, a timeout or no connection
	GaveUp           int `json:"gaveUp"`           // requests failed on their last attempt
}

// webhookEvent is one element of the JSON array HubSpot POSTs.
type webhookEvent struct {
	EventID            int64   `json:"eventId"`
	SubscriptionID     int64   `json:"subscriptionId"`
	PortalID           int64   `json:"portalId"`
	AppID              int64   `json:"appId"`
	OccurredAt         int64   `json:"occurredAt"` // ms since the epoch
	SubscriptionType   string  `json:"subscriptionType"`
	AttemptNumber      int     `json:"attemptNumber"` // 0 on the first attempt
	ObjectID           int64   `json:"objectId"`
	PropertyName       string  `json:"propertyName,omitempty"`
	PropertyValue      *string `json:"propertyValue,omitempty"`
	ChangeSource       string  `json:"changeSource"`
	SourceID           string  `json:"sourceId,omitempty"`
	ChangeFlag         string  `json:"changeFlag,omitempty"`
	PrimaryObjectID    int64   `json:"primaryObjectId,omitempty"`
	MergedObjectIDs    []int64 `json:"mergedObjectIds,omitempty"`
	NewObjectID        int64   `json:"newObjectId,omitempty"`
	FromObjectID       int64   `json:"fromObjectId,omitempty"`
	ToObjectID         int64   `json:"toObjectId,omitempty"`
	AssociationType    string  `json:"associationType,omitempty"`
	AssociationRemoved *bool   `json:"associationRemoved,omitempty"`
}

// changeFlags: "CREATED" is in HubSpot's sample creation payload; the others follow its
// pattern (unverified).
var changeFlags = map[string]string{ChangeCreation: "CREATED", ChangeDeletion: "DELETED",
	ChangeMerge: "MERGED", ChangeRestore: "RESTORED"}

func numID(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func toWebhookEvent(e ChangeEvent, portalID, appID int64, sub WebhookSubscription) webhookEvent {
	w := webhookEvent{EventID: e.EventID, SubscriptionID: sub.ID, PortalID: portalID, AppID: appID,
		OccurredAt: e.OccurredAt.UnixMilli(), SubscriptionType: sub.SubscriptionType, ObjectID: numID(e.ObjectID),
		ChangeSource: e.ChangeSource, SourceID: e.SourceID, ChangeFlag: changeFlags[e.Kind]}
	switch e.Kind {
	case ChangePropertyChange:
		v := e.PropertyValue
		w.PropertyName, w.PropertyValue = e.PropertyName, &v
	case ChangeMerge:
		w.PrimaryObjectID, w.NewObjectID = numID(e.PrimaryObjectID), numID(e.NewObjectID)
		for _, id := range e.MergedObjectIDs {
			w.MergedObjectIDs = append(w.MergedObjectIDs, numID(id))
		}
	case ChangeAssociationChange:
		removed := e.AssociationRemoved
		w.FromObjectID, w.ToObjectID, w.AssociationType, w.AssociationRemoved =
			numID(e.FromObjectID), numID(e.ToObjectID), e.AssociationType, &removed
	}
	return w
}

// webhookApp is one app's configuration and the portal it is installed in.
type webhookApp struct {
	cfg   WebhookConfig
	hubID int64
}

// pendingEvent is an event waiting for its first attempt.
type pendingEvent struct {
	ev  webhookEvent
	due time.Time // real time
}

// delivery is one request: a batch of one app's events and its attempt number.
type delivery struct {
	appID   int64
	events  []webhookEvent
	attempt int
	due     time.Time // real time of its next attempt
}

// webhookSender queues the events subscriptions match and sends them from one goroutine,
// one request at a time, started by the first SetWebhooks and stopped by Close. Its state
// sits behind the sandbox's lock; the HTTP requests are made without it.
type webhookSender struct {
	s        *Sandbox
	timeout  time.Duration
	scale    float64
	apps     map[int64]*webhookApp
	appIDs   []int64 // the keys of apps, ascending
	nextSub  int64
	faults   WebhookFaults
	counters WebhookCounters
	pending  map[int64][]pendingEvent // by app id
	retries  []*delivery

	wake    chan struct{}
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
	client  *http.Client
	once    sync.Once
	realNow func() time.Time
}

func newWebhookSender(s *Sandbox, opts Options) *webhookSender {
	w := &webhookSender{s: s, timeout: opts.WebhookTimeout, scale: opts.WebhookRetryScale,
		wake: make(chan struct{}, 1), done: make(chan struct{}), realNow: time.Now}
	if w.timeout <= 0 {
		w.timeout = defaultWebhookTimeout
	}
	if w.scale <= 0 {
		w.scale = 1
	}
	w.client = &http.Client{Timeout: w.timeout}
	w.resetLocked()
	return w
}

// resetLocked forgets every configuration, queued event, fault and counter.
func (w *webhookSender) resetLocked() {
	w.apps = map[int64]*webhookApp{}
	w.appIDs = nil
	w.nextSub = 0
	w.faults = WebhookFaults{}
	w.counters = WebhookCounters{}
	w.pending = map[int64][]pendingEvent{}
	w.retries = nil
}

// enqueueLocked hands a logged change to every subscription of the account's apps that
// matches it, applying the drop and duplicate faults.
func (w *webhookSender) enqueueLocked(hubID int64, e ChangeEvent) {
	queued := false
	for _, appID := range w.appIDs { // in a fixed order, so the fault dice replay
		app := w.apps[appID]
		if app.hubID != hubID {
			continue
		}
		for _, sub := range app.cfg.Subscriptions {
			if sub.SubscriptionType != e.subscriptionType() ||
				(e.Kind == ChangePropertyChange && sub.PropertyName != e.PropertyName) {
				continue
			}
			w.counters.EventsQueued++
			if w.faults.DropRate > 0 && w.s.rng.Float64() < w.faults.DropRate {
				w.counters.EventsDropped++
				continue
			}
			due := w.realNow().Add(w.faults.Delay)
			ev := toWebhookEvent(e, hubID, app.cfg.AppID, sub)
			w.pending[app.cfg.AppID] = append(w.pending[app.cfg.AppID], pendingEvent{ev: ev, due: due})
			if w.faults.DuplicateRate > 0 && w.s.rng.Float64() < w.faults.DuplicateRate {
				w.counters.EventsDuplicated++
				// A copy sent as a request of its own, after the original's.
				w.retries = append(w.retries, &delivery{appID: app.cfg.AppID, events: []webhookEvent{ev},
					due: due.Add(time.Millisecond)})
			}
			queued = true
		}
	}
	if queued {
		w.poke()
	}
}

func (w *webhookSender) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// takeDueLocked returns the requests due now (pending events cut into batches, then
// retries) and when the next one falls due (zero: nothing is waiting).
func (w *webhookSender) takeDueLocked(now time.Time) ([]*delivery, time.Time) {
	var out []*delivery
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	appIDs := make([]int64, 0, len(w.pending))
	for id := range w.pending {
		appIDs = append(appIDs, id)
	}
	slices.Sort(appIDs)
	for _, id := range appIDs {
		var due []webhookEvent
		var keep []pendingEvent
		for _, p := range w.pending[id] {
			if p.due.After(now) {
				keep = append(keep, p)
				later(p.due)
				continue
			}
			due = append(due, p.ev)
		}
		w.pending[id] = keep
		if w.faults.Reorder {
			w.s.rng.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
		}
		for len(due) > 0 {
			n := min(len(due), maxWebhookBatch)
			out = append(out, &delivery{appID: id, events: slices.Clone(due[:n])})
			due = due[n:]
		}
	}
	var waiting []*delivery
	for _, d := range w.retries {
		if d.due.After(now) {
			waiting = append(waiting, d)
			later(d.due)
			continue
		}
		out = append(out, d)
	}
	w.retries = waiting
	if w.faults.Reorder {
		w.s.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out, next
}

// startLocked starts the sending goroutine once.
func (w *webhookSender) startLocked() {
	if w.started || w.closed {
		return
	}
	w.started = true
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go w.run(ctx)
}

func (w *webhookSender) run(ctx context.Context) {
	defer close(w.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		w.s.mu.Lock()
		batch, next := w.takeDueLocked(w.realNow())
		w.s.mu.Unlock()
		for _, d := range batch {
			if ctx.Err() != nil {
				return
			}
			w.send(ctx, d)
		}
		if len(batch) > 0 {
			continue
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(w.realNow()), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// send makes one attempt of a delivery and, when it fails, schedules the next attempt.
func (w *webhookSender) send(ctx context.Context, d *delivery) {
	w.s.mu.Lock()
	app, ok := w.apps[d.appID]
	var cfg WebhookConfig
	if ok {
		cfg = app.cfg
		w.counters.Attempts++
	}
	w.s.mu.Unlock()
	if !ok {
		return // the app's webhooks were removed meanwhile
	}
	for i := range d.events {
		d.events[i].AttemptNumber = d.attempt
	}
	body, err := json.Marshal(d.events)
	if err != nil {
		panic("sandbox: encoding webhook events: " + err.Error()) // our own types: a bug
	}
	ok = w.post(ctx, cfg, body)

	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if ok {
		w.counters.Succeeded++
		w.counters.EventsDelivered += len(d.events)
		return
	}
	w.counters.Failed++
	if d.attempt+1 >= webhookAttempts {
		w.counters.GaveUp++
		return
	}
	wait := time.Duration(float64(webhookRetryDelays[d.attempt]) * w.scale)
	d.attempt++
	d.due = w.realNow().Add(wait)
	w.retries = append(w.retries, d)
}

// post sends one signed request and says whether the target answered 2xx in time.
func (w *webhookSender) post(ctx context.Context, cfg WebhookConfig, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.TargetURL, bytes.NewReader(body))
	if err != nil {
		return false
	}
	ts := strconv.FormatInt(w.s.now().UnixMilli(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "HubSpot Connect 2.0 (sandbox)")
	req.Header.Set("X-HubSpot-Request-Timestamp", ts)
	req.Header.Set("X-HubSpot-Signature-v3", signV3(cfg.ClientSecret, http.MethodPost, cfg.TargetURL, body, ts))
	req.Header.Set("X-HubSpot-Signature", signV1(cfg.ClientSecret, body))
	req.Header.Set("X-HubSpot-Signature-Version", "v1")
	resp, err := w.client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// signV3 is HubSpot's v3 request signature: base64 of the HMAC-SHA256, keyed with the app's
// client secret, of method + URI + body + timestamp
// (https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests).
func signV3(secret, method, uri string, body []byte, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(method + uri))
	mac.Write(body)
	mac.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// signV1 is the v1 signature webhooks also carry: hex SHA-256 of client secret + body
// (same page).
func signV1(secret string, body []byte) string {
	sum := sha256.Sum256(append([]byte(secret), body...))
	return hex.EncodeToString(sum[:])
}

// ErrNoWebhooks is returned when an app's tokens cannot receive webhooks (Service Keys).
var ErrNoWebhooks = errors.New("sandbox: Service Keys cannot receive webhooks")

// SetWebhooks sets an app's webhook target, client secret and subscriptions, replacing any
// earlier ones (no subscriptions: the app's webhooks are removed), and returns them with
// their subscription ids. The app is known by the AppID of its tokens; an app whose tokens
// are Service Keys is refused, as HubSpot gives Service Keys no webhooks
// (https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/service-keys).
// HubSpot requires an https target; the sandbox accepts http too, for loopback receivers.
func (s *Sandbox) SetWebhooks(cfg WebhookConfig) (WebhookConfig, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hubID int64
	for _, t := range s.tokens {
		if t.AppID != cfg.AppID {
			continue
		}
		if t.Kind == KindServiceKey {
			return WebhookConfig{}, fmt.Errorf("%w (app %d)", ErrNoWebhooks, cfg.AppID)
		}
		hubID = t.HubID
	}
	if hubID == 0 {
		return WebhookConfig{}, fmt.Errorf("sandbox: app %d has no token: %w", cfg.AppID, ErrNotFound)
	}
	w := s.webhooks
	if len(cfg.Subscriptions) == 0 {
		delete(w.apps, cfg.AppID)
		delete(w.pending, cfg.AppID)
		w.appIDs = slices.DeleteFunc(w.appIDs, func(id int64) bool { return id == cfg.AppID })
		return WebhookConfig{AppID: cfg.AppID}, nil
	}
	if u, err := url.Parse(cfg.TargetURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return WebhookConfig{}, fmt.Errorf("sandbox: target URL %q is not an absolute http(s) URL", cfg.TargetURL)
	}
	if cfg.ClientSecret == "" {
		return WebhookConfig{}, errors.New("sandbox: a client secret is required to sign webhooks")
	}
	subs := make([]WebhookSubscription, len(cfg.Subscriptions))
	for i, sub := range cfg.Subscriptions {
		if err := checkSubscription(sub); err != nil {
			return WebhookConfig{}, err
		}
		w.nextSub++
		sub.ID = w.nextSub
		subs[i] = sub
	}
	cfg.Subscriptions = subs
	if _, ok := w.apps[cfg.AppID]; !ok {
		w.appIDs = append(w.appIDs, cfg.AppID)
		slices.Sort(w.appIDs)
	}
	w.apps[cfg.AppID] = &webhookApp{cfg: cfg, hubID: hubID}
	w.startLocked()
	out := cfg
	out.Subscriptions = slices.Clone(subs)
	return out, nil
}

// checkSubscription accepts "<contact|company|deal>.<kind>"; a propertyChange must name its
// property, the others must not.
func checkSubscription(sub WebhookSubscription) error {
	object, kind, _ := strings.Cut(sub.SubscriptionType, ".")
	if (object != "contact" && object != "company" && object != "deal") || !slices.Contains(changeKinds, kind) {
		return fmt.Errorf("sandbox: unknown subscription type %q: want contact, company or deal, a dot, and one of %s",
			sub.SubscriptionType, strings.Join(changeKinds, ", "))
	}
	if (kind == ChangePropertyChange) != (sub.PropertyName != "") {
		return fmt.Errorf("sandbox: subscription %q: a propertyChange subscription, and only one, names a propertyName", sub.SubscriptionType)
	}
	return nil
}

// Webhooks returns an app's webhook settings (false when it has none).
func (s *Sandbox) Webhooks(appID int64) (WebhookConfig, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app, ok := s.webhooks.apps[appID]
	if !ok {
		return WebhookConfig{}, false
	}
	cfg := app.cfg
	cfg.Subscriptions = slices.Clone(cfg.Subscriptions)
	return cfg, true
}

// SetWebhookFaults replaces the delivery faults; the zero value turns them off. Rates are
// fractions between 0 and 1.
func (s *Sandbox) SetWebhookFaults(f WebhookFaults) error {
	if f.DropRate < 0 || f.DropRate > 1 || f.DuplicateRate < 0 || f.DuplicateRate > 1 || f.Delay < 0 {
		return errors.New("sandbox: webhook fault rates must be within [0, 1] and the delay not negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhooks.faults = f
	return nil
}

// WebhookCounters returns the sender's counters.
func (s *Sandbox) WebhookCounters() WebhookCounters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhooks.counters
}

// Close stops the webhook sender, abandoning what it has not sent, and waits for it. The
// sandbox keeps serving its API; webhooks are no longer sent.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	w := s.webhooks
	w.closed = true
	started := w.started
	s.mu.Unlock()
	if started {
		w.once.Do(w.cancel)
		<-w.done
	}
	return nil
}
