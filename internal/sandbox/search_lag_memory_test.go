package sandbox

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSearchLagForgetsWhatSearchCaughtUpWith: the states kept for search are dropped once
// the lag has passed (at the next write), so only the writes of the last lag cost memory.
func TestSearchLagForgetsWhatSearchCaughtUpWith(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return t0 }})
	info, err := s.CreateAccount(Account{})
	if err != nil {
		t.Fatal(err)
	}
	a := s.accounts[info.HubID]
	ot, _ := lookupObjectType("contacts")
	var rs []*record
	for _, email := range []string{"a@acme.example", "b@acme.example"} {
		r, conflict := a.createRecord(ot, map[string]string{"email": email}, t0)
		if conflict != nil {
			t.Fatal(conflict)
		}
		rs = append(rs, r)
	}
	a.updateRecord(ot, rs[0], map[string]string{"firstname": "Ada"}, t0.Add(time.Second))

	type kept struct{ Pending, First, Second int }
	state := func() kept { return kept{len(a.searchPending), len(rs[0].unindexed), len(rs[1].unindexed)} }
	if diff := cmp.Diff(kept{3, 2, 1}, state()); diff != "" {
		t.Fatalf("within the lag (-want +got):\n%s", diff)
	}
	// One write after the creations' lag: the creations are forgotten, the update is not.
	a.createRecord(ot, map[string]string{"email": "c@acme.example"}, t0.Add(DefaultSearchLag))
	if diff := cmp.Diff(kept{2, 1, 0}, state()); diff != "" {
		t.Fatalf("after the creations' lag (-want +got):\n%s", diff)
	}
	a.createRecord(ot, map[string]string{"email": "d@acme.example"}, t0.Add(time.Second+DefaultSearchLag))
	if diff := cmp.Diff(kept{2, 0, 0}, state()); diff != "" {
		t.Fatalf("after the update's lag (-want +got):\n%s", diff)
	}
}
