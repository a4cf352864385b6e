package hubspot

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// batchEcho answers batch writes the way HubSpot does with multi-status:
// every input whose email contains "bad" fails with a VALIDATION_ERROR
// naming its trace id, the others succeed, and results come back shuffled.
func batchEcho(t *testing.T, status int) func(w http.ResponseWriter, r seen) {
	return func(w http.ResponseWriter, r seen) {
		var req struct {
			Inputs []struct {
				ID         string            `json:"id"`
				IDProperty string            `json:"idProperty"`
				Properties map[string]string `json:"properties"`
				Trace      string            `json:"objectWriteTraceId"`
			} `json:"inputs"`
		}
		if err := json.Unmarshal([]byte(r.Body), &req); err != nil {
			t.Errorf("bad batch body: %v", err)
		}
		var results, errs []string
		for i, in := range req.Inputs {
			email := in.Properties["email"]
			if email == "" {
				email = in.ID
			}
			if strings.Contains(email, "bad") {
				errs = append(errs, fmt.Sprintf(`{"status":"error","category":"VALIDATION_ERROR","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Email address %s is invalid\",\"error\":\"INVALID_EMAIL\",\"name\":\"email\"}]","context":{"objectWriteTraceId":[%q]}}`, email, in.Trace))
				continue
			}
			results = append(results, fmt.Sprintf(`{"id":"%d","properties":{"email":%q},"new":%v,"objectWriteTraceId":%q}`,
				1000+i, strings.ToLower(email), i%2 == 0, in.Trace))
		}
		rand.Shuffle(len(results), func(i, j int) { results[i], results[j] = results[j], results[i] })
		code := status
		if len(errs) > 0 {
			code = 207
		}
		writeJSON(w, code, fmt.Sprintf(`{"status":"COMPLETE","results":[%s],"numErrors":%d,"errors":[%s]}`,
			strings.Join(results, ","), len(errs), strings.Join(errs, ",")))
	}
}

func TestBatchCreateMatchesShuffledMultiStatusResults(t *testing.T) {
	t.Parallel()
	fake := newFakeHubSpot(t, batchEcho(t, 201))
	c := testClient(t, fake.srv.URL, nil)
	emails := []string{"a@x.com", "bad-1", "c@x.com", "d@x.com", "bad-2", "f@x.com"}
	inputs := make([]BatchCreateInput, len(emails))
	for i, e := range emails {
		inputs[i] = BatchCreateInput{Properties: map[string]string{"email": e}}
	}
	res, err := c.BatchCreate(t.Context(), "contacts", inputs)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range emails {
		o := res.Outcomes[i]
		if strings.HasPrefix(e, "bad") {
			var apiErr *APIError
			if !errors.As(o.Err, &apiErr) || !errors.Is(o.Err, ErrValidation) {
				t.Errorf("input %d (%s): err = %v, want a validation error", i, e, o.Err)
				continue
			}
			if len(apiErr.Violations) != 1 || apiErr.Violations[0].PropertyName != "email" || !strings.Contains(apiErr.Message, e) {
				t.Errorf("input %d: violation %+v does not describe %s", i, apiErr.Violations, e)
			}
			continue
		}
		if o.Err != nil || o.Object == nil {
			t.Errorf("input %d (%s): outcome %+v, want success", i, e, o)
			continue
		}
		if got := o.Object.Properties["email"]; got != e || string(o.Object.ID) != fmt.Sprint(1000+i) {
			t.Errorf("input %d (%s) matched record %s/%s", i, e, o.Object.ID, got)
		}
	}
	if res.Failed() != 2 || len(res.Errors) != 2 || len(res.Unmatched) != 0 {
		t.Errorf("Failed=%d Errors=%d Unmatched=%d", res.Failed(), len(res.Errors), len(res.Unmatched))
	}
	// Every input must have carried a distinct trace id and associations.
	var sent struct {
		Inputs []map[string]json.RawMessage `json:"inputs"`
	}
	_ = json.Unmarshal([]byte(fake.seen()[0].Body), &sent)
	traces := map[string]bool{}
	for _, in := range sent.Inputs {
		traces[string(in["objectWriteTraceId"])] = true
		if string(in["associations"]) != "[]" {
			t.Errorf("input sent associations %s, want []", in["associations"])
		}
	}
	if len(traces) != len(emails) {
		t.Errorf("sent %d distinct trace ids for %d inputs", len(traces), len(emails))
	}
}

