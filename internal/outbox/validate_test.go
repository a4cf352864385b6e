package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// validationNow is the clock of the validation tests.
var validationNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// manyMetadata returns n entries with values of valueChars characters each.
func manyMetadata(n, valueChars int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("k%02d", i)] = strings.Repeat("v", valueChars)
	}
	return m
}

func TestValidateBoundsEveryField(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name  string
		edit  func(*Event)
		field string // "" when the event is valid
	}{
		{"valid note", func(*Event) {}, ""},
		{"unknown kind", func(ev *Event) { ev.Kind = "FAX" }, "kind"},
		{"no kind", func(ev *Event) { ev.Kind = "" }, "kind"},
		{"email", func(ev *Event) { ev.ContactID, ev.ContactEmail = "", "ada@example.com" }, ""},
		{"email of a domain without a dot", func(ev *Event) { ev.ContactID, ev.ContactEmail = "", "ada@localhost" }, "contact.email"},
		{"email with a display name", func(ev *Event) { ev.ContactID, ev.ContactEmail = "", "Ada <ada@example.com>" }, "contact.email"},
		{"two at signs", func(ev *Event) { ev.ContactID, ev.ContactEmail = "", "ada@b@example.com" }, "contact.email"},
		{"no contact", func(ev *Event) { ev.ContactID = "" }, "contact"},
		{"non-numeric id", func(ev *Event) { ev.ContactID = "abc" }, "contact.id"},
		{"id of 19 digits", func(ev *Event) { ev.ContactID = strings.Repeat("9", 19) }, ""},
		{"id of 20 digits", func(ev *Event) { ev.ContactID = strings.Repeat("9", 20) }, "contact.id"},
		{"create without email", func(ev *Event) { ev.CreateContactIfMissing = true }, "create_contact_if_missing"},
		{"no time", func(ev *Event) { ev.OccurredAt = time.Time{} }, "occur_time"},
		{"time at the earliest", func(ev *Event) { ev.OccurredAt = MinOccurTime }, ""},
		{"time before 2000", func(ev *Event) { ev.OccurredAt = MinOccurTime.Add(-time.Millisecond) }, "occur_time"},
		{"time a day ahead", func(ev *Event) { ev.OccurredAt = validationNow.Add(MaxOccurAhead) }, ""},
		{"time further ahead", func(ev *Event) { ev.OccurredAt = validationNow.Add(MaxOccurAhead + time.Second) }, "occur_time"},
		{"year 9999", func(ev *Event) { ev.OccurredAt = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) }, "occur_time"},
		{"bad direction", func(ev *Event) { ev.Direction = "SIDEWAYS" }, "direction"},
		{"negative duration", func(ev *Event) { ev.Kind, ev.Duration = KindCall, -time.Second }, "duration"},
		{"duration of a day", func(ev *Event) { ev.Kind, ev.Duration = KindCall, MaxCallDuration }, ""},
		{"duration over a day", func(ev *Event) { ev.Kind, ev.Duration = KindCall, MaxCallDuration+time.Millisecond }, "duration"},
		{"title at the limit", func(ev *Event) { ev.Title = x(MaxTitleChars) }, ""},
		{"title over the limit", func(ev *Event) { ev.Title = x(MaxTitleChars + 1) }, "title"},
		{"title limit in characters", func(ev *Event) { ev.Title = strings.Repeat("é", MaxTitleChars) }, ""},
		{"from number over the limit", func(ev *Event) { ev.Kind, ev.FromNumber = KindCall, x(MaxPhoneChars+1) }, "from_number"},
		{"to number over the limit", func(ev *Event) { ev.Kind, ev.ToNumber = KindSMS, x(MaxPhoneChars+1) }, "to_number"},
		{"phone number at the limit", func(ev *Event) { ev.Kind, ev.ToNumber = KindCall, x(MaxPhoneChars) }, ""},
		{"http recording", func(ev *Event) { ev.Kind, ev.RecordingURL = KindCall, "http://rec.example.com/1.mp3" }, "recording_url"},
		{"recording url over the limit", func(ev *Event) {
			ev.Kind, ev.RecordingURL = KindCall, "https://rec.example.com/"+x(MaxURLChars)
		}, "recording_url"},
		{"conversation url at the limit", func(ev *Event) {
			ev.ConversationURL = "https://app.example.com/" + x(MaxURLChars-len("https://app.example.com/"))
		}, ""},
		{"conversation url over the limit", func(ev *Event) {
			ev.ConversationURL = "https://app.example.com/" + x(MaxURLChars)
		}, "conversation_url"},
		{"relative conversation url", func(ev *Event) { ev.ConversationURL = "/c/1" }, "conversation_url"},
		{"metadata entries at the limit", func(ev *Event) { ev.Metadata = manyMetadata(MaxMetadataEntries, 10) }, ""},
		{"too many metadata entries", func(ev *Event) { ev.Metadata = manyMetadata(MaxMetadataEntries+1, 1) }, "metadata"},
		{"empty metadata key", func(ev *Event) { ev.Metadata = map[string]string{"": "v"} }, "metadata"},
		{"metadata key over the limit", func(ev *Event) { ev.Metadata = map[string]string{x(MaxMetadataKeyChars + 1): "v"} }, "metadata"},
		{"metadata value over the limit", func(ev *Event) {
			ev.Metadata = map[string]string{"transcript": x(MaxMetadataValueChars + 1)}
		}, "metadata.transcript"},
		{"review's 3.8 MB metadata value", func(ev *Event) { ev.Metadata = map[string]string{"blob": x(3_800_000)} }, "metadata.blob"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := note("1", 1)
			tc.edit(&ev)
			err := ev.validate(validationNow)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("validate = %v, want the event accepted", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("validate = %v, want a ValidationError on %s", err, tc.field)
			}
			if ve.Field != tc.field {
				t.Errorf("violation on %s, want %s: %v", ve.Field, tc.field, err)
			}
		})
	}
}

