package outbox

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is what kind of conversation an event logs; it decides the engagement type.
type Kind string

// Kinds of conversation. CALL becomes a call; SMS and WHATSAPP a communication; CHAT, EMAIL
// and NOTE a note.
const (
	KindCall     Kind = "CALL"
	KindSMS      Kind = "SMS"
	KindWhatsApp Kind = "WHATSAPP"
	KindChat     Kind = "CHAT"
	KindEmail    Kind = "EMAIL"
	KindNote     Kind = "NOTE"
)

// Status is where an event is in its delivery.
type Status string

// Statuses. QUEUED events are retried until they are DELIVERED or FAILED; an event held
// because the daily budget is spent or scopes are missing stays QUEUED.
const (
	StatusQueued    Status = "QUEUED"
	StatusDelivered Status = "DELIVERED"
	StatusFailed    Status = "FAILED"
)

// Direction of a call, from the HubSpot user's point of view.
type Direction string

// Call directions.
const (
	DirectionInbound  Direction = "INBOUND"
	DirectionOutbound Direction = "OUTBOUND"
)

// Event is one conversation to log on a contact's HubSpot timeline.
type Event struct {
	// Set by the caller.
	Workspace  string
	Connection string // connection id within the workspace
	RequestID  string // idempotency key: the same (connection, request id) enqueues once
	Kind       Kind
	// The contact: by HubSpot id, or by email (ContactID wins when both are given).
	ContactID    string
	ContactEmail string
	// CreateContactIfMissing creates a contact with ContactEmail and ContactProperties
	// (already normalised against the field schema) when none exists.
	CreateContactIfMissing bool
	ContactProperties      map[string]string
	OccurredAt             time.Time // the timeline position (hs_timestamp)
	Title                  string
	Body                   string
	Direction              Direction     // calls
	Duration               time.Duration // calls
	FromNumber, ToNumber   string        // calls
	RecordingURL           string        // calls; must be HTTPS
	ConversationURL        string        // link back to the ConnectFlo conversation
	Metadata               map[string]string

	// Output only.
	ID                string
	Status            Status
	Attempts          int
	LastError         string
	HubSpotObjectType string // notes, calls or communications
	HubSpotObjectID   string
	HubSpotContactID  string
	CreateTime        time.Time
	DeliverTime       time.Time // when DELIVERED or FAILED
}

// Errors returned by the outbox's API.
var (
	// ErrInvalidEvent wraps a *ValidationError: the event can never be delivered.
	ErrInvalidEvent = errors.New("outbox: invalid event")
	// ErrNotFound: no such event, or no such connection.
	ErrNotFound = errors.New("outbox: not found")
	// ErrClosed: the outbox is shutting down and accepts nothing new.
	ErrClosed = errors.New("outbox: closed")
)

