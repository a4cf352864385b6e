package changes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/connectflo/integrations/internal/store"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// newFeed is a feed over a new database of eng, with a clock the test moves.
func newFeed(t *testing.T, eng storetest.Engine) (*Feed, *store.Store, *time.Time) {
	t.Helper()
	st, err := store.Open(context.Background(), eng.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f := NewFeed(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.now = func() time.Time { return now }
	return f, st, &now
}

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func update(id string, at time.Time, fields map[string]string) Detected {
	return Detected{ObjectType: "contacts", RecordID: id, Kind: KindUpdated, Fields: fields, Occur: at, Source: SourceWebhook}
}

// stored is what a test compares of a stored change.
type stored struct {
	Record, Kind string
	Fields       map[string]string
	Self         bool
}

func storedOf(cs []store.Change) []stored {
	var out []stored
	for _, c := range cs {
		out = append(out, stored{c.ObjectType + "/" + c.RecordID, c.Kind, c.Fields, c.SelfWritten})
	}
	return out
}

// TestIngestDedup: repeats and the property events of one write collapse into one change per
// HubSpot change, which keeps the position of its first event.
func TestIngestDedup(t *testing.T) { storetest.OnEachEngine(t, testIngestDedup) }

func testIngestDedup(t *testing.T, eng storetest.Engine) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		batches    [][]Detected
		wantStored []int
		want       []stored
	}{
		{
			name:       "the same event twice",
			batches:    [][]Detected{{update("1", t0, map[string]string{"a": "x"})}, {update("1", t0, map[string]string{"a": "x"})}},
			wantStored: []int{1, 0},
			want:       []stored{{"contacts/1", KindUpdated, map[string]string{"a": "x"}, false}},
		},
		{
			name: "two properties of one write, in two deliveries",
			batches: [][]Detected{{update("1", t0, map[string]string{"a": "x"}), update("2", t0, nil)},
				{update("1", t0, map[string]string{"b": "y"})}},
			wantStored: []int{2, 0},
			want: []stored{{"contacts/1", KindUpdated, map[string]string{"a": "x", "b": "y"}, false},
				{"contacts/2", KindUpdated, map[string]string{}, false}},
		},
		{
			name: "two writes of one record, and another kind at the same time",
			batches: [][]Detected{{update("1", t0, map[string]string{"a": "x"}), update("1", t0.Add(time.Millisecond), map[string]string{"a": "z"}),
				{ObjectType: "contacts", RecordID: "1", Kind: KindCreated, Occur: t0, Source: SourceWebhook}}},
			wantStored: []int{3},
			want: []stored{{"contacts/1", KindUpdated, map[string]string{"a": "x"}, false}, {"contacts/1", KindUpdated, map[string]string{"a": "z"}, false},
				{"contacts/1", KindCreated, map[string]string{}, false}},
		},
		{
			name: "merges of other records, and association changes to two records",
			batches: [][]Detected{{
				{ObjectType: "contacts", RecordID: "1", Kind: KindMerged, MergedIDs: []string{"2", "3"}, Occur: t0},
				{ObjectType: "contacts", RecordID: "1", Kind: KindMerged, MergedIDs: []string{"3", "2"}, Occur: t0},
				{ObjectType: "contacts", RecordID: "1", Kind: KindMerged, MergedIDs: []string{"4"}, Occur: t0},
				{ObjectType: "contacts", RecordID: "1", Kind: KindAssociationAdded, AssociatedType: "companies", AssociatedID: "7", Occur: t0},
				{ObjectType: "contacts", RecordID: "1", Kind: KindAssociationAdded, AssociatedType: "companies", AssociatedID: "8", Occur: t0},
			}},
			wantStored: []int{4},
			want: []stored{{"contacts/1", KindMerged, map[string]string{}, false}, {"contacts/1", KindMerged, map[string]string{}, false},
				{"contacts/1", KindAssociationAdded, map[string]string{}, false}, {"contacts/1", KindAssociationAdded, map[string]string{}, false}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, _, _ := newFeed(t, eng)
			var got []int
			for _, b := range tc.batches {
				n, err := f.Ingest(context.Background(), "uid1", b, nil)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, n)
			}
			if d := cmp.Diff(tc.wantStored, got); d != "" {
				t.Errorf("stored per batch (-want +got):\n%s", d)
			}
			list, err := f.List(context.Background(), "uid1", 0, nil, 100)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, storedOf(list), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("stored changes (-want +got):\n%s", d)
			}
		})
	}
}

