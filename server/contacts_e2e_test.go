package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

func props(kv ...any) map[string]*structpb.Value {
	out := map[string]*structpb.Value{}
	for i := 0; i < len(kv); i += 2 {
		v, err := structpb.NewValue(kv[i+1])
		if err != nil {
			panic(err)
		}
		out[kv[i].(string)] = v
	}
	return out
}

func TestUpsertContact(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	first, err := c.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: "  Ada@Example.COM ",
		Properties: props("firstname", "Ada", "account_tier", "Enterprise", "lifetime_value", 150000, "renewal_date", "2026-11-27", "product_interests", []any{"Widgets", "services"})})
	if err != nil {
		t.Fatal(err)
	}
	if !first.GetCreated() || first.GetContactId() == "" || first.GetContact() != client.RecordName(conn.GetName(), "contacts", first.GetContactId()) {
		t.Fatalf("first upsert = %v", first)
	}
	rec, _ := ts.sb.Record(ts.acct.HubID, "contacts", first.GetContactId())
	if rec["email"] != "ada@example.com" || rec["account_tier"] != "enterprise" || rec["lifetime_value"] != "150000" ||
		rec["renewal_date"] != "2026-11-27" || rec["product_interests"] != "widgets;services" {
		t.Errorf("HubSpot holds %v", rec)
	}
	again, err := c.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: "ada@example.com", Properties: props("lastname", "Lovelace")})
	if err != nil || again.GetCreated() || again.GetContactId() != first.GetContactId() {
		t.Errorf("second upsert = %v, %v; want the same contact, updated", again, err)
	}
	// REST: the same RPC, JSON values as a workflow produces them.
	r := ts.do(t, "POST", "/v1/"+conn.GetName()+"/contacts:upsert", ts.keys["acme"], `{"email":"grace@example.com","properties":{"newsletter_opt_in":true,"lifetime_value":12.5}}`)
	if r.code != 200 || r.body["created"] != true {
		t.Errorf("REST upsert = %d %s", r.code, r.raw)
	}
	bad := []struct {
		name   string
		req    *integrationsv1.UpsertContactRequest
		fields []string
	}{
		{"not an email", &integrationsv1.UpsertContactRequest{Email: "ada at example"}, []string{"email"}},
		{"no email", &integrationsv1.UpsertContactRequest{}, []string{"email"}},
		{"bad values", &integrationsv1.UpsertContactRequest{Email: "x@example.com", Properties: props("lifetime_value", "lots", "account_tier", "Gold", "firstnam", "Ada", "hs_object_id", 5)},
			[]string{"properties.account_tier", "properties.firstnam", "properties.hs_object_id", "properties.lifetime_value"}},
		{"email property differs", &integrationsv1.UpsertContactRequest{Email: "x@example.com", Properties: props("email", "y@example.com")}, []string{"properties.email"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Connection = conn.GetName()
			_, err := c.UpsertContact(ctx, tc.req)
			e := client.ErrorDetails(err)
			var got []string
			for _, v := range e.FieldViolations {
				got = append(got, v.Field)
			}
			if e.Code != codes.InvalidArgument {
				t.Errorf("error = %+v; want INVALID_ARGUMENT", e)
			}
			if d := cmp.Diff(tc.fields, sorted(got)); d != "" {
				t.Errorf("violated fields (-want +got):\n%s", d)
			}
		})
	}
	if n := ts.sb.RecordCount(ts.acct.HubID, "contacts"); n != 2 {
		t.Errorf("HubSpot holds %d contacts, want 2 (refused upserts must send nothing)", n)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestConcurrentUpsertsOneBad: one bad value among 100 concurrent upserts fails only its call,
// and the 99 others are coalesced into batch requests.
func TestConcurrentUpsertsOneBad(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	before := requestsTo(ts.sb.Counters().Requests, "batch/upsert")
	var wg sync.WaitGroup
	errs := make([]error, 100)
	for i := range 100 {
		wg.Go(func() {
			tier := "pro"
			if i == 37 {
				tier = "Platinum"
			}
			_, errs[i] = c.UpsertContact(context.Background(), &integrationsv1.UpsertContactRequest{Connection: conn.GetName(),
				Email: fmt.Sprintf("burst%d@example.com", i), Properties: props("account_tier", tier)})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i == 37 {
			if e := client.ErrorDetails(err); e.Code != codes.InvalidArgument || e.FieldViolations[0].Field != "properties.account_tier" {
				t.Errorf("the bad upsert: %+v", e)
			}
		} else if err != nil {
			t.Errorf("upsert %d failed because of its neighbour: %v", i, err)
		}
	}
	sent := requestsTo(ts.sb.Counters().Requests, "batch/upsert") - before
	if sent < 1 || sent > 10 {
		t.Errorf("99 upserts took %d batch requests; want them coalesced", sent)
	}
	if n := ts.sb.RecordCount(ts.acct.HubID, "contacts"); n != 99 {
		t.Errorf("HubSpot holds %d contacts, want 99", n)
	}
}

func TestBatchUpsertContacts(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	var in []*integrationsv1.ContactUpsert
	for i := range 250 {
		in = append(in, &integrationsv1.ContactUpsert{Email: fmt.Sprintf("bulk%d@example.com", i), Properties: props("lifetime_value", i)})
	}
	in[3].Email = "not-an-email"
	in[7].Properties = props("renewal_date", "2026-11-27T10:00:00Z")
	in = append(in, &integrationsv1.ContactUpsert{Email: "BULK0@example.com", Properties: props("firstname", "Again")})
	resp, err := c.BatchUpsertContacts(context.Background(), &integrationsv1.BatchUpsertContactsRequest{Connection: conn.GetName(), Contacts: in})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetResults()) != len(in) {
		t.Fatalf("%d results for %d contacts", len(resp.GetResults()), len(in))
	}
	for i, r := range resp.GetResults() {
		switch i {
		case 3, 7:
			if r.GetError() == nil || codes.Code(r.GetError().GetCode()) != codes.InvalidArgument || r.GetContactId() != "" {
				t.Errorf("result %d = %v; want INVALID_ARGUMENT", i, r)
			}
			if i == 7 && !strings.Contains(r.GetError().GetMessage(), "midnight UTC") {
				t.Errorf("result 7 message %q does not say why", r.GetError().GetMessage())
			}
		default:
			if r.GetError() != nil || r.GetContactId() == "" {
				t.Errorf("result %d = %v", i, r)
			}
		}
	}
	if resp.GetResults()[250].GetContactId() != resp.GetResults()[0].GetContactId() || resp.GetResults()[250].GetEmail() != "bulk0@example.com" {
		t.Errorf("the repeated email got %v, want the same contact as result 0", resp.GetResults()[250])
	}
	_, err = c.BatchUpsertContacts(context.Background(), &integrationsv1.BatchUpsertContactsRequest{Connection: conn.GetName(), Contacts: make([]*integrationsv1.ContactUpsert, 1001)})
	if e := client.ErrorDetails(err); e.Code != codes.InvalidArgument || e.FieldViolations[0].Field != "contacts" {
		t.Errorf("1,001 contacts: %+v", e)
	}
}

// TestUpsertDeadlineShorterThanTheQueue: with HubSpot's budget spent, callers whose deadline
// is shorter than the wait fail fast and cleanly, never late.
func TestUpsertDeadlineShorterThanTheQueue(t *testing.T) {
	// Not parallel: it bounds the slowest call in wall-clock time, which the load of other tests
	// would stretch.
	ts := startServer(t)
	conn := ts.connect(t, "prod")
	c := ts.client(t, ts.keys["acme"])
	// HubSpot's budget shrinks to 2 requests per 3 s once connected (discovering the fields
	// alone takes more than that). One upsert teaches the limiter the new budget (a 429 or two
	// while it learns is HubSpot's rule, retried); from then on there must be none.
	ts.sb.SetLimits(sandbox.Limits{PerWindow: 2, Window: 3 * time.Second})
	teach, cancelTeach := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancelTeach()
	if _, err := c.UpsertContact(teach, &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: "teach@example.com"}); err != nil {
		t.Fatal(err)
	}
	limitedBefore := ts.sb.Counters().RateLimited["TEN_SECONDLY_ROLLING"]
	var wg sync.WaitGroup
	var mu sync.Mutex
	codesSeen := map[codes.Code]int{}
	var slowest time.Duration
	for i := range 300 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := c.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{Connection: conn.GetName(), Email: fmt.Sprintf("q%d@example.com", i)})
			took := time.Since(start)
			e := client.ErrorDetails(err)
			mu.Lock()
			defer mu.Unlock()
			slowest = max(slowest, took)
			if err == nil {
				codesSeen[codes.OK]++
				return
			}
			codesSeen[e.Code]++
			if e.Code == codes.ResourceExhausted && e.RetryDelay <= 0 {
				t.Errorf("RESOURCE_EXHAUSTED without RetryInfo: %+v", e)
			}
		})
	}
	wg.Wait()
	t.Logf("outcomes %v, slowest call %v", codesSeen, slowest)
	if slowest > 2*time.Second {
		t.Errorf("a call took %v with a 300 ms deadline", slowest)
	}
	for code := range codesSeen {
		if code != codes.OK && code != codes.DeadlineExceeded && code != codes.ResourceExhausted {
			t.Errorf("unexpected outcome %v", code)
		}
	}
	if codesSeen[codes.DeadlineExceeded]+codesSeen[codes.ResourceExhausted] == 0 {
		t.Error("no call failed, so the queue never outlasted the deadline: the test proves nothing")
	}
	if n := ts.sb.Counters().RateLimited["TEN_SECONDLY_ROLLING"] - limitedBefore; n != 0 {
		t.Errorf("HubSpot answered %d 429s under load", n)
	}
}