// ValidationError names the field of an Event that is wrong.
type ValidationError struct {
	Field  string // e.g. "recording_url"
	Reason string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("outbox: invalid event: %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidEvent) work.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidEvent }

// Field limits. HubSpot caps a note body at 65,536 characters; the composed body adds a
// header, metadata and the marker, so the caller's parts get less.
const (
	maxBodyChars     = 50_000
	maxTitleChars    = 500
	maxMetadataItems = 50
)

func invalidf(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// validate checks everything that would make HubSpot reject the event for good, so a
// caller learns it at once instead of from a FAILED event later.
func (e *Event) validate() error {
	switch {
	case e.Workspace == "":
		return invalidf("workspace", "is required")
	case e.Connection == "":
		return invalidf("connection", "is required")
	}
	if _, ok := engagementOf(e.Kind); !ok {
		return invalidf("kind", "%q is not one of CALL, SMS, WHATSAPP, CHAT, EMAIL, NOTE", e.Kind)
	}
	if e.ContactID == "" && e.ContactEmail == "" {
		return invalidf("contact", "a HubSpot contact id or an email is required")
	}
	if e.ContactID != "" && strings.Trim(e.ContactID, "0123456789") != "" {
		return invalidf("contact.id", "HubSpot record ids are numeric")
	}
	if e.ContactID == "" && !strings.Contains(e.ContactEmail, "@") {
		return invalidf("contact.email", "%q is not an email address", e.ContactEmail)
	}
	if e.CreateContactIfMissing && e.ContactEmail == "" {
		return invalidf("create_contact_if_missing", "needs contact.email to create the contact with")
	}
	if e.OccurredAt.IsZero() {
		return invalidf("occurred_at", "is required")
	}
	if utf8.RuneCountInString(e.Body) > maxBodyChars {
		return invalidf("body", "is longer than %d characters", maxBodyChars)
	}
	if utf8.RuneCountInString(e.Title) > maxTitleChars {
		return invalidf("title", "is longer than %d characters", maxTitleChars)
	}
	if len(e.Metadata) > maxMetadataItems {
		return invalidf("metadata", "has more than %d entries", maxMetadataItems)
	}
	if e.Direction != "" && e.Direction != DirectionInbound && e.Direction != DirectionOutbound {
		return invalidf("direction", "%q is not INBOUND or OUTBOUND", e.Direction)
	}
	if e.Duration < 0 {
		return invalidf("duration", "is negative")
	}
	if e.RecordingURL != "" {
		if u, err := url.Parse(e.RecordingURL); err != nil || u.Scheme != "https" || u.Host == "" {
			return invalidf("recording_url", "HubSpot requires an absolute HTTPS URL")
		}
	}
	if e.ConversationURL != "" {
		if u, err := url.Parse(e.ConversationURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalidf("conversation_url", "must be an absolute http(s) URL")
		}
	}
	return nil
}

// payload is the part of an Event kept as JSON in the outbox row.
type payload struct {
	ContactID              string            `json:"contact_id,omitempty"`
	ContactEmail           string            `json:"contact_email,omitempty"`
	CreateContactIfMissing bool              `json:"create_contact_if_missing,omitempty"`
	ContactProperties      map[string]string `json:"contact_properties,omitempty"`
	OccurredAtMs           int64             `json:"occurred_at_ms"`
	Title                  string            `json:"title,omitempty"`
	Body                   string            `json:"body,omitempty"`
	Direction              Direction         `json:"direction,omitempty"`
	DurationMs             int64             `json:"duration_ms,omitempty"`
	FromNumber             string            `json:"from_number,omitempty"`
	ToNumber               string            `json:"to_number,omitempty"`
	RecordingURL           string            `json:"recording_url,omitempty"`
	ConversationURL        string            `json:"conversation_url,omitempty"`
	Metadata               map[string]string `json:"metadata,omitempty"`
}

func payloadOf(e *Event) payload {
	return payload{
		ContactID: e.ContactID, ContactEmail: strings.ToLower(strings.TrimSpace(e.ContactEmail)),
		CreateContactIfMissing: e.CreateContactIfMissing, ContactProperties: e.ContactProperties,
		OccurredAtMs: e.OccurredAt.UnixMilli(), Title: e.Title, Body: e.Body, Direction: e.Direction,
		DurationMs: e.Duration.Milliseconds(), FromNumber: e.FromNumber, ToNumber: e.ToNumber,
		RecordingURL: e.RecordingURL, ConversationURL: e.ConversationURL, Metadata: e.Metadata,
	}
}

func (p payload) applyTo(e *Event) {
	e.ContactID, e.ContactEmail = p.ContactID, p.ContactEmail
	e.CreateContactIfMissing, e.ContactProperties = p.CreateContactIfMissing, p.ContactProperties
	e.OccurredAt = time.UnixMilli(p.OccurredAtMs).UTC()
	e.Title, e.Body, e.Direction = p.Title, p.Body, p.Direction
	e.Duration = time.Duration(p.DurationMs) * time.Millisecond
	e.FromNumber, e.ToNumber, e.RecordingURL = p.FromNumber, p.ToNumber, p.RecordingURL
	e.ConversationURL, e.Metadata = p.ConversationURL, p.Metadata
}
