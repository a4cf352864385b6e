package hubspot

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"unicode/utf8"
)

// Stage metadata is text on the wire; a stage's probability and closed flag are read from it.
func TestPipelineStageMetadata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		metadata        StageMetadata
		wantProbability float64
		wantOK          bool
		wantClosed      bool
	}{
		{"won", StageMetadata{"probability": "1.0", "isClosed": "true"}, 1, true, true},
		{"lost", StageMetadata{"probability": "0.0", "isClosed": "true"}, 0, true, true},
		{"open", StageMetadata{"probability": "0.2", "isClosed": "false"}, 0.2, true, false},
		{"no metadata", nil, 0, false, false},
		{"not a number", StageMetadata{"probability": "high", "isClosed": "yes"}, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := PipelineStage{Metadata: tt.metadata}
			p, ok := s.Probability()
			if p != tt.wantProbability || ok != tt.wantOK || s.IsClosed() != tt.wantClosed {
				t.Errorf("Probability() = %v, %v; IsClosed() = %v; want %v, %v; %v", p, ok, s.IsClosed(), tt.wantProbability, tt.wantOK, tt.wantClosed)
			}
		})
	}
}

// A cursor that never ends is cut off after maxOwnerPages requests, as an error rather than
// a partial list.
func TestListOwnersStopsAnEndlessCursor(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
		i := n.Add(1)
		writeJSON(w, 200, fmt.Sprintf(`{"results":[{"id":"%d"}],"paging":{"next":{"after":"%d"}}}`, i, i))
	})
	c := testClient(t, fake.srv.URL, nil)
	owners, err := c.ListOwners(t.Context(), ListOwnersOptions{})
	if !errors.Is(err, ErrUnexpectedResponse) || owners != nil {
		t.Fatalf("ListOwners = %d owners, %v; want ErrUnexpectedResponse", len(owners), err)
	}
	if got := len(fake.seen()); got != maxOwnerPages {
		t.Errorf("%d requests, want %d", got, maxOwnerPages)
	}
}

// FuzzStageMetadata: any metadata object decodes to text: a string as itself, a number or
// boolean as its JSON text, and null, objects and arrays not at all; reading a stage's
// probability and closed flag from it never panics.
func FuzzStageMetadata(f *testing.F) {
	f.Add(`{"probability":"1.0","isClosed":"true"}`)
	f.Add(`{"probability":0.2,"isClosed":false,"x":null,"y":{"z":1},"w":[1]}`)
	f.Add(`{"probability":"NaN","isClosed":"TRUE","e":"a\"b"}`)
	f.Fuzz(func(t *testing.T, body string) {
		// Invalid UTF-8 is left out: encoding/json replaces it and lenientString, to stay
		// cheap on large lists, keeps a string without escapes as its bytes.
		var raw map[string]any
		var m StageMetadata
		if !utf8.ValidString(body) || json.Unmarshal([]byte(body), &raw) != nil || json.Unmarshal([]byte(body), &m) != nil {
			return
		}
		for k, v := range raw {
			got, kept := m[k]
			switch v := v.(type) {
			case string:
				if !kept || got != v {
					t.Errorf("%q: string %q decoded as %q (kept %v)", k, v, got, kept)
				}
			case float64, bool:
				if !kept || got == "" {
					t.Errorf("%q: scalar %v dropped", k, v)
				}
			default:
				if kept {
					t.Errorf("%q: %T kept as %q", k, v, got)
				}
			}
		}
		if len(m) > len(raw) {
			t.Errorf("%d values from %d keys", len(m), len(raw))
		}
		s := PipelineStage{Metadata: m}
		_, _ = s.Probability()
		_ = s.IsClosed()
	})
}