// TestCursorOrderRetentionAndExpiry: changes come back in cursor order per connection, and a
// cursor older than what retention purged is refused.
func TestCursorOrderRetentionAndExpiry(t *testing.T) {
	storetest.OnEachEngine(t, testCursorOrderRetentionAndExpiry)
}

func testCursorOrderRetentionAndExpiry(t *testing.T, eng storetest.Engine) {
	t.Parallel()
	f, _, now := newFeed(t, eng)
	ctx := context.Background()
	for i, id := range []string{"1", "2", "3"} {
		if _, err := f.Ingest(ctx, "uid1", []Detected{update(id, t0, nil)}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Ingest(ctx, "uid2", []Detected{update("other"+id, t0, nil)}, nil); err != nil {
			t.Fatal(err)
		}
		*now = now.Add(time.Duration(i+1) * time.Hour)
	}
	all, err := f.List(ctx, "uid1", 0, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"contacts/1", "contacts/2", "contacts/3"}, records(all)); d != "" {
		t.Fatalf("uid1's changes (-want +got):\n%s", d)
	}
	after, err := f.List(ctx, "uid1", all[0].Seq, nil, 100)
	if err != nil || len(after) != 2 {
		t.Fatalf("after the first: %v, %v", records(after), err)
	}
	// Detected at 10:00, 11:00 and 13:00; now is 16:00: a retention of 4 hours purges the
	// first two of each connection.
	if n, err := f.Prune(ctx, 4*time.Hour, 100); err != nil || n != 4 {
		t.Fatalf("Prune = %d, %v; want 4 (two changes of each connection)", n, err)
	}
	for _, tc := range []struct {
		name    string
		after   int64
		want    []string
		wantErr error
	}{
		{"no cursor: from the oldest retained", 0, []string{"contacts/3"}, nil},
		{"the cursor of the last purged change: nothing lost", all[1].Seq, []string{"contacts/3"}, nil},
		{"the cursor of an earlier purged change", all[0].Seq, nil, store.ErrChangesPurged},
		{"the cursor of a retained change", all[2].Seq, nil, nil},
	} {
		got, err := f.List(ctx, "uid1", tc.after, nil, 100)
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.wantErr)
		}
		if d := cmp.Diff(tc.want, records(got)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}

func records(cs []store.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ObjectType+"/"+c.RecordID)
	}
	return out
}

// TestOwnWritesMarkChangesSelfWritten: a change at the time of an own write of its record is
// self-written, whether the write or the change was recorded first.
func TestOwnWritesMarkChangesSelfWritten(t *testing.T) {
	storetest.OnEachEngine(t, testOwnWritesMarkChangesSelfWritten)
}

