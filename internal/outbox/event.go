package outbox

import (
	"errors"
	"fmt"
	"time"
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
	// ErrQueueFull: see QueueFullError.
	ErrQueueFull = errors.New("outbox: queue full")
)

// QueueFullError: the connection already has Limit events waiting for delivery (Config.MaxQueued).
// errors.Is(err, ErrQueueFull) matches it.
type QueueFullError struct {
	Workspace, Connection string
	Limit                 int
}

func (e *QueueFullError) Error() string {
	return fmt.Sprintf("outbox: connection %s of workspace %s already has %d events waiting for delivery", e.Connection, e.Workspace, e.Limit)
}

// Is makes errors.Is(err, ErrQueueFull) work.
func (e *QueueFullError) Is(target error) bool { return target == ErrQueueFull }

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
		ContactID: e.ContactID, ContactEmail: e.ContactEmail, // normalised by validate
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
