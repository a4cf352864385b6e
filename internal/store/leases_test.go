package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// Two processes on one database file (two stores) contend for the delivery lease: one holds
// it at a time, the other gets it when it expires or is released.
func TestLeaseIsHeldByOneProcessAtATime(t *testing.T) {
	storetest.OnEachEngine(t, testLeaseIsHeldByOneProcessAtATime)
}

func testLeaseIsHeldByOneProcessAtATime(t *testing.T, e storetest.Engine) {
	a, path := openOn(t, e)
	b, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	const ttl = 10 * time.Second
	steps := []struct {
		name    string
		store   *Store
		owner   string
		now     time.Time
		release bool
		want    Lease // the lease afterwards
	}{
		{name: "free: a takes it", store: a, owner: "a", now: t0, want: Lease{Owner: "a", Expire: t0.Add(ttl)}},
		{name: "held: b does not get it", store: b, owner: "b", now: t0.Add(time.Second), want: Lease{Owner: "a", Expire: t0.Add(ttl)}},
		{name: "a renews", store: a, owner: "a", now: t0.Add(5 * time.Second), want: Lease{Owner: "a", Expire: t0.Add(5*time.Second + ttl)}},
		{name: "still held at the old expiry", store: b, owner: "b", now: t0.Add(ttl), want: Lease{Owner: "a", Expire: t0.Add(5*time.Second + ttl)}},
		{name: "expired: b takes it over", store: b, owner: "b", now: t0.Add(5*time.Second + ttl), want: Lease{Owner: "b", Expire: t0.Add(5*time.Second + 2*ttl)}},
		{name: "a cannot renew what b holds", store: a, owner: "a", now: t0.Add(16 * time.Second), want: Lease{Owner: "b", Expire: t0.Add(5*time.Second + 2*ttl)}},
		{name: "b releases: a takes it at once", store: b, owner: "b", release: true, now: t0.Add(17 * time.Second), want: Lease{Owner: "a", Expire: t0.Add(17*time.Second + ttl)}},
	}
	for _, st := range steps {
		if st.release {
			if err := st.store.ReleaseLease(ctx, OutboxDeliveryLease, st.owner); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			st.store, st.owner = a, "a"
		}
		got, err := st.store.AcquireLease(ctx, OutboxDeliveryLease, st.owner, st.now, ttl)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		st.want.Name = OutboxDeliveryLease
		if got.Name != st.want.Name || got.Owner != st.want.Owner || !got.Expire.Equal(st.want.Expire) {
			t.Errorf("%s: lease = %+v, want %+v", st.name, got, st.want)
		}
	}
}

// A claim (the in-doubt mark written before a send) saves only while the claimant holds the
// lease; a process that lost it mid-batch changes nothing.
func TestClaimRequiresTheLease(t *testing.T) { storetest.OnEachEngine(t, testClaimRequiresTheLease) }

func testClaimRequiresTheLease(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if err := s.InsertConnection(ctx, &Connection{Workspace: "acme", ID: "prod", DisplayName: "Production HubSpot",
		Status: "CONNECTED", CreateTime: t0, UpdateTime: t0}); err != nil {
		t.Fatal(err)
	}
	ev, _, err := s.InsertOutboxEvent(ctx, &OutboxEvent{Workspace: "acme", ConnectionID: "prod", ID: "e1", Kind: "NOTE",
		Payload: []byte(`{}`), Status: OutboxQueued, NextAttempt: t0, CreateTime: t0}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireLease(ctx, OutboxDeliveryLease, "owner", t0, time.Minute); err != nil {
		t.Fatal(err)
	}
	claimed := ev
	claimed.Attempts, claimed.InDoubtSince, claimed.LastAttempt = 1, t0, t0
	cases := []struct {
		name    string
		claimer string
		now     time.Time
		want    error
	}{
		{"another process", "intruder", t0, ErrLeaseNotHeld},
		{"the owner after its lease expired", "owner", t0.Add(time.Minute), ErrLeaseNotHeld},
		{"the owner", "owner", t0.Add(time.Second), nil},
	}
	for _, tc := range cases {
		err := s.ClaimOutboxEvents(ctx, tc.claimer, tc.now, []OutboxEvent{claimed})
		if !errors.Is(err, tc.want) {
			t.Fatalf("%s: claim = %v, want %v", tc.name, err, tc.want)
		}
		got, err := s.GetOutboxEvent(ctx, "acme", "prod", "e1")
		if err != nil {
			t.Fatal(err)
		}
		if wantAttempts := map[bool]int{true: 1, false: 0}[tc.want == nil]; got.Attempts != wantAttempts {
			t.Errorf("%s: attempts = %d after the claim, want %d", tc.name, got.Attempts, wantAttempts)
		}
	}
}
