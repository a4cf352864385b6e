package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// TestRequestReplyLifecycle: a request_id is claimed once; a finished row is answered, a
// released one forgotten, an expired unfinished one taken over; the sweep forgets rows older
// than RequestIDRetention.
func TestRequestReplyLifecycle(t *testing.T) { storetest.OnEachEngine(t, testRequestReplyLifecycle) }

func testRequestReplyLifecycle(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Now()
	call := func(id, claim string, expire time.Time) RequestCall {
		return RequestCall{Workspace: "acme", RequestID: id, Method: "/s/M", Fingerprint: []byte{1}, Claim: claim, Expire: expire}
	}
	claim := func(c RequestCall) (RequestReply, bool) {
		t.Helper()
		row, claimed, err := s.ClaimRequest(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return row, claimed
	}
	if _, ok := claim(call("done", "a", now.Add(time.Hour))); !ok {
		t.Fatal("a new request_id was not claimed")
	}
	if _, ok := claim(call("done", "b", now.Add(time.Hour))); ok {
		t.Fatal("a running request_id was claimed twice")
	}
	if err := s.FinishRequest(ctx, "acme", "done", "b", 0, []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("another claim finished the row: %v", err)
	}
	if err := s.FinishRequest(ctx, "acme", "done", "a", 5, []byte("answer")); err != nil {
		t.Fatal(err)
	}
	if row, ok := claim(call("done", "c", now.Add(time.Hour))); ok || !row.Finished || row.Code != 5 || string(row.Answer) != "answer" {
		t.Errorf("finished row = %+v, claimed %v", row, ok)
	}

	claim(call("released", "a", now.Add(time.Hour)))
	if err := s.ReleaseRequest(ctx, "acme", "released", "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim(call("released", "b", now.Add(time.Hour))); !ok {
		t.Error("a released request_id was not claimed again")
	}

	claim(call("dead", "a", now.Add(-time.Second)))
	if _, ok := claim(call("dead", "b", now.Add(time.Hour))); !ok {
		t.Error("an expired unfinished row was not taken over")
	}

	n, err := s.PruneRequestIDs(ctx, now.Add(RequestIDRetention+time.Minute), 100)
	if err != nil || n != 3 {
		t.Errorf("pruned %d rows (%v), want the 3 request_ids", n, err)
	}
	if _, err := s.RequestReplyOf(ctx, "acme", "done"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a pruned row is still there: %v", err)
	}
}

// TestConcurrentClaimsOfOneRequestID: however the claims of concurrent calls are grouped into
// transactions, one of them holds the request_id, and a failed write (a finish without the
// claim) is undone alone while the others of its batch commit.
func TestConcurrentClaimsOfOneRequestID(t *testing.T) {
	storetest.OnEachEngine(t, testConcurrentClaimsOfOneRequestID)
}

func testConcurrentClaimsOfOneRequestID(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	const callers = 40
	claimed := make([]bool, callers)
	finishErrs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			_, claimed[i], err = s.ClaimRequest(ctx, RequestCall{Workspace: "acme", RequestID: "same", Method: "/s/M",
				Fingerprint: []byte{1}, Claim: fmt.Sprint(i), Expire: time.Now().Add(time.Hour)})
			if err != nil {
				t.Error(err)
			}
			// Each also tries to finish a row of its own request_id that it never claimed.
			finishErrs[i] = s.FinishRequest(ctx, "acme", fmt.Sprint("own-", i), "x", 0, nil)
		})
	}
	wg.Wait()
	holders := 0
	for i := range callers {
		if claimed[i] {
			holders++
		}
		if !errors.Is(finishErrs[i], ErrNotFound) {
			t.Errorf("finish without a claim: %v, want ErrNotFound", finishErrs[i])
		}
	}
	if holders != 1 {
		t.Errorf("%d callers hold the request_id, want 1", holders)
	}
}
