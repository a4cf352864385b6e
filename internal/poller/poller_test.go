package poller

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
)

// Each change made in HubSpot is reported once, with the fields that changed, whatever the
// number of polls that read it.
func TestPollReportsEachChangeOnce(t *testing.T) {
	e := newEnv(t, sandbox.SearchLimits{})
	p := e.poller(Config{ArchivedEvery: 1})
	old := e.create(t, "contacts", map[string]string{"email": "old@x.example", "firstname": "Old"})
	e.clock.Advance(time.Minute)
	if got := e.poll(t, p, nil); len(got) != 0 {
		t.Fatalf("the first poll reported %v; want a silent baseline", got)
	}
	var ada, other, third string
	steps := []struct {
		name    string
		advance time.Duration
		do      func(t *testing.T, at time.Time) []Detected
	}{
		{"nothing changed", time.Minute, func(t *testing.T, at time.Time) []Detected { return nil }},
		{"a contact created", time.Minute, func(t *testing.T, at time.Time) []Detected {
			ada = e.create(t, "contacts", map[string]string{"email": "ada@x.example", "firstname": "Ada"})
			return []Detected{{ObjectType: "contacts", RecordID: ada, Kind: KindCreated, DisplayName: "Ada",
				Fields: map[string]string{"email": "ada@x.example", "firstname": "Ada"}, OccurTime: at}}
		}},
		{"a record older than the baseline edited: every watched value it holds", time.Second, func(t *testing.T, at time.Time) []Detected {
			if err := e.sb.EditRecord(e.hub, "contacts", old, map[string]string{"lifecyclestage": "lead"}); err != nil {
				t.Fatal(err)
			}
			return []Detected{{ObjectType: "contacts", RecordID: old, Kind: KindUpdated, DisplayName: "Old",
				Fields: map[string]string{"email": "old@x.example", "firstname": "Old", "lifecyclestage": "lead"}, OccurTime: at}}
		}},
		{"the same record edited again: only what changed", time.Second, func(t *testing.T, at time.Time) []Detected {
			if err := e.sb.EditRecord(e.hub, "contacts", old, map[string]string{"firstname": "Older", "lifecyclestage": ""}); err != nil {
				t.Fatal(err)
			}
			return []Detected{{ObjectType: "contacts", RecordID: old, Kind: KindUpdated, DisplayName: "Older",
				Fields: map[string]string{"firstname": "Older", "lifecyclestage": ""}, OccurTime: at}}
		}},
		{"an unwatched property edited: nothing", time.Second, func(t *testing.T, at time.Time) []Detected {
			if err := e.sb.EditRecord(e.hub, "contacts", old, map[string]string{"jobtitle": "CTO"}); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
		{"a company and a deal created", time.Minute, func(t *testing.T, at time.Time) []Detected {
			co := e.create(t, "companies", map[string]string{"name": "Acme"})
			deal := e.create(t, "deals", map[string]string{"dealname": "Big", "dealstage": "closedwon", "pipeline": "default"})
			return []Detected{
				{ObjectType: "companies", RecordID: co, Kind: KindCreated, DisplayName: "Acme", Fields: map[string]string{"name": "Acme"}, OccurTime: at},
				{ObjectType: "deals", RecordID: deal, Kind: KindCreated, DisplayName: "Big",
					Fields: map[string]string{"dealname": "Big", "dealstage": "closedwon", "pipeline": "default"}, OccurTime: at},
			}
		}},
		{"a contact deleted", time.Minute, func(t *testing.T, at time.Time) []Detected {
			if err := e.sb.DeleteRecord(e.hub, "contacts", ada); err != nil {
				t.Fatal(err)
			}
			return []Detected{{ObjectType: "contacts", RecordID: ada, Kind: KindDeleted, DisplayName: "Ada", OccurTime: at}}
		}},
		{"the deleted contact restored", time.Minute, func(t *testing.T, at time.Time) []Detected {
			if err := e.sb.RestoreRecord(e.hub, "contacts", ada); err != nil {
				t.Fatal(err)
			}
			return []Detected{{ObjectType: "contacts", RecordID: ada, Kind: KindRestored, DisplayName: "Ada", OccurTime: at}}
		}},
		{"a merge: merged with the merged id, then the primary updated with what it took", time.Minute, func(t *testing.T, _ time.Time) []Detected {
			other = e.create(t, "contacts", map[string]string{"email": "ada2@x.example", "phone": "+44 20 7946 0000"})
			e.clock.Advance(2 * sandbox.DefaultSearchLag)
			e.poll(t, p, nil) // reports other's creation
			e.clock.Advance(time.Minute)
			at := e.clock.Now().UTC()
			if err := e.sb.MergeRecords(e.hub, "contacts", ada, other); err != nil {
				t.Fatal(err)
			}
			return []Detected{{ObjectType: "contacts", RecordID: ada, Kind: KindMerged, DisplayName: "Ada", MergedIDs: []string{other}, OccurTime: at},
				{ObjectType: "contacts", RecordID: ada, Kind: KindUpdated, DisplayName: "Ada",
					Fields: map[string]string{"phone": "+44 20 7946 0000"}, OccurTime: at}}
		}},
		{"a second merge: only the id newly merged, no field changed", time.Minute, func(t *testing.T, _ time.Time) []Detected {
			third = e.create(t, "contacts", map[string]string{"email": "ada3@x.example"})
			e.clock.Advance(2 * sandbox.DefaultSearchLag)
			e.poll(t, p, nil) // reports third's creation
			e.clock.Advance(time.Minute)
			at := e.clock.Now().UTC()
			if err := e.sb.MergeRecords(e.hub, "contacts", ada, third); err != nil {
				t.Fatal(err)
			}
			return []Detected{{ObjectType: "contacts", RecordID: ada, Kind: KindMerged, DisplayName: "Ada", MergedIDs: []string{third}, OccurTime: at}}
		}},
		{"a merge of a record others were merged into: their ids too, then its own", time.Minute, func(t *testing.T, at time.Time) []Detected {
			if err := e.sb.MergeRecords(e.hub, "contacts", old, ada); err != nil {
				t.Fatal(err)
			}
			return []Detected{{ObjectType: "contacts", RecordID: old, Kind: KindMerged, DisplayName: "Older", MergedIDs: []string{other, third, ada}, OccurTime: at},
				{ObjectType: "contacts", RecordID: old, Kind: KindUpdated, DisplayName: "Older",
					Fields: map[string]string{"phone": "+44 20 7946 0000"}, OccurTime: at}}
		}},
		{"polls within the overlap read again and report nothing", time.Second, func(t *testing.T, at time.Time) []Detected { return nil }},
		{"a write not searchable yet at one poll is reported by the next", time.Minute, func(t *testing.T, at time.Time) []Detected {
			if err := e.sb.EditRecord(e.hub, "contacts", old, map[string]string{"firstname": "Lagged"}); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(sandbox.DefaultSearchLag / 3)
			if got := e.poll(t, p, nil); len(got) != 0 {
				t.Errorf("a poll before the write reached search reported %v", got)
			}
			return []Detected{{ObjectType: "contacts", RecordID: old, Kind: KindUpdated, DisplayName: "Lagged",
				Fields: map[string]string{"firstname": "Lagged"}, OccurTime: at}}
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e.clock.Advance(st.advance)
			want := st.do(t, e.clock.Now().UTC())
			e.clock.Advance(2 * sandbox.DefaultSearchLag) // the write has reached search
			got := e.poll(t, p, nil)
			if diff := cmp.Diff(byRecord(want), byRecord(got)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

// laggingSearch hides one record from search until a time, as HubSpot's search index
// does for a few seconds after a write, and not for every write alike.
type laggingSearch struct {
	*hubspot.Client
	now     func() time.Time
	hidden  string
	indexAt time.Time
}

func (s laggingSearch) Search(ctx context.Context, objectType string, req hubspot.SearchRequest) (*hubspot.SearchResult, error) {
	res, err := s.Client.Search(ctx, objectType, req)
	if err != nil {
		return nil, err
	}
	kept := res.Results[:0]
	for _, r := range res.Results {
		if r.ID.String() == s.hidden && s.now().Before(s.indexAt) {
			continue
		}
		kept = append(kept, r)
	}
	res.Results = kept
	return res, nil
}

// A write that reaches search after the cursor has passed its time (a later write was
// indexed first) is still reported when the overlap exceeds the lag, and missed when it
// does not, which is why it must.
func TestOverlapFindsWritesIndexedLate(t *testing.T) {
	tests := []struct {
		name    string
		overlap time.Duration
		want    int
	}{
		{"overlap above the lag", 30 * time.Second, 1},
		{"overlap below the lag", 2 * time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.SearchLimits{}, sandbox.NoSearchLag) // laggingSearch lags one write
			p := e.poller(Config{Overlap: tt.overlap})
			e.poll(t, p, nil) // baseline
			e.clock.Advance(time.Second)
			late := e.create(t, "contacts", map[string]string{"email": "late@x.example"})
			e.clock.Advance(time.Second)
			early := e.create(t, "contacts", map[string]string{"email": "early@x.example"})
			e.clock.Advance(time.Second)
			src := laggingSearch{Client: e.client, now: e.clock.Now, hidden: late, indexAt: e.clock.Now().Add(5 * time.Second)}
			if got := e.poll(t, p, src); len(got) != 1 || got[0].RecordID != early {
				t.Fatalf("first poll: %v, want only %s", got, early)
			}
			e.clock.Advance(10 * time.Second) // late is searchable now; the cursor is past it
			if got := e.poll(t, p, src); len(got) != tt.want {
				t.Fatalf("second poll: %d changes (%v), want %d", len(got), got, tt.want)
			}
		})
	}
}

// A bulk edit stamping more records with one time than a search query can return is
// reported whole: the poll reads that time by id, each page a query of its own.
func TestBulkEditPastTheResultCap(t *testing.T) {
	n, capResults := 25_000, 10_000
	if testing.Short() {
		n, capResults = 2_500, 1_000
	}
	e := newEnv(t, sandbox.SearchLimits{MaxResultsPerQuery: capResults})
	for i := range n {
		e.create(t, "contacts", map[string]string{"email": fmt.Sprintf("c%d@x.example", i)})
	}
	p := e.poller(Config{MaxPagesPerPoll: 10_000})
	e.clock.Advance(time.Minute)
	e.poll(t, p, nil) // baseline
	e.clock.Advance(time.Minute)
	res, err := e.sb.BulkEdit(e.hub, sandbox.BulkEdit{ObjectType: "contacts", Property: "lifecyclestage", Value: "customer", Count: n})
	if err != nil || res.Edited != n {
		t.Fatalf("bulk edit: %+v, %v", res, err)
	}
	e.clock.Advance(time.Minute)
	got := e.poll(t, p, nil)
	seen := map[string]int{}
	for _, c := range got {
		if c.Kind != KindUpdated || c.Fields["lifecyclestage"] != "customer" || !c.OccurTime.Equal(res.ModifiedAt) {
			t.Fatalf("change %+v, want UPDATED lifecyclestage=customer at %v", c, res.ModifiedAt)
		}
		seen[c.RecordID]++
	}
	if len(seen) != n || len(got) != n {
		t.Fatalf("%d changes for %d records, want %d each once", len(got), len(seen), n)
	}
	// Each record is read once by the tie query at the bulk edit's time, and at most twice
	// before it: by the scan that reached the time and the scan from it, whose full pages
	// of that one time turned the poll to the tie query. Around them: the tie at the
	// poll's start and the scan after the bulk edit's time.
	searches := 0
	for path, byStatus := range e.sb.Counters().Requests {
		if strings.HasSuffix(path, "/contacts/search") {
			searches += byStatus[200]
		}
	}
	t.Logf("%d contact searches for %d records", searches, n)
	if pages := (n + hubspot.MaxSearchLimit - 1) / hubspot.MaxSearchLimit; searches > pages+4 {
		t.Errorf("%d contact searches for %d records, want at most %d", searches, n, pages+4)
	}
	// The next poll, past the overlap, reads the bulk edit's time from the saved cursor on:
	// one tie query and one scan per type, and nothing reported.
	e.clock.Advance(time.Minute)
	before, _ := e.requests()
	if got := e.poll(t, p, nil); len(got) != 0 {
		t.Errorf("the next poll reported %d changes, want none", len(got))
	}
	if after, _ := e.requests(); after-before != 2*len(objectTypes) {
		t.Errorf("the next poll sent %d searches, want %d", after-before, 2*len(objectTypes))
	}
}

// writingSearch edits, after its first full contacts page, every record on that page, as
// HubSpot users and workflows write while a poll pages: each edited record moves from the
// first page to the end of a sort by modified time.
type writingSearch struct {
	*hubspot.Client
	e      *env
	t      *testing.T
	pages  *int // contacts pages read
	edited *bool
}

func (s writingSearch) Search(ctx context.Context, objectType string, req hubspot.SearchRequest) (*hubspot.SearchResult, error) {
	res, err := s.Client.Search(ctx, objectType, req)
	if err != nil || objectType != "contacts" {
		return res, err
	}
	if *s.pages++; len(res.Results) == hubspot.MaxSearchLimit && !*s.edited {
		*s.edited = true
		for _, r := range res.Results {
			s.e.clock.Advance(time.Millisecond)
			if err := s.e.sb.EditRecord(s.e.hub, "contacts", r.ID.String(), map[string]string{"lifecyclestage": "lead"}); err != nil {
				s.t.Error(err)
			}
		}
	}
	return res, nil
}

// Records written while a poll pages do not make it skip others. Search pages by offset
// into results sorted by modified time; a poll paging that way would miss the records the
// edited ones shift into pages already read, and its cursor would pass them for good.
func TestWritesWhilePagingSkipNothing(t *testing.T) {
	const n = 3 * hubspot.MaxSearchLimit
	e := newEnv(t, sandbox.SearchLimits{}, sandbox.NoSearchLag)
	p := e.poller(Config{})
	e.poll(t, p, nil) // baseline
	created := map[string]bool{}
	for i := range n {
		e.clock.Advance(time.Millisecond) // one time each: a plain scan, no ties
		created[e.create(t, "contacts", map[string]string{"email": "w" + strconv.Itoa(i) + "@x.example"})] = true
	}
	e.clock.Advance(time.Second)
	pages, edited := 0, false
	reported := map[string]bool{}
	for _, c := range e.poll(t, p, writingSearch{Client: e.client, e: e, t: t, pages: &pages, edited: &edited}) {
		if c.Kind == KindCreated {
			reported[c.RecordID] = true
		}
	}
	if !edited || pages < 3 {
		t.Fatalf("the poll read %d contacts pages (a full one edited: %v); the test needs it to page after the edits", pages, edited)
	}
	var missed []string
	for id := range created {
		if !reported[id] {
			missed = append(missed, id)
		}
	}
	if len(missed) > 0 {
		t.Errorf("%d of %d contacts created while polling was never reported as created (e.g. %s)", len(missed), n, missed[0])
	}
}

// cancellingSearch cancels the poll's context when its nth search is sent, as a process
// killed while a request is on the wire.
type cancellingSearch struct {
	*hubspot.Client
	n      int
	cancel context.CancelFunc
	calls  *int
}

func (s cancellingSearch) Search(ctx context.Context, objectType string, req hubspot.SearchRequest) (*hubspot.SearchResult, error) {
	*s.calls++
	if *s.calls == s.n {
		s.cancel()
	}
	return s.Client.Search(ctx, objectType, req)
}

// A poll cut anywhere resumes from the store: nothing is missed, and only what the sink
// took before the cursor moved is reported twice.
func TestCrashMidPoll(t *testing.T) {
	const n = 1000 // five pages of contacts
	tests := []struct {
		name     string
		cut      func(e *env, ctx context.Context, cancel context.CancelFunc) Source
		failSink int // the sink call that fails after storing its changes (0: none)
	}{
		{"killed after the sink took the third page, before its cursor was saved",
			func(e *env, _ context.Context, _ context.CancelFunc) Source { return e.client }, 3},
		{"killed while the fourth search was on the wire",
			func(e *env, _ context.Context, cancel context.CancelFunc) Source {
				return cancellingSearch{Client: e.client, n: 4, cancel: cancel, calls: new(int)}
			}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.SearchLimits{})
			e.poll(t, e.poller(Config{}), nil) // baseline
			e.clock.Advance(time.Minute)
			for i := range n {
				e.create(t, "contacts", map[string]string{"email": "k" + strconv.Itoa(i) + "@x.example"})
				if i%300 == 0 {
					e.clock.Advance(time.Millisecond)
				}
			}
			e.clock.Advance(time.Minute)
			killed := errors.New("killed")
			e.sink.failOn, e.sink.failErr = tt.failSink, killed
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if _, err := e.poller(Config{}).Poll(ctx, e.conn, tt.cut(e, ctx, cancel), nil); err == nil {
				t.Fatal("the cut poll succeeded")
			}
			// A new poller, as after a restart: everything it knows is in the store.
			e.sink.failOn = 0
			if _, err := e.poller(Config{}).Poll(t.Context(), e.conn, e.client, nil); err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			for _, c := range e.sink.take() {
				counts[c.RecordID]++
			}
			dups := 0
			for _, k := range counts {
				dups += k - 1
			}
			// The failed sink call's changes are reported again, and nothing else.
			if tt.failSink > 0 && e.sink.failed == 0 {
				t.Fatal("the sink call meant to fail took no changes")
			}
			if len(counts) != n || dups != e.sink.failed {
				t.Fatalf("%d records reported, %d repeats; want %d and %d", len(counts), dups, n, e.sink.failed)
			}
		})
	}
}
