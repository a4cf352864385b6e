package hubspot

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
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
