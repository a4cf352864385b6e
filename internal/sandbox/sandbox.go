package sandbox

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configure a Sandbox. The zero value is usable: real time, a fixed seed and
// HubSpot's default limits.
type Options struct {
	// Now returns the current time. Tests inject a fake clock to drive the rolling
	// window, the daily reset and outage windows deterministically.
	Now func() time.Time
	// Seed feeds every random choice (fault dice, jitter, batch result order, the order of
	// search results the sort ties, ids of tokens and correlation ids), so a run can be
	// replayed.
	Seed uint64
	// Limits overrides HubSpot's rate limits; zero fields keep the defaults.
	Limits Limits
	// Search overrides the search request limits; zero fields keep the defaults.
	Search SearchLimits
	// WebhookRetryScale multiplies the waits between webhook attempts (a minute to twelve
	// hours, webhooks.go), so a test need not wait a day: 1e-4 turns a minute into 6 ms.
	// Zero keeps them as they are.
	WebhookRetryScale float64
	// WebhookTimeout is how long the webhook sender waits for an answer; zero is HubSpot's
	// 5 seconds.
	WebhookTimeout time.Duration
	// SearchLag is how long a write takes to reach search: zero means DefaultSearchLag,
	// NoSearchLag makes search see every write at once. Reads by id, batch reads and
	// listings are never lagged.
	SearchLag time.Duration
}

// DefaultSearchLag is how long a write takes to reach search unless Options say
// otherwise. HubSpot indexes records for search asynchronously: its CRM search guide
// (https://developers.hubspot.com/docs/guides/api/crm/search) warns that new and updated
// records may take a few moments to appear in search results. A few seconds is enough for
// code that reads its own write through search to fail against the sandbox as it would
// against a portal, and short enough for a person trying the sandbox by hand.
const DefaultSearchLag = 3 * time.Second

// NoSearchLag, as Options.SearchLag, makes search see each write at once: for tests of
// search semantics rather than of timing.
const NoSearchLag time.Duration = -1

// effectiveSearchLag resolves Options.SearchLag: 0 is the default, negative is none.
func effectiveSearchLag(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultSearchLag
	case d < 0:
		return 0
	}
	return d
}

// SearchLimits are the limits HubSpot puts on one search request. They have changed
// over the years (3 groups of 3 filters at first, 5 groups of 10 and 25 in all after
// https://developers.hubspot.com/changelog/breaking-change-expanded-filtering-capabilities-and-error-messaging-in-hubspots-search-api,
// 5, 6 and 18 in today's docs), so they are configurable.
type SearchLimits struct {
	MaxFilterGroups     int // default 5
	MaxFiltersPerGroup  int // default 6
	MaxFiltersTotal     int // default 18
	MaxResultsPerQuery  int // default 10,000: paging at or past it is a 400
	MaxLimit            int // default 200
	MaxQueryStringChars int // default 3,000
}

func (l SearchLimits) withDefaults() SearchLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxFilterGroups, 5)
	def(&l.MaxFiltersPerGroup, 6)
	def(&l.MaxFiltersTotal, 18)
	def(&l.MaxResultsPerQuery, 10_000)
	def(&l.MaxLimit, 200)
	def(&l.MaxQueryStringChars, 3000)
	return l
}

// Sandbox is the emulated HubSpot. All state sits behind one lock: the emulator is
// small, and a single lock makes every request atomic, like one HubSpot write. Endpoints
// that only read (the properties lists) run under its read lock, so that concurrent reads
// are served concurrently, as HubSpot serves them.
type Sandbox struct {
	now    func() time.Time
	mux    *http.ServeMux
	search SearchLimits
	// searchLag is how long a write takes to reach search (0: at once).
	searchLag time.Duration

	mu        sync.RWMutex
	rng       *rand.Rand
	limits    Limits
	accounts  map[int64]*account
	tokens    map[string]*token
	nextHubID int64
	nextAppID int64
	nextUser  int64
	faults    []*activeFault
	nextFault int
	limiter   *rateLimiter
	counters  *counters
	// nextEventID numbers the change events of every account (events.go); webhooks sends
	// them to the apps that subscribe (webhooks.go).
	nextEventID int64
	webhooks    *webhookSender
}

// New returns an empty Sandbox: no accounts, no tokens. Use CreateAccount, CreateToken
// and SeedSampleData (or NewDemo) to populate it.
func New(opts Options) *Sandbox {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Sandbox{
		now:       now,
		search:    opts.Search.withDefaults(),
		searchLag: effectiveSearchLag(opts.SearchLag),
		limits:    opts.Limits,
	}
	s.webhooks = newWebhookSender(s, opts)
	s.resetLocked(opts.Seed)
	s.mux = s.routes()
	return s
}

// resetLocked wipes every account, token, fault, counter and limiter state, and the webhook
// settings and queues.
func (s *Sandbox) resetLocked(seed uint64) {
	s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.accounts = map[int64]*account{}
	s.tokens = map[string]*token{}
	s.nextHubID = 20_000_000
	s.nextAppID = 3_000_000
	s.nextUser = 50_000_000
	s.faults = nil
	s.nextFault = 1
	s.limiter = newRateLimiter()
	s.counters = newCounters()
	s.nextEventID = 0
	s.webhooks.resetLocked()
}

// Reset returns the sandbox to its freshly constructed state (keeping the clock and
// limits), reseeding its random source.
func (s *Sandbox) Reset(seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked(seed)
}

// uuidLocked makes a random (version 4) UUID from the seeded source.
func (s *Sandbox) uuidLocked() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()
	a = (a &^ (0xf << 12)) | (0x4 << 12)
	b = (b &^ (0x3 << 62)) | (0x2 << 62)
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// staticTokenLocked returns 32 bytes of the sandbox's random source, base64url-encoded
// without padding: the body of a static app token.
func (s *Sandbox) staticTokenLocked() string {
	b := make([]byte, 32)
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], s.rng.Uint64())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ServeHTTP serves both HubSpot's API and the /_sandbox/ admin API. Faults are applied
// first, so a faulted request never reaches the limiter or the data, except a "lost
// response" and a response delay, which are applied after the write.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		// The admin API is neither faulted nor counted: it is the test's own channel.
		s.mux.ServeHTTP(w, r)
		return
	}
	_, pattern := s.mux.Handler(r)
	endpoint := endpointLabel(r, pattern)

	s.mu.Lock()
	correlationID := s.uuidLocked()
	plan := s.planFaultLocked(r.Method, r.URL.Path)
	s.mu.Unlock()

	if plan.delay > 0 {
		select {
		case <-time.After(plan.delay):
		case <-r.Context().Done():
			return
		}
	}
	if plan.kind == faultReset {
		s.record(endpoint, 0, "connection_reset")
		dropConnection(w)
		return
	}
	if plan.status != 0 {
		s.record(endpoint, plan.status, plan.kind.String())
		rep := faultReply(plan.status, correlationID)
		rep.write(w, correlationID)
		return
	}

	buf := newBufferedResponse()
	r = r.WithContext(withCorrelationID(r.Context(), correlationID))
	s.mux.ServeHTTP(buf, r)
	if plan.afterDelay > 0 {
		select {
		case <-time.After(plan.afterDelay):
		case <-r.Context().Done(): // the client is gone; the write stays applied
		}
	}
	if plan.kind == faultLostResponse {
		s.record(endpoint, buf.status, "lost_response")
		dropConnection(w)
		return
	}
	s.record(endpoint, buf.status, "")
	buf.flushTo(w, correlationID)
}

func (s *Sandbox) record(endpoint string, status int, fault string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters.request(endpoint, status, fault)
}
