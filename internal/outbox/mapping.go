package outbox

import (
	"html"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
)

// engagementOf maps a conversation kind to the engagement that carries it: private apps
// cannot create custom timeline events (https://developers.hubspot.com/docs/api/private-apps),
// so activities are engagement objects (notes, calls, communications).
func engagementOf(k Kind) (hubspot.EngagementType, bool) {
	switch k {
	case KindCall:
		return hubspot.EngagementCall, true
	case KindSMS, KindWhatsApp:
		return hubspot.EngagementCommunication, true
	case KindChat, KindEmail, KindNote:
		return hubspot.EngagementNote, true
	}
	return "", false
}

// bodyProperty is the engagement property that carries the readable body and the marker.
func bodyProperty(t hubspot.EngagementType) string {
	switch t {
	case hubspot.EngagementCall:
		return "hs_call_body"
	case hubspot.EngagementCommunication:
		return "hs_communication_body"
	}
	return "hs_note_body"
}

// markerOf is the token written into every engagement an event creates. It is what the
// at-most-once check looks for: event ids are 96 random bits, so a marker found in HubSpot
// can only have come from this event.
func markerOf(eventID string) string { return "cf-evt-" + eventID }

// hubspotTime formats an instant as HubSpot's datetime input (ISO 8601, UTC, millis).
func hubspotTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// engagementProperties builds the engagement's properties for an event.
func engagementProperties(e *Event) map[string]string {
	t, _ := engagementOf(e.Kind)
	props := map[string]string{"hs_timestamp": hubspotTime(e.OccurredAt)}
	switch t {
	case hubspot.EngagementCall:
		props["hs_call_title"] = firstNonEmpty(e.Title, "Call")
		props["hs_call_body"] = htmlBody(e, false)
		props["hs_call_status"] = "COMPLETED"
		props["hs_call_duration"] = strconv.FormatInt(e.Duration.Milliseconds(), 10)
		setIf(props, "hs_call_direction", string(e.Direction))
		setIf(props, "hs_call_from_number", e.FromNumber)
		setIf(props, "hs_call_to_number", e.ToNumber)
		setIf(props, "hs_call_recording_url", e.RecordingURL)
	case hubspot.EngagementCommunication:
		props["hs_communication_channel_type"] = map[Kind]string{KindSMS: "SMS", KindWhatsApp: "WHATS_APP"}[e.Kind]
		props["hs_communication_logged_from"] = "CRM" // HubSpot requires exactly this
		props["hs_communication_body"] = textBody(e)
	default:
		props["hs_note_body"] = htmlBody(e, true)
	}
	return props
}

var kindLabels = map[Kind]string{KindCall: "Call", KindSMS: "SMS", KindWhatsApp: "WhatsApp",
	KindChat: "Chat", KindEmail: "Email", KindNote: "Note"}

// htmlBody is the readable body of notes and calls (both HTML fields): a title line for
// notes (calls have their own title), the summary, the link back, the metadata and the marker.
func htmlBody(e *Event, withTitle bool) string {
	var b strings.Builder
	if withTitle {
		title := kindLabels[e.Kind] + " conversation"
		if e.Title != "" {
			title = kindLabels[e.Kind] + ": " + e.Title
		}
		b.WriteString("<p><strong>" + html.EscapeString(title) + "</strong></p>")
	}
	if e.Body != "" {
		b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(e.Body), "\n", "<br>") + "</p>")
	}
	if e.ConversationURL != "" {
		b.WriteString(`<p><a href="` + html.EscapeString(e.ConversationURL) + `">Open the conversation in ConnectFlo</a></p>`)
	}
	if lines := metadataLines(e.Metadata); len(lines) > 0 {
		for i, l := range lines {
			lines[i] = html.EscapeString(l)
		}
		b.WriteString("<p>" + strings.Join(lines, "<br>") + "</p>")
	}
	b.WriteString("<p>ConnectFlo ref " + markerOf(e.ID) + "</p>")
	return b.String()
}

// textBody is the plain-text body of communications (a textarea field).
func textBody(e *Event) string {
	parts := []string{}
	if e.Title != "" {
		parts = append(parts, e.Title)
	}
	if e.Body != "" {
		parts = append(parts, e.Body)
	}
	if e.ConversationURL != "" {
		parts = append(parts, "Conversation: "+e.ConversationURL)
	}
	if lines := metadataLines(e.Metadata); len(lines) > 0 {
		parts = append(parts, strings.Join(lines, "\n"))
	}
	parts = append(parts, "ConnectFlo ref "+markerOf(e.ID))
	return strings.Join(parts, "\n\n")
}

func metadataLines(m map[string]string) []string {
	lines := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		lines = append(lines, k+": "+m[k])
	}
	return lines
}

// sortedKeys returns m's keys in order: the body lists metadata the same way every time.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func setIf(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
