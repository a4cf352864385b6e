package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// The recorded keys change only as decide says, all or nothing: a key is recorded once under
// its id (the first sentinel stays), forgotten ones go, and a refusal writes nothing.
func TestUpdateRingKeys(t *testing.T) {
	storetest.OnEachEngine(t, testUpdateRingKeys)
}

func testUpdateRingKeys(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	key := func(id, sentinel string) RingKey { return RingKey{ID: id, Sentinel: []byte(sentinel)} }
	refused := errors.New("refused")
	steps := []struct {
		name       string
		change     RingKeyChange
		err        error // decide's answer
		wantSeen   []RingKey
		wantResult []RingKey
	}{
		{name: "an empty database records the first key", change: RingKeyChange{Record: &RingKey{ID: "a", Sentinel: []byte("sa")}},
			wantResult: []RingKey{key("a", "sa")}},
		{name: "a second key joins it", change: RingKeyChange{Record: &RingKey{ID: "b", Sentinel: []byte("sb")}},
			wantSeen: []RingKey{key("a", "sa")}, wantResult: []RingKey{key("a", "sa"), key("b", "sb")}},
		{name: "a recorded id keeps its first sentinel", change: RingKeyChange{Record: &RingKey{ID: "a", Sentinel: []byte("other")}},
			wantSeen: []RingKey{key("a", "sa"), key("b", "sb")}, wantResult: []RingKey{key("a", "sa"), key("b", "sb")}},
		{name: "a refusal writes nothing", change: RingKeyChange{Forget: []string{"a", "b"}}, err: refused,
			wantSeen: []RingKey{key("a", "sa"), key("b", "sb")}},
		{name: "forgetting and recording in one step", change: RingKeyChange{Forget: []string{"a"}, Record: &RingKey{ID: "a", Sentinel: []byte("new")}},
			wantSeen: []RingKey{key("a", "sa"), key("b", "sb")}, wantResult: []RingKey{key("b", "sb"), key("a", "new")}},
		{name: "forgetting an unknown id changes nothing", change: RingKeyChange{Forget: []string{"zz"}},
			wantSeen: []RingKey{key("b", "sb"), key("a", "new")}, wantResult: []RingKey{key("b", "sb"), key("a", "new")}},
	}
	ignoreTime := cmpopts.IgnoreFields(RingKey{}, "Recorded")
	tick := s.now()
	for i, st := range steps {
		s.now = func() time.Time { return tick.Add(time.Duration(i) * time.Second) } // later steps record later
		var seen []RingKey
		got, err := s.UpdateRingKeys(ctx, func(recorded []RingKey) (RingKeyChange, error) {
			seen = recorded
			return st.change, st.err
		})
		if !errors.Is(err, st.err) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.err)
		}
		if diff := cmp.Diff(st.wantSeen, seen, ignoreTime, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: decide saw (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.wantResult, got, ignoreTime, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: recorded afterwards (-want +got):\n%s", st.name, diff)
		}
	}
}

// Processes starting together on an empty database, each recording its own key only if none
// is recorded: exactly one records; the others see its key.
func TestUpdateRingKeysTakesTurns(t *testing.T) {
	storetest.OnEachEngine(t, testUpdateRingKeysTakesTurns)
}

func testUpdateRingKeysTakesTurns(t *testing.T, e storetest.Engine) {
	_, dsn := openOn(t, e)
	const n = 6
	stores := make([]*Store, n)
	for i := range stores {
		s, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	results := make([][]RingKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			results[i], errs[i] = s.UpdateRingKeys(context.Background(), func(recorded []RingKey) (RingKeyChange, error) {
				if len(recorded) > 0 {
					return RingKeyChange{}, nil
				}
				return RingKeyChange{Record: &RingKey{ID: fmt.Sprint("k", i), Sentinel: []byte{byte(i)}}}, nil
			})
		})
	}
	wg.Wait()
	for i := range stores {
		if errs[i] != nil {
			t.Fatalf("process %d: %v", i, errs[i])
		}
		if diff := cmp.Diff(results[0], results[i]); len(results[i]) != 1 || diff != "" {
			t.Errorf("process %d sees %v, process 0 %v: want the one key recorded by whichever came first", i, results[i], results[0])
		}
	}
}
