package changes

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store"
)

// lastNames is an InboxStore that knows the last stored display names of some contacts.
type lastNames struct {
	InboxStore
	names map[string]string
}

func (s lastNames) LastDisplayNames(_ context.Context, _, _ string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if n, ok := s.names[id]; ok {
			out[id] = n
		}
	}
	return out, nil
}

// TestFillNames: a change's record name is read from HubSpot, and when that read fails or
// cannot be made within nameReadWait (the connection's budget busy), the last stored name
// stands in, so a webhook's change is never held long for its name. Deleted records are
// never read. Time is synctest's.
func TestFillNames(t *testing.T) {
	t.Parallel()
	fromHubSpot := func(_ context.Context, _ store.Connection, _ string, ids []string) (map[string]string, error) {
		out := map[string]string{}
		for _, id := range ids {
			out[id] = "Read " + id
		}
		return out, nil
	}
	refused := func(context.Context, store.Connection, string, []string) (map[string]string, error) {
		return nil, errors.New("rate limited: no slot before the deadline")
	}
	blocked := func(ctx context.Context, _ store.Connection, _ string, _ []string) (map[string]string, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	detected := []Detected{
		{ObjectType: "contacts", RecordID: "1", Kind: KindUpdated},
		{ObjectType: "contacts", RecordID: "2", Kind: KindCreated},
		{ObjectType: "contacts", RecordID: "3", Kind: KindDeleted},
	}
	for _, tc := range []struct {
		name   string
		reader NameReader
		want   []string
		took   time.Duration
	}{
		{"read from HubSpot", fromHubSpot, []string{"Read 1", "Read 2", "Stored 3"}, 0},
		{"the read fails", refused, []string{"Stored 1", "", "Stored 3"}, 0},
		{"the read waits for the budget", blocked, []string{"Stored 1", "", "Stored 3"}, nameReadWait},
		{"no reader", nil, []string{"Stored 1", "", "Stored 3"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var asked []string
				reader := tc.reader
				if reader != nil {
					reader = func(ctx context.Context, c store.Connection, objectType string, ids []string) (map[string]string, error) {
						asked = append(asked, ids...)
						return tc.reader(ctx, c, objectType, ids)
					}
				}
				p := NewProcessor(nil, lastNames{names: map[string]string{"1": "Stored 1", "3": "Stored 3"}}, reader,
					slog.New(slog.NewTextHandler(io.Discard, nil)))
				ds := append([]Detected(nil), detected...)
				start := time.Now()
				p.fillNames(t.Context(), store.Connection{UID: "c"}, ds)
				var got []string
				for _, d := range ds {
					got = append(got, d.DisplayName)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("names (-want +got):\n%s", diff)
				}
				if took := time.Since(start); took != tc.took {
					t.Errorf("took %v, want %v", took, tc.took)
				}
				if reader != nil {
					if diff := cmp.Diff([]string{"1", "2"}, asked); diff != "" {
						t.Errorf("ids read from HubSpot (-want +got):\n%s", diff)
					}
				}
			})
		})
	}
}
