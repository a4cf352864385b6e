package changes

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
)

// WebhookStore is what the webhook endpoint reads and writes.
type WebhookStore interface {
	ConnectionsOfHub(ctx context.Context, hubID int64) ([]store.Connection, error)
	GetChangeSettings(ctx context.Context, uid string) (store.ChangeSettings, error)
	AddToInbox(ctx context.Context, events []store.InboxEvent) error
	CountWebhookRefused(ctx context.Context, uids []string) error
}

// Reasons a webhook request is refused, the label of the refusals counter.
const (
	RefusedTooLarge       = "too_large"
	RefusedMalformed      = "malformed"
	RefusedMissingHeaders = "missing_headers"
	RefusedStaleTimestamp = "stale_timestamp"
	RefusedUnknownPortal  = "unknown_portal"
	RefusedBadSignature   = "bad_signature"
)

// WebhookHandler is HubSpot's webhook endpoint: POST WebhookPath, no API key, HubSpot's v3
// signature instead. It answers 204 once the events are stored durably (in the inbox), and
// 4xx without storing anything when the request is refused: 413 for a body over
// MaxWebhookBody, 400 for one that is not a JSON array of events, 401 for missing signature
// headers, a timestamp more than MaxClockSkew away, or a signature that verifies with no
// connection's secret (also when no connection has the portal: the answer does not tell
// which portals exist; the counter does). Nothing secret is logged.
type WebhookHandler struct {
	Store   WebhookStore
	KeyRing *secrets.KeyRing
	// PublicURL is the server's public base URL ("" to use the request's Host).
	PublicURL string
	// TLS says whether the listener serves TLS (the scheme of a URL built from Host).
	TLS     bool
	Kick    func() // called after events were stored
	Logger  *slog.Logger
	Metrics *WebhookMetrics
	Now     func() time.Time
}

// WebhookMetrics count webhook requests.
type WebhookMetrics struct {
	accepted prometheus.Counter
	refused  *prometheus.CounterVec
	skipped  prometheus.Counter
}

// NewWebhookMetrics registers the webhook counters with reg.
func NewWebhookMetrics(reg prometheus.Registerer) *WebhookMetrics {
	m := &WebhookMetrics{
		accepted: prometheus.NewCounter(prometheus.CounterOpts{Name: "integrations_webhooks_accepted_total",
			Help: "HubSpot webhook requests accepted (their events stored)."}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "integrations_webhooks_refused_total",
			Help: "HubSpot webhook requests refused, by reason."}, []string{"reason"}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "integrations_webhook_events_skipped_total",
			Help: "Events of accepted HubSpot webhook requests of a type or object the service does not keep."}),
	}
	reg.MustRegister(m.accepted, m.refused, m.skipped)
	return m
}

func (h *WebhookHandler) refuse(w http.ResponseWriter, code int, reason, msg string) {
	h.Metrics.refused.WithLabelValues(reason).Inc()
	http.Error(w, msg, code)
}

// ServeHTTP handles one webhook request.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > MaxWebhookBody {
		h.refuse(w, http.StatusRequestEntityTooLarge, RefusedTooLarge, "body over the limit")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		h.refuse(w, http.StatusRequestEntityTooLarge, RefusedTooLarge, "body over the limit")
		return
	}
	if err != nil {
		http.Error(w, "could not read the body", http.StatusBadRequest)
		return
	}
	signature, timestamp := r.Header.Get(SignatureHeader), r.Header.Get(TimestampHeader)
	if signature == "" || timestamp == "" {
		h.refuse(w, http.StatusUnauthorized, RefusedMissingHeaders, "missing signature headers")
		return
	}
	if err := CheckTimestamp(timestamp, h.Now()); err != nil {
		h.refuse(w, http.StatusUnauthorized, RefusedStaleTimestamp, "request timestamp too old, in the future or unreadable")
		return
	}
	events, raws, err := ParseEvents(body)
	if err != nil {
		h.refuse(w, http.StatusBadRequest, RefusedMalformed, "the body is not a JSON array of HubSpot webhook events")
		return
	}
	uri := h.requestURL(r)
	ctx := r.Context()
	var accepted []store.InboxEvent
	var refusedBy []string
	candidates := 0
	now := h.Now()
	for portal, idx := range byPortal(events) {
		conns, err := h.Store.ConnectionsOfHub(ctx, portal)
		if err != nil {
			h.Logger.ErrorContext(ctx, "webhook: read the connections of a portal", "portal", portal, "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		for _, c := range conns {
			secret := h.secretOf(ctx, c)
			if secret == nil {
				continue
			}
			candidates++
			if !Verify(secret, r.Method, uri, body, timestamp, signature) {
				refusedBy = append(refusedBy, c.UID)
				continue
			}
			for _, i := range idx {
				// A connection that knows its app takes only that app's events.
				if app, err := events[i].AppID.Int64(); err == nil && c.AppID != 0 && app != 0 && app != c.AppID {
					continue
				}
				accepted = append(accepted, store.InboxEvent{ConnectionUID: c.UID, Event: raws[i], Received: now})
			}
		}
	}
	if len(accepted) == 0 {
		reason := RefusedBadSignature
		if candidates == 0 {
			reason = RefusedUnknownPortal
		}
		if err := h.Store.CountWebhookRefused(ctx, refusedBy); err != nil {
			h.Logger.WarnContext(ctx, "webhook: count a refusal", "err", err)
		}
		h.refuse(w, http.StatusUnauthorized, reason, "the signature does not verify")
		return
	}
	if err := h.Store.AddToInbox(ctx, accepted); err != nil {
		h.Logger.ErrorContext(ctx, "webhook: store events", "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable) // HubSpot retries
		return
	}
	h.Metrics.accepted.Inc()
	for _, e := range events {
		if _, ok := e.Detect(0); !ok {
			h.Metrics.skipped.Inc()
		}
	}
	if h.Kick != nil {
		h.Kick()
	}
	w.WriteHeader(http.StatusNoContent)
}

// requestURL is the URL HubSpot called, as it signed it.
func (h *WebhookHandler) requestURL(r *http.Request) string {
	if h.PublicURL != "" {
		return strings.TrimRight(h.PublicURL, "/") + r.URL.RequestURI()
	}
	scheme := "http"
	if h.TLS {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// secretOf is a connection's webhook secret, nil when it has none or it cannot be opened.
func (h *WebhookHandler) secretOf(ctx context.Context, c store.Connection) []byte {
	st, err := h.Store.GetChangeSettings(ctx, c.UID)
	if err != nil || len(st.SecretCiphertext) == 0 {
		return nil
	}
	secret, err := OpenSecret(h.KeyRing, c.UID, st.SecretKeyID, st.SecretCiphertext)
	if err != nil {
		h.Logger.WarnContext(ctx, "webhook: a connection's webhook secret cannot be decrypted", "connection", c.Workspace+"/"+c.ID)
		return nil
	}
	return secret
}

// byPortal groups event indexes by portal id.
func byPortal(events []Event) map[int64][]int {
	out := map[int64][]int{}
	for i, e := range events {
		p, _ := e.PortalID.Int64() // checked by ParseEvents
		out[p] = append(out[p], i)
	}
	return out
}