// composedLength is the length, in characters, of the body delivery would send.
func composedLength(t *testing.T, ev Event) int {
	t.Helper()
	ev.ID = strings.Repeat("a", eventIDChars)
	if got := newEventID(); len(got) != eventIDChars {
		t.Fatalf("event ids are %d characters, eventIDChars says %d", len(got), eventIDChars)
	}
	typ, _ := engagementOf(ev.Kind)
	return utf8.RuneCountInString(engagementProperties(&ev)[bodyProperty(typ)])
}

// The composed body (what HubSpot receives) is the one limit on the body: a body that fits
// alone but not once composed is refused here, and one that fits composed is accepted, for
// every engagement type.
func TestValidateComposedBodyIsHubSpotsLimit(t *testing.T) {
	for _, kind := range []Kind{KindNote, KindCall, KindSMS} {
		t.Run(string(kind), func(t *testing.T) {
			ev := note("1", 1)
			ev.Kind, ev.Title, ev.ConversationURL = kind, "Support call", "https://app.example.com/c/1"
			ev.Metadata = map[string]string{"agent": "Ada", "queue": "billing"}
			ev.Body = ""
			overhead := composedLength(t, ev)
			// The largest plain body that fits once composed (a body adds a fixed wrapper).
			ev.Body = "x"
			wrapper := composedLength(t, ev) - overhead - 1
			ev.Body = strings.Repeat("x", MaxEngagementBodyChars-overhead-wrapper)
			if n := composedLength(t, ev); n != MaxEngagementBodyChars {
				t.Fatalf("composed length = %d, want exactly %d", n, MaxEngagementBodyChars)
			}
			if err := ev.validate(validationNow); err != nil {
				t.Errorf("a body composing to exactly %d characters: %v", MaxEngagementBodyChars, err)
			}
			ev.Body += "x"
			var ve *ValidationError
			if err := ev.validate(validationNow); !errors.As(err, &ve) || ve.Field != "body" {
				t.Errorf("a body composing to %d characters: err = %v, want a violation on body", MaxEngagementBodyChars+1, err)
			}
		})
	}
	// HTML escaping counts: 60,000 characters of "&" compose to 300,000 in a note.
	ev := note("1", 1)
	ev.Body = strings.Repeat("&", 60_000)
	if err := ev.validate(validationNow); err == nil || !strings.Contains(err.Error(), "HubSpot allows 65536") {
		t.Errorf("60,000 ampersands: err = %v, want the composed body refused", err)
	}
	// Metadata within its own bounds can still make the whole too long.
	ev = note("1", 1)
	ev.Metadata = manyMetadata(MaxMetadataEntries, MaxMetadataValueChars)
	if err := ev.validate(validationNow); err == nil || !strings.Contains(err.Error(), "body") {
		t.Errorf("50 metadata values of 2,000 characters: err = %v, want the composed body refused", err)
	}
}

