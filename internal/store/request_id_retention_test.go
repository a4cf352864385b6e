package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// TestPruneRequestIDs: request_ids older than the retention are forgotten, fresh ones kept,
// and one sweep deletes no more than it is allowed to.
func TestPruneRequestIDs(t *testing.T) { storetest.OnEachEngine(t, testPruneRequestIDs) }

func testPruneRequestIDs(t *testing.T, e storetest.Engine) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		ages        []time.Duration // one request_id recorded this long before now, each
		maxRows     int
		wantDeleted int
		wantKept    []string
	}{
		{"expired go, fresh stay", []time.Duration{25 * time.Hour, RequestIDRetention + time.Second, RequestIDRetention - time.Second, time.Minute},
			100, 2, []string{"req-2", "req-3"}},
		{"nothing expired", []time.Duration{time.Hour, 0}, 100, 0, []string{"req-0", "req-1"}},
		{"a sweep is bounded; the rest waits", []time.Duration{48 * time.Hour, 47 * time.Hour, 46 * time.Hour, time.Hour},
			2, 2, []string{"req-2", "req-3"}},
		{"more than one batch", nil, 10_000, pruneBatch + 7, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openOn(t, e)
			ctx := context.Background()
			ages := tc.ages
			if ages == nil { // pruneBatch+7 expired rows
				for range pruneBatch + 7 {
					ages = append(ages, 30*time.Hour)
				}
			}
			insertRequestIDs(t, s, now, ages)
			deleted, err := s.PruneRequestIDs(ctx, now, tc.maxRows)
			if err != nil {
				t.Fatal(err)
			}
			if deleted != tc.wantDeleted {
				t.Errorf("deleted %d, want %d", deleted, tc.wantDeleted)
			}
			var kept []string
			for i := range ages {
				id := fmt.Sprintf("req-%d", i)
				_, err := s.RequestResource(ctx, "acme", "Connect", id)
				switch {
				case err == nil:
					kept = append(kept, id)
				case !errors.Is(err, ErrNotFound):
					t.Fatal(err)
				}
			}
			if d := cmp.Diff(tc.wantKept, kept); d != "" {
				t.Errorf("request_ids kept (-want +got):\n%s", d)
			}
		})
	}
}

func insertRequestIDs(t *testing.T, s *Store, now time.Time, ages []time.Duration) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i, age := range ages {
		if err := recordRequest(ctx, tx, "acme", "Connect", fmt.Sprintf("req-%d", i), "workspaces/acme/connections/c", now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
