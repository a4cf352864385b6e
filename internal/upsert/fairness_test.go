package upsert_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/upsert"
)

// recordingSender answers every batch upsert at once and records the inputs of each batch.
type recordingSender struct {
	limiter *hubspot.Limiter
	mu      sync.Mutex
	batches [][]hubspot.BatchUpsertInput
}

func (s *recordingSender) Limiter() *hubspot.Limiter { return s.limiter }

func (s *recordingSender) BatchUpsert(ctx context.Context, objectType string, inputs []hubspot.BatchUpsertInput) (*hubspot.BatchResult, error) {
	p, err := s.limiter.Wait(ctx, hubspot.KindStandard)
	if err != nil {
		return nil, err
	}
	return s.BatchUpsertWithPermit(ctx, objectType, inputs, p)
}

func (s *recordingSender) BatchUpsertWithPermit(_ context.Context, _ string, inputs []hubspot.BatchUpsertInput, p *hubspot.Permit) (*hubspot.BatchResult, error) {
	p.Done(nil)
	s.mu.Lock()
	s.batches = append(s.batches, inputs)
	s.mu.Unlock()
	res := &hubspot.BatchResult{Attempts: 1}
	for _, in := range inputs {
		res.Outcomes = append(res.Outcomes, hubspot.BatchOutcome{Object: &hubspot.Object{ID: hubspot.ID("id-" + in.ID)}})
	}
	return res, nil
}

func (s *recordingSender) recorded() [][]hubspot.BatchUpsertInput {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batches
}

// heldBatcher is a batcher whose connection has no slot free until release is called, so
// everything a test queues before that is there when the first batch is cut.
func heldBatcher(t *testing.T) (b *upsert.Batcher, s *recordingSender, release func()) {
	t.Helper()
	s = &recordingSender{limiter: hubspot.NewLimiter(hubspot.LimiterConfig{Budget: 1, Window: 20 * time.Millisecond, SafetyMargin: -1})}
	held, err := s.limiter.Wait(t.Context(), hubspot.KindStandard)
	if err != nil {
		t.Fatal(err)
	}
	b = upsert.New(s, upsert.Config{})
	t.Cleanup(b.Close)
	return b, s, func() { held.Done(nil) }
}

// upsertAs queues the contacts as upserts made by caller (as the service names an API key's calls), in one
// UpsertMany call, and returns the call's error on done.
func upsertAs(t *testing.T, b *upsert.Batcher, caller string, contacts []upsert.Contact, done chan<- error) {
	go func() {
		res, err := b.UpsertMany(hubspot.WithCaller(t.Context(), caller), contacts)
		for _, r := range res {
			if r.Err != nil && err == nil {
				err = r.Err
			}
		}
		done <- err
	}()
}

func contactsOf(caller string, n int) []upsert.Contact {
	out := make([]upsert.Contact, n)
	for i := range out {
		out[i] = upsert.Contact{Email: email(caller, i)}
	}
	return out
}

// callerUpserts is a burst of upserts one caller queues.
type callerUpserts struct {
	caller string
	n      int
}

func TestBatchesAreSharedFairlyAmongCallers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		arrivals []callerUpserts
		want     []map[string]int // per batch, in order: how many inputs each caller has in it
	}{
		{
			name:     "a flood does not push a small caller out of the next batch",
			arrivals: []callerUpserts{{"A", 1000}, {"B", 5}},
			want:     []map[string]int{{"a": 95, "b": 5}, {"a": 100}, {"a": 100}},
		},
		{
			name:     "callers with plenty queued split every batch, the odd input going round",
			arrivals: []callerUpserts{{"A", 300}, {"B", 300}, {"C", 300}},
			want:     []map[string]int{{"a": 34, "b": 33, "c": 33}, {"a": 33, "b": 34, "c": 33}, {"a": 33, "b": 33, "c": 34}},
		},
		{
			name:     "a caller alone fills every batch",
			arrivals: []callerUpserts{{"A", 250}},
			want:     []map[string]int{{"a": 100}, {"a": 100}, {"a": 50}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, s, release := heldBatcher(t)
			done := make(chan error, len(tt.arrivals))
			queued := 0
			for _, a := range tt.arrivals {
				upsertAs(t, b, a.caller, contactsOf(a.caller, a.n), done)
				queued += a.n
				waitForQueue(t, b, a.caller+"'s upserts to queue", func() bool { return b.Stats().Queued == queued })
			}
			release()
			for range tt.arrivals {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			if st := b.Stats(); st.Queued != 0 || st.Callers != 0 {
				t.Errorf("stats %+v after every upsert returned: the callers' lines must be dropped", st)
			}
			var got []map[string]int
			for _, batch := range s.recorded()[:len(tt.want)] {
				perCaller := map[string]int{}
				for _, in := range batch {
					perCaller[strings.SplitN(in.ID, "-", 2)[0]]++
				}
				got = append(got, perCaller)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("inputs per caller in the first batches:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestWritesOfOneEmailStayInOrderAcrossCallers: B's turn picks an email that A wrote earlier
// (further back in A's line than A's share of the batch reaches). Both writes go in that batch,
// A's first, so B's later value wins; neither can be sent after the other.
func TestWritesOfOneEmailStayInOrderAcrossCallers(t *testing.T) {
	t.Parallel()
	b, s, release := heldBatcher(t)
	const shared = "shared@example.com"
	aContacts := contactsOf("A", 300)
	aContacts[250] = upsert.Contact{Email: shared, Properties: map[string]string{"firstname": "Old", "lastname": "FromA"}}
	done := make(chan error, 2)
	upsertAs(t, b, "A", aContacts, done)
	waitForQueue(t, b, "A's upserts to queue", func() bool { return b.Stats().Queued == 300 })
	upsertAs(t, b, "B", []upsert.Contact{{Email: shared, Properties: map[string]string{"firstname": "New"}}}, done)
	waitForQueue(t, b, "B's upsert to queue", func() bool { return b.Stats().Queued == 301 })
	release()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}

	var sent []string
	for i, batch := range s.recorded() {
		for _, in := range batch {
			if in.ID == shared {
				sent = append(sent, fmt.Sprintf("batch %d: %v", i+1, in.Properties))
			}
		}
	}
	want := []string{fmt.Sprintf("batch 1: %v", map[string]string{"firstname": "New", "lastname": "FromA"})}
	if !reflect.DeepEqual(sent, want) {
		t.Errorf("inputs for %s:\n got %q\nwant %q", shared, sent, want)
	}
}
