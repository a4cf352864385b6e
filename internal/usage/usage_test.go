package usage

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// clock is a settable now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// call is one HTTP attempt reported by the HubSpot client, at a moment.
type call struct {
	at     time.Time
	kind   hubspot.RequestKind
	status int // 0: no answer
	flush  bool
}

var base = time.Date(2026, 12, 4, 13, 20, 0, 0, time.UTC) // a Friday, 13:20 UTC

func TestReportCountsHoursKindsAndRateLimits(t *testing.T) {
	t.Parallel()
	newYork, err := time.LoadLocation("America/New_York") // UTC−5 in December
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	hour := func(h int) time.Time { return base.Truncate(time.Hour).Add(time.Duration(h) * time.Hour) }
	cases := []struct {
		name  string
		loc   *time.Location
		calls []call
		want  Report
		// wantHours are the hours with requests, by offset from the current hour (0, -1, …).
		wantHours map[int]Hour
	}{
		{
			name: "nothing counted: 24 empty hours, the reset at UTC midnight",
			want: Report{ResetAt: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)},
		},
		{
			name: "standard and search requests, a 429, and an attempt without an answer",
			calls: []call{
				{at: base, kind: hubspot.KindStandard, status: 200},
				{at: base, kind: hubspot.KindStandard, status: 429},
				{at: base, kind: hubspot.KindSearch, status: 200, flush: true},
				{at: base, kind: hubspot.KindSearch, status: 0},
				{at: base.Add(-time.Hour), kind: hubspot.KindStandard, status: 404},
			},
			want: Report{Requests24h: 4, RateLimited24h: 1, RateLimitedTotal: 1, Today: 4, ResetAt: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)},
			wantHours: map[int]Hour{
				0:  {Standard: 2, Search: 1, RateLimited: 1},
				-1: {Standard: 1},
			},
		},
		{
			name: "hours older than 24 leave the chart and the 24-hour sums, not the total of 429s",
			calls: []call{
				{at: base.Add(-24 * time.Hour), kind: hubspot.KindStandard, status: 429, flush: true},
				{at: base.Add(-23 * time.Hour), kind: hubspot.KindStandard, status: 429},
			},
			want:      Report{Requests24h: 1, RateLimited24h: 1, RateLimitedTotal: 2, ResetAt: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)},
			wantHours: map[int]Hour{-23: {Standard: 1, RateLimited: 1}},
		},
		{
			name: "today is counted from the account's midnight (05:00 UTC in New York)",
			loc:  newYork,
			calls: []call{
				{at: time.Date(2026, 12, 4, 4, 59, 0, 0, time.UTC), kind: hubspot.KindStandard, status: 200},
				{at: time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC), kind: hubspot.KindStandard, status: 200, flush: true},
				{at: base, kind: hubspot.KindSearch, status: 200},
			},
			want: Report{Requests24h: 3, Today: 2, ResetAt: time.Date(2026, 12, 5, 0, 0, 0, 0, newYork)},
			wantHours: map[int]Hour{
				4 - 13: {Standard: 1},
				5 - 13: {Standard: 1},
				0:      {Search: 1},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := &clock{}
			r := New(openStore(t), clk.now)
			for _, c := range tc.calls {
				clk.t = c.at
				r.Observer("uid-1")(hubspot.CallInfo{Kind: c.kind, StatusCode: c.status})
				r.Observer("uid-other")(hubspot.CallInfo{Kind: c.kind, StatusCode: http.StatusTooManyRequests})
				if c.flush {
					if err := r.Flush(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
			}
			clk.t = base
			got, err := r.Report(context.Background(), "uid-1", tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.At = base
			for i := range Hours {
				h := tc.wantHours[i-(Hours-1)]
				h.Start = hour(i - (Hours - 1))
				want.Hours = append(want.Hours, h)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
			// Flushed or not, a report reads the same.
			if err := r.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			again, err := r.Report(context.Background(), "uid-1", tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("report after a flush (-before +after):\n%s", diff)
			}
		})
	}
}

// failingStore fails AddUsage while fail is set.
type failingStore struct {
	*store.Store
	fail bool
}

func (f *failingStore) AddUsage(ctx context.Context, counts []store.UsageCount, now time.Time) error {
	if f.fail {
		return errors.New("disk full")
	}
	return f.Store.AddUsage(ctx, counts, now)
}

func TestAFailedFlushKeepsItsCountsForTheNext(t *testing.T) {
	t.Parallel()
	st := &failingStore{Store: openStore(t), fail: true}
	clk := &clock{t: base}
	r := New(st, clk.now)
	r.Add("uid-1", hubspot.KindStandard, true)
	if err := r.Flush(context.Background()); err == nil {
		t.Fatal("Flush succeeded over a failing store")
	}
	r.Add("uid-1", hubspot.KindStandard, false)
	st.fail = false
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A new recorder over the same store sees only what was written.
	got, err := New(st, clk.now).Report(context.Background(), "uid-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Requests24h != 2 || got.RateLimitedTotal != 1 {
		t.Errorf("after a failed then a good flush: %d requests, %d 429s; want 2 and 1", got.Requests24h, got.RateLimitedTotal)
	}
}
