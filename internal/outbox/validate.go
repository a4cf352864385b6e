package outbox

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"

	"github.com/connectflo/integrations/internal/truncate"
)

// Limits of an event's fields. Each is checked before anything else is done with the event,
// so a caller learns at once what HubSpot (or a sane page of events) could not take. The
// body has no limit of its own: what counts is the engagement body HubSpot receives (see
// MaxEngagementBodyChars).
const (
	MaxTitleChars         = 500
	MaxPhoneChars         = 40 // E.164 numbers have at most 15 digits; room for "+", spaces and an extension
	MaxURLChars           = 2048
	MaxMetadataEntries    = 50
	MaxMetadataKeyChars   = 100
	MaxMetadataValueChars = 2000
	MaxCallDuration       = 24 * time.Hour
	// MaxOccurAhead is how far in the future occur_time may be: a conversation has happened,
	// so only clock skew between the caller and us can put it ahead.
	MaxOccurAhead = 24 * time.Hour
)

// MinOccurTime is the earliest occur_time accepted: nothing ConnectFlo logs happened before.
var MinOccurTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxEngagementBodyChars is HubSpot's limit on the engagement body (hs_note_body, hs_call_body,
// hs_communication_body are string properties): the composed body (title line, body, link,
// metadata lines, HTML escaping and the marker) must fit in it.
const MaxEngagementBodyChars = fields.MaxStringLength

// eventIDChars is the length of an event id (newEventID): the marker in a body composed
// before the id exists takes as many characters as the real one.
const eventIDChars = 24

func invalidf(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// tooLong checks a text field's length in characters.
func tooLong(field, value string, limit int, hint string) error {
	if n := utf8.RuneCountInString(value); n > limit {
		return invalidf(field, "is %d characters long; at most %d are allowed%s", n, limit, hint)
	}
	return nil
}

// validate checks everything that would make HubSpot reject the event for good, so a caller
// learns it at once instead of from a FAILED event later, and puts the contact's email in
// HubSpot's form (fields.NormalizeEmail). now places occurred_at.
func (e *Event) validate(now time.Time) error {
	switch {
	case e.Workspace == "":
		return invalidf("workspace", "is required")
	case e.Connection == "":
		return invalidf("connection", "is required")
	}
	if e.Kind == "" {
		return invalidf("kind", "is required: CALL, SMS, WHATSAPP, CHAT, EMAIL or NOTE")
	}
	if _, ok := engagementOf(e.Kind); !ok {
		return invalidf("kind", "%q is not one of CALL, SMS, WHATSAPP, CHAT, EMAIL, NOTE", e.Kind)
	}
	if e.ContactID == "" && e.ContactEmail == "" {
		return invalidf("contact", "is required: the contact's HubSpot id or email")
	}
	if e.ContactID != "" && !hubspot.ValidObjectID(e.ContactID) {
		return invalidf("contact.id", "is not a HubSpot contact id (a number of at most %d digits); to use an email set contact.email", hubspot.MaxObjectIDDigits)
	}
	if e.ContactEmail != "" {
		email, err := fields.NormalizeEmail(e.ContactEmail)
		var ve *fields.ValueError
		if errors.As(err, &ve) {
			return invalidf("contact.email", "%s", ve.Message)
		}
		e.ContactEmail = email
	}
	if e.CreateContactIfMissing && e.ContactEmail == "" {
		return invalidf("create_contact_if_missing", "needs contact.email: a contact can only be created from an email")
	}
	if err := checkOccurTime(e.OccurredAt, now); err != nil {
		return err
	}
	if e.Direction != "" && e.Direction != DirectionInbound && e.Direction != DirectionOutbound {
		return invalidf("direction", "%q is not INBOUND or OUTBOUND", e.Direction)
	}
	if e.Duration < 0 || e.Duration > MaxCallDuration {
		return invalidf("duration", "must be from 0 to %s", MaxCallDuration)
	}
	for _, err := range []error{
		tooLong("title", e.Title, MaxTitleChars, ""),
		tooLong("from_number", e.FromNumber, MaxPhoneChars, " in a phone number"),
		tooLong("to_number", e.ToNumber, MaxPhoneChars, " in a phone number"),
		checkURL("recording_url", e.RecordingURL, "https"),
		checkURL("conversation_url", e.ConversationURL, "https", "http"),
		checkMetadata(e.Metadata),
	} {
		if err != nil {
			return err
		}
	}
	return checkComposedBody(e)
}

// checkOccurTime keeps an event's place on the timeline within MinOccurTime and now plus
// MaxOccurAhead.
func checkOccurTime(t, now time.Time) error {
	switch {
	case t.IsZero():
		return invalidf("occur_time", "is required: when the conversation happened (its place on the timeline)")
	case t.Before(MinOccurTime) || t.After(now.Add(MaxOccurAhead)):
		return invalidf("occur_time", "%s is out of range: it must be from %s to %s after now (when the conversation happened)",
			t.UTC().Format(time.RFC3339), MinOccurTime.Format(time.RFC3339), MaxOccurAhead)
	}
	return nil
}

// checkURL checks an optional absolute URL of one of schemes, at most MaxURLChars long.
func checkURL(field, raw string, schemes ...string) error {
	if raw == "" {
		return nil
	}
	if err := tooLong(field, raw, MaxURLChars, " in a URL"); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !slices.Contains(schemes, u.Scheme) {
		if len(schemes) == 1 {
			return invalidf(field, "HubSpot requires an absolute %s URL", strings.ToUpper(schemes[0]))
		}
		return invalidf(field, "must be an absolute http(s) URL")
	}
	return nil
}

// checkMetadata bounds the metadata shown in the engagement body.
func checkMetadata(m map[string]string) error {
	if len(m) > MaxMetadataEntries {
		return invalidf("metadata", "has %d entries; at most %d are allowed", len(m), MaxMetadataEntries)
	}
	for _, k := range sortedKeys(m) {
		switch {
		case k == "":
			return invalidf("metadata", "has an empty key")
		case utf8.RuneCountInString(k) > MaxMetadataKeyChars:
			return invalidf("metadata", "key %q is longer than %d characters", truncate.Text(k, 40), MaxMetadataKeyChars)
		case utf8.RuneCountInString(m[k]) > MaxMetadataValueChars:
			return invalidf("metadata."+k, "is %d characters long; at most %d are allowed (put long text in the body)",
				utf8.RuneCountInString(m[k]), MaxMetadataValueChars)
		}
	}
	return nil
}

// checkComposedBody refuses an event whose engagement body, as it will be sent, is over
// HubSpot's limit. It composes the body with a marker of the real length, so what passes
// here is exactly what delivery sends.
func checkComposedBody(e *Event) error {
	probe := *e
	probe.ID = strings.Repeat("0", eventIDChars)
	props := engagementProperties(&probe)
	t, _ := engagementOf(e.Kind)
	if n := utf8.RuneCountInString(props[bodyProperty(t)]); n > MaxEngagementBodyChars {
		return invalidf("body", "the engagement body HubSpot would receive (title, body, conversation link and metadata, "+
			"HTML-escaped, and a reference) is %d characters; HubSpot allows %d: shorten the body (summarise the transcript) or the metadata",
			n, MaxEngagementBodyChars)
	}
	return nil
}