func TestBatchUpsertByEmailMatchesCaseInsensitively(t *testing.T) {
	t.Parallel()
	// This server does not echo trace ids, so matching must fall back to the
	// idProperty value, which HubSpot lowercases.
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
		writeJSON(w, 200, `{"status":"COMPLETE","results":[
			{"id":"2","new":true,"properties":{"email":"bob@x.com"}},
			{"id":"1","new":false,"properties":{"email":"alice@x.com"}}]}`)
	})
	c := testClient(t, fake.srv.URL, nil)
	res, err := c.BatchUpsert(t.Context(), "contacts", []BatchUpsertInput{
		{ID: "Alice@X.com", IDProperty: "email", Properties: map[string]string{"firstname": "Alice"}},
		{ID: "bob@x.com", IDProperty: "email", Properties: map[string]string{"firstname": "Bob"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{string(res.Outcomes[0].Object.ID), fmt.Sprint(res.Outcomes[0].New), string(res.Outcomes[1].Object.ID), fmt.Sprint(res.Outcomes[1].New)}
	if d := diff([]string{"1", "false", "2", "true"}, got); d != "" {
		t.Error(d)
	}
	body := fake.seen()[0].Body
	if !strings.Contains(body, `"idProperty":"email"`) || !strings.Contains(body, `"objectWriteTraceId":"cf-`) {
		t.Errorf("upsert inputs must carry idProperty and a trace id: %s", body)
	}
}

func TestBatchReadPartialNotFound(t *testing.T) {
	t.Parallel()
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
		writeJSON(w, 207, `{"status":"COMPLETE","results":[{"id":"3","properties":{"email":"c@x.com"}},{"id":"1","properties":{"email":"a@x.com"}}],
			"numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.","context":{"ids":["2","4"]}}]}`)
	})
	c := testClient(t, fake.srv.URL, nil)
	res, err := c.BatchRead(t.Context(), "contacts", BatchReadRequest{IDs: []string{"1", "2", "3", "4"}, Properties: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, wantFound := range []bool{true, false, true, false} {
		o := res.Outcomes[i]
		if wantFound && (o.Object == nil || string(o.Object.ID) != fmt.Sprint(i+1)) {
			t.Errorf("input %d: %+v, want record %d", i, o, i+1)
		}
		if !wantFound && !errors.Is(o.Err, ErrNotFound) {
			t.Errorf("input %d: err %v, want ErrNotFound", i, o.Err)
		}
	}
	if want := `{"inputs":[{"id":"1"},{"id":"2"},{"id":"3"},{"id":"4"}],"properties":["email"],"propertiesWithHistory":[]}`; canonicalJSON(t, fake.seen()[0].Body) != canonicalJSON(t, want) {
		t.Errorf("body %s", fake.seen()[0].Body)
	}
}

func TestBatchResultWithoutAnyMatchIsReported(t *testing.T) {
	t.Parallel()
	fake := newFakeHubSpot(t, func(w http.ResponseWriter, r seen) {
		writeJSON(w, 200, `{"status":"COMPLETE","results":[{"id":"77","properties":{}}]}`)
	})
	c := testClient(t, fake.srv.URL, nil)
	res, err := c.BatchUpdate(t.Context(), "deals", []BatchUpdateInput{{ID: "5", Properties: map[string]string{"dealstage": "won"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res.Outcomes[0].Err, ErrNoResult) || len(res.Unmatched) != 1 {
		t.Fatalf("outcome %+v unmatched %d: an unrelated result must not be attributed to the input", res.Outcomes[0], len(res.Unmatched))
	}
}

// FuzzBatchResponse: any body that decodes is matched to inputs without
// panicking, every input gets exactly one outcome, and nothing is lost.
func FuzzBatchResponse(f *testing.F) {
	f.Add(`{"status":"COMPLETE","results":[{"id":"1","properties":{"email":"A@x.com","x":null,"n":5},"objectWriteTraceId":"t0","new":true}],"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","context":{"ids":["2",3]}}]}`)
	f.Add(`{"results":[{"id":2},{"id":"1"}],"errors":[{"objectWriteTraceId":"t1","category":"VALIDATION_ERROR","message":"Property values were not valid: [{\"name\":\"email\"}]"}]}`)
	f.Add(`{"results":null,"errors":[1,"x",null,{}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var resp batchResponse
		if json.Unmarshal([]byte(body), &resp) != nil {
			return
		}
		keys := []inputKey{{traceID: "t0", id: "1"}, {traceID: "t1", idValue: "a@x.com"}, {id: "2"}, {idValue: "3"}}
		res := newBatchMatcher(keys, "email").apply(resp, "POST /x", func(s string) string { return s })
		if len(res.Outcomes) != len(keys) {
			t.Fatalf("%d outcomes for %d inputs", len(res.Outcomes), len(keys))
		}
		matched := 0
		for _, o := range res.Outcomes {
			if (o.Object == nil) == (o.Err == nil) {
				t.Fatalf("outcome %+v must have exactly one of object and error", o)
			}
			if o.Object != nil {
				matched++
			}
		}
		if matched+len(res.Unmatched) != len(resp.Results) {
			t.Fatalf("%d matched + %d unmatched != %d results", matched, len(res.Unmatched), len(resp.Results))
		}
	})
}