func TestEnqueueValidatesWithTheOutboxClock(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	ob, err := New(e.config())
	if err != nil {
		t.Fatal(err)
	}
	ev := note("1", 1)
	ev.OccurredAt = e.clock.Now().Add(MaxOccurAhead + time.Hour)
	var ve *ValidationError
	if _, err := ob.Enqueue(context.Background(), ev); !errors.As(err, &ve) || ve.Field != "occur_time" {
		t.Errorf("Enqueue of an event a day and an hour ahead: err = %v, want a violation on occur_time", err)
	}
	e.clock.Advance(2 * time.Hour)
	if _, err := ob.Enqueue(context.Background(), ev); err != nil {
		t.Errorf("the same event two hours later: %v", err)
	}
}

// Whatever the caller sends, validation never panics, and an accepted event composes to an
// engagement body HubSpot takes, with every field within its bound.
func FuzzValidate(f *testing.F) {
	f.Add("1", "Support call", "hello & <bye>", "+1 617 555 0100", "https://rec.example/1.mp3", "agent", "Ada", int64(0), int64(90))
	f.Add("123456789012345678901", "", strings.Repeat("&", 20_000), "", "http://x", "", "", int64(-1), int64(-5))
	f.Fuzz(func(t *testing.T, contactID, title, body, phone, recording, metaKey, metaValue string, occurOffsetHours, durationSeconds int64) {
		ev := Event{Workspace: testWorkspace, Connection: testConnection, Kind: KindCall, ContactID: contactID,
			OccurredAt: validationNow.Add(time.Duration(occurOffsetHours) * time.Hour), Title: title, Body: body,
			FromNumber: phone, RecordingURL: recording, Duration: time.Duration(durationSeconds) * time.Second,
			Metadata: map[string]string{metaKey: metaValue}}
		if ev.validate(validationNow) != nil {
			return
		}
		if n := composedLength(t, ev); n > MaxEngagementBodyChars {
			t.Errorf("accepted an event whose body composes to %d characters", n)
		}
		if utf8.RuneCountInString(title) > MaxTitleChars || utf8.RuneCountInString(phone) > MaxPhoneChars ||
			utf8.RuneCountInString(metaValue) > MaxMetadataValueChars || len(contactID) > 19 {
			t.Errorf("accepted a field over its bound: %+v", ev)
		}
	})
}

// TestValidateNormalisesTheEmail: the outbox owns the event's contact email rule
// (fields.NormalizeEmail) and stores the email as HubSpot does, trimmed and lowercase.
func TestValidateNormalisesTheEmail(t *testing.T) {
	ev := note("", 1)
	ev.ContactEmail = "  Ada@Example.COM "
	if err := ev.validate(validationNow); err != nil || ev.ContactEmail != "ada@example.com" {
		t.Errorf("validate = %v with email %q; want it accepted as \"ada@example.com\"", err, ev.ContactEmail)
	}
	ev.ContactEmail = "not an email@"
	var ve *ValidationError
	if err := ev.validate(validationNow); !errors.As(err, &ve) || ve.Field != "contact.email" || ve.Reason != `"not an email@" is not an email address such as ada@example.com` {
		t.Errorf("validate = %v; want the email rule's message on contact.email", err)
	}
}