func testOwnWritesMarkChangesSelfWritten(t *testing.T, eng storetest.Engine) {
	t.Parallel()
	f, _, _ := newFeed(t, eng)
	ctx := context.Background()
	f.RecordOwnWrites(ctx, "uid1", []store.OwnWrite{{ObjectType: "contacts", RecordID: "1", UpdatedAt: t0}})
	if _, err := f.Ingest(ctx, "uid1", []Detected{update("1", t0, nil), update("1", t0.Add(time.Millisecond), nil), update("2", t0, nil)}, nil); err != nil {
		t.Fatal(err)
	}
	f.RecordOwnWrites(ctx, "uid1", []store.OwnWrite{{ObjectType: "contacts", RecordID: "2", UpdatedAt: t0}})
	f.RecordOwnWrites(ctx, "uid2", []store.OwnWrite{{ObjectType: "contacts", RecordID: "1", UpdatedAt: t0.Add(time.Millisecond)}})
	list, err := f.List(ctx, "uid1", 0, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range list {
		got[c.RecordID+"@"+c.Occur.Sub(t0).String()] = c.SelfWritten
	}
	want := map[string]bool{"1@0s": true, "1@1ms": false, "2@0s": true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("self_written (-want +got):\n%s", d)
	}
}

// TestWakeOnIngest: a wake channel taken before an ingest is closed by it; one of another
// connection is not.
func TestWakeOnIngest(t *testing.T) { storetest.OnEachEngine(t, testWakeOnIngest) }

func testWakeOnIngest(t *testing.T, eng storetest.Engine) {
	t.Parallel()
	f, _, _ := newFeed(t, eng)
	mine, other := f.Wake("uid1"), f.Wake("uid2")
	if _, err := f.Ingest(context.Background(), "uid1", []Detected{update("1", t0, nil)}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-mine:
	default:
		t.Error("the watcher of uid1 was not woken")
	}
	select {
	case <-other:
		t.Error("the watcher of uid2 was woken")
	default:
	}
}

// TestCursor: a cursor reads back for its connection only.
func TestCursor(t *testing.T) {
	t.Parallel()
	good := EncodeCursor("uid1", 42)
	for _, tc := range []struct {
		name, cursor, uid string
		want              int64
		wantErr           bool
	}{
		{"empty: from the oldest", "", "uid1", 0, false},
		{"its own", good, "uid1", 42, false},
		{"another connection's", good, "uid2", 0, true},
		{"not base64", "!!!", "uid1", 0, true},
		{"base64 of something else", "eyJ4IjoxfQ", "uid1", 0, true},
		{"a seq of 0", EncodeCursor("uid1", 0), "uid1", 0, true},
	} {
		got, err := DecodeCursor("cursor", tc.cursor, tc.uid)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s: %d, %v; want %d, error %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}

// gatedStore counts own-write transactions and holds the first until released.
type gatedStore struct {
	*store.Store
	mu      sync.Mutex
	commits [][]store.OwnWritesOf
	gate    chan struct{}
}

func (g *gatedStore) RecordOwnWritesOf(ctx context.Context, batch []store.OwnWritesOf, now time.Time) error {
	g.mu.Lock()
	first := len(g.commits) == 0
	g.commits = append(g.commits, batch)
	g.mu.Unlock()
	if first {
		<-g.gate
	}
	return g.Store.RecordOwnWritesOf(ctx, batch, now)
}

// TestOwnWritesShareCommits: calls made while an own-write transaction runs are written
// together in the next one (group commit), each call returns once its writes are stored,
// and nothing is lost.
func TestOwnWritesShareCommits(t *testing.T) { storetest.OnEachEngine(t, testOwnWritesShareCommits) }

func testOwnWritesShareCommits(t *testing.T, eng storetest.Engine) {
	t.Parallel()
	_, st, _ := newFeed(t, eng)
	g := &gatedStore{Store: st, gate: make(chan struct{})}
	f := NewFeed(g, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	const n = 10
	var wg sync.WaitGroup
	record := func(i int) {
		wg.Go(func() {
			f.RecordOwnWrites(ctx, "uid1", []store.OwnWrite{{ObjectType: "contacts", RecordID: fmt.Sprint(i), UpdatedAt: t0}})
		})
	}
	record(0)
	for !func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.commits) == 1 }() {
		runtime.Gosched() // the first call is in its transaction
	}
	for i := 1; i < n; i++ {
		record(i)
	}
	for !func() bool { f.ownMu.Lock(); defer f.ownMu.Unlock(); return len(f.ownQueue) == n-1 }() {
		runtime.Gosched() // the others are queued behind it
	}
	close(g.gate)
	wg.Wait()
	var sizes []int
	for _, c := range g.commits {
		sizes = append(sizes, len(c))
	}
	if diff := cmp.Diff([]int{1, n - 1}, sizes); diff != "" {
		t.Errorf("calls per transaction (-want +got):\n%s", diff)
	}
	if _, err := f.Ingest(ctx, "uid1", []Detected{update("0", t0, nil), update("9", t0, nil)}, nil); err != nil {
		t.Fatal(err)
	}
	list, err := f.List(ctx, "uid1", 0, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d changes listed, want 2", len(list))
	}
	for _, c := range list {
		if !c.SelfWritten {
			t.Errorf("change of record %s not self-written: its own write was lost", c.RecordID)
		}
	}
}
