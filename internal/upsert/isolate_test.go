package upsert_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/upsert"
)

// TestABadInputFailsOnlyItsCaller: HubSpot rejects an upsert-by-email batch
// as a whole when one input is invalid; the batcher isolates the bad inputs,
// fails only their callers with HubSpot's validation error naming the
// property, and delivers everyone else.
func TestABadInputFailsOnlyItsCaller(t *testing.T) {
	t.Parallel()
	good := func(i int) map[string]string {
		return map[string]string{"firstname": "G" + strconv.Itoa(i), "lifecyclestage": "lead"}
	}
	tests := []struct {
		name string
		bad  map[int]map[string]string // caller index → its properties
		// badEmail replaces the email of some callers.
		badEmail map[int]string
		// wantProp and wantCode are what the failed callers' error names.
		wantProp, wantCode string
		maxRequests        int // the batch, plus what isolation may cost
	}{
		{
			name:     "an option HubSpot does not allow",
			bad:      map[int]map[string]string{37: {"firstname": "X", "lifecyclestage": "not-a-stage"}},
			wantProp: "lifecyclestage", wantCode: "INVALID_OPTION",
			maxRequests: 3, // the batch, then the good value and the bad one apart
		},
		{
			name:     "an unknown property",
			bad:      map[int]map[string]string{5: {"firstname": "X", "no_such_property": "1"}},
			wantProp: "no_such_property", wantCode: "PROPERTY_DOESNT_EXIST",
			maxRequests: 2, // only one input sets it: the rest is re-sent once
		},
		{
			name: "three inputs with the same bad value",
			bad: map[int]map[string]string{
				3: {"lifecyclestage": "bogus"}, 50: {"lifecyclestage": "bogus"}, 99: {"lifecyclestage": "bogus"}},
			wantProp: "lifecyclestage", wantCode: "INVALID_OPTION",
			maxRequests: 3,
		},
		{
			name: "two different bad values of a property few inputs set",
			bad: map[int]map[string]string{
				10: {"hs_lead_status": "NOPE"}, 60: {"hs_lead_status": "ALSO_NOPE"}, 70: {"hs_lead_status": "NEW"}},
			wantProp: "hs_lead_status", wantCode: "INVALID_OPTION",
			maxRequests: 6,
		},
		{
			name:     "an invalid email (a property no input sets)",
			badEmail: map[int]string{64: "not-an-email"},
			wantProp: "email", wantCode: "INVALID_EMAIL",
			maxRequests: 1 + 2*7, // bisection by input
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{seed: uint64(10 + i)})
			b := e.batcher(t, upsert.Config{Linger: time.Second}) // one full batch
			const n = 100
			results := make([]upsert.Result, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for j := range n {
				props, isBad := tc.bad[j]
				if !isBad {
					props = good(j)
				}
				addr := email("iso", j)
				if bad, ok := tc.badEmail[j]; ok {
					addr = bad
				}
				wg.Go(func() { results[j], errs[j] = b.Upsert(t.Context(), addr, props) })
			}
			wg.Wait()

			for j := range n {
				props, isBad := tc.bad[j]
				_, badEmail := tc.badEmail[j]
				if !isBad && !badEmail {
					if errs[j] != nil {
						t.Errorf("good caller %d failed: %v", j, errs[j])
					} else if got := e.contact(t, results[j].ID); got["firstname"] != "G"+strconv.Itoa(j) {
						t.Errorf("good caller %d: contact has firstname %q", j, got["firstname"])
					}
					continue
				}
				if props["hs_lead_status"] == "NEW" { // a valid value next to bad ones
					if errs[j] != nil {
						t.Errorf("caller %d with a valid value failed: %v", j, errs[j])
					}
					continue
				}
				apiErr, ok := errors.AsType[*hubspot.APIError](errs[j])
				if !ok || !errors.Is(errs[j], hubspot.ErrValidation) {
					t.Fatalf("bad caller %d: err %v, want a validation *hubspot.APIError", j, errs[j])
				}
				named := false
				for _, v := range apiErr.Violations {
					named = named || (v.PropertyName == tc.wantProp && v.Code == tc.wantCode)
				}
				if !named {
					t.Errorf("bad caller %d: violations %+v do not name %s (%s)", j, apiErr.Violations, tc.wantProp, tc.wantCode)
				}
			}
			wantContacts := n - len(tc.bad) - len(tc.badEmail)
			if tc.name == "two different bad values of a property few inputs set" {
				wantContacts++
			}
			if got := e.contactCount(); got != wantContacts {
				t.Errorf("sandbox holds %d contacts, want %d", got, wantContacts)
			}
			reqs := e.upsertRequests()
			t.Logf("%d requests for %d inputs with %d bad (stats %+v)", reqs, n, len(tc.bad)+len(tc.badEmail), b.Stats())
			if reqs > tc.maxRequests {
				t.Errorf("isolation took %d requests, want at most %d", reqs, tc.maxRequests)
			}
		})
	}
}

// TestDuplicateCallersOfABadInputShareTheError: callers merged into one
// input all get its outcome, here the rejection.
func TestDuplicateCallersOfABadInputShareTheError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 20})
	b := e.batcher(t, upsert.Config{Linger: 200 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = b.Upsert(t.Context(), "dup@example.com", map[string]string{"lifecyclestage": "nope", "firstname": strconv.Itoa(i)})
		})
	}
	_, okErr := b.Upsert(t.Context(), "fine@example.com", map[string]string{"firstname": "Fine"})
	wg.Wait()
	if okErr != nil {
		t.Errorf("the good neighbour failed: %v", okErr)
	}
	for i, err := range errs {
		if !errors.Is(err, hubspot.ErrValidation) {
			t.Errorf("merged caller %d: err %v, want the validation error", i, err)
		}
	}
}
