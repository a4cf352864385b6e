package hubspot

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/connectflo/integrations/internal/fields"
)

// ID is a HubSpot identifier. HubSpot sends ids as strings in most places
// and as numbers in some (toObjectId, hubId, userId); ID accepts both and
// always holds the decimal text.
type ID string

// String returns the id's text.
func (id ID) String() string { return string(id) }

// Int64 returns a numeric id (hub, app and user ids are numbers) as an integer.
func (id ID) Int64() (int64, error) {
	n, err := strconv.ParseInt(string(id), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: id %q is not a number", ErrUnexpectedResponse, string(id))
	}
	return n, nil
}

// UnmarshalJSON accepts a JSON string, a number or null.
func (id *ID) UnmarshalJSON(data []byte) error {
	s, ok := lenientString(data)
	if !ok {
		*id = ""
		return nil
	}
	*id = ID(s)
	return nil
}

// Properties are a record's property values. HubSpot sends every value as
// a string and requested properties without a value as null; null values
// are left out of the map, so "absent" and "never set" are the same, and an
// empty string is a real empty value. Numbers or booleans (which HubSpot
// should not send) are kept as their JSON text.
type Properties map[string]string

// UnmarshalJSON implements the null-to-absent rule.
func (p *Properties) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		*p = nil
		return nil
	}
	out := make(Properties, len(raw))
	for name, value := range raw {
		if s, ok := lenientString(value); ok {
			out[name] = s
		}
	}
	*p = out
	return nil
}

// Lookup returns a value and whether it is present.
func (p Properties) Lookup(name string) (string, bool) {
	v, ok := p[name]
	return v, ok
}

// Timestamp is a time HubSpot sent as ISO 8601 or as epoch milliseconds,
// read by fields.ParseInstant like every stored instant. Values it cannot
// read decode as the zero time rather than failing the whole response.
type Timestamp struct{ time.Time }

// UnmarshalJSON accepts RFC 3339 strings, epoch-millisecond numbers or
// strings, and null.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	t.Time = time.Time{}
	s, ok := lenientString(data)
	if !ok || s == "" {
		return nil
	}
	if parsed, ok := fields.ParseInstant(s); ok {
		t.Time = parsed
	}
	return nil
}

// MarshalJSON writes RFC 3339 with milliseconds, as HubSpot does (null when zero).
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}

// Paging is HubSpot's forward paging block; Next is nil on the last page.
type Paging struct {
	Next *NextPage `json:"next,omitempty"`
}

// NextPage holds the cursor to pass back as After. For search it is a
// stringified offset, for lists an opaque cursor.
type NextPage struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

// UnmarshalJSON accepts after as a string or a number.
func (n *NextPage) UnmarshalJSON(data []byte) error {
	var raw struct {
		After json.RawMessage `json:"after"`
		Link  string          `json:"link"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	n.After, _ = lenientString(raw.After)
	n.Link = raw.Link
	return nil
}

// NextAfter returns the cursor for the next page, or "" on the last page.
func (p *Paging) NextAfter() string {
	if p == nil || p.Next == nil {
		return ""
	}
	return p.Next.After
}
