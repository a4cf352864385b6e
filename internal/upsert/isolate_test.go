package upsert_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// requireOnCreate is a portal whose admin made property required on create (HubSpot's
// 2026-09 write validation): a batch upsert with an input that leaves it unset is refused
// whole with HubSpot's missing-required 400, whose context.properties names a property
// the culprits did NOT set. Every email in the test is new, so every input creates.
func requireOnCreate(property string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/contacts/batch/upsert") {
				next.ServeHTTP(w, r)
				return
			}
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			var body struct {
				Inputs []struct {
					Properties map[string]string `json:"properties"`
				} `json:"inputs"`
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			for _, in := range body.Inputs {
				if in.Properties[property] == "" {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write([]byte(`{"status":"error","message":"Error creating CONTACT. Some required properties were not set.",` +
						`"correlationId":"req-1","context":{"properties":["` + property + `"]},"category":"VALIDATION_ERROR"}`))
					return
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
			next.ServeHTTP(w, r)
		})
	}
}

// TestAMissingRequiredPropertyFailsOnlyTheCallersWithoutIt: HubSpot's missing-required
// 400 names a property the bad inputs did not set, so the inputs that set it are the
// innocent ones. The batcher must not blame them: it bisects, delivers every caller that
// set the property, and fails only those that left it unset, naming it.
func TestAMissingRequiredPropertyFailsOnlyTheCallersWithoutIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 30, front: requireOnCreate("lastname")})
	b := e.batcher(t, upsert.Config{Linger: time.Second}) // one full batch
	const n = 100
	unset := map[int]bool{7: true, 55: true, 93: true}
	results := make([]upsert.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for j := range n {
		props := map[string]string{"firstname": "R" + strconv.Itoa(j), "lastname": "Set"}
		if unset[j] {
			delete(props, "lastname")
		}
		wg.Go(func() { results[j], errs[j] = b.Upsert(t.Context(), email("required", j), props) })
	}
	wg.Wait()
	for j := range n {
		if !unset[j] {
			if errs[j] != nil {
				t.Errorf("caller %d set lastname and failed: %v", j, errs[j])
			} else if got := e.contact(t, results[j].ID); got["lastname"] != "Set" {
				t.Errorf("caller %d: contact has lastname %q", j, got["lastname"])
			}
			continue
		}
		apiErr, ok := errors.AsType[*hubspot.APIError](errs[j])
		if !ok || !errors.Is(errs[j], hubspot.ErrValidation) {
			t.Fatalf("caller %d left lastname unset: err %v, want a validation *hubspot.APIError", j, errs[j])
		}
		want := []hubspot.Violation{{PropertyName: "lastname", Code: hubspot.CodeMissingRequiredProperty,
			Message: "Error creating CONTACT. Some required properties were not set."}}
		if diff := cmp.Diff(want, apiErr.Violations); diff != "" {
			t.Errorf("caller %d: violations (-want +got):\n%s", j, diff)
		}
	}
	if got, want := e.contactCount(), n-len(unset); got != want {
		t.Errorf("sandbox holds %d contacts, want %d", got, want)
	}
}

// TestABackwardLifecycleStageFailsOnlyThatContact: every caller sets the same stage, but
// HubSpot refuses it only for the contacts already at a later stage. The value alone does
// not decide, so the batcher must not fail every caller that sent it: it bisects and fails
// only the contacts that would move backward, naming both stages.
func TestABackwardLifecycleStageFailsOnlyThatContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{seed: 31})
	ahead := map[int]bool{4: true, 60: true}
	for j := range ahead {
		if _, err := e.sb.CreateRecord(e.acct.HubID, "contacts", map[string]string{"email": email("stage", j), "lifecyclestage": "customer"}); err != nil {
			t.Fatal(err)
		}
	}
	b := e.batcher(t, upsert.Config{Linger: time.Second}) // one full batch
	const n = 50
	results := make([]upsert.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for j := range n {
		wg.Go(func() {
			results[j], errs[j] = b.Upsert(t.Context(), email("stage", j), map[string]string{"lifecyclestage": "lead"})
		})
	}
	wg.Wait()
	for j := range n {
		if !ahead[j] {
			if errs[j] != nil {
				t.Errorf("caller %d moved a new contact to lead and failed: %v", j, errs[j])
			} else if got := e.contact(t, results[j].ID)["lifecyclestage"]; got != "lead" {
				t.Errorf("caller %d: contact has lifecyclestage %q, want lead", j, got)
			}
			continue
		}
		v, ok := hubspot.LifecycleStageBackward(errs[j])
		if !ok {
			t.Fatalf("caller %d moved a customer back to lead: err %v, want the lifecycle refusal", j, errs[j])
		}
		if got, want := [2]string{v.Current, v.Requested}, [2]string{"customer", "lead"}; got != want {
			t.Errorf("caller %d: stages %v, want %v", j, got, want)
		}
	}
}
