package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/connectflo/integrations/internal/sandbox"
)

// Property reads run under the read lock, alongside each other. Admission must stay exact
// (each read counted once against the window) and reads must never see a write half done;
// under -race this also checks that the read handlers change nothing.
func TestPropertyReadsRunConcurrentlyAndStayCounted(t *testing.T) {
	clock := newFakeClock()
	const budget = 40
	sb := sandbox.New(sandbox.Options{Now: clock.Now, Limits: sandbox.Limits{PerWindow: budget, SearchPerSecond: 1_000}})
	acct, err := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierStarter})
	if err != nil {
		t.Fatal(err)
	}
	tok := newToken(t, sb, acct.HubID, sandbox.AllScopes())
	get := func(path string) (int, http.Header, []byte) {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, req)
		return rec.Code, rec.Header(), rec.Body.Bytes()
	}
	before := func() int {
		_, _, body := get("/crm/v3/properties/contacts")
		var out struct{ Results []json.RawMessage }
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		return len(out.Results)
	}()

	// 60 reads at once against a window with 39 requests left, while 20 properties are added.
	const readers, added = 60, 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	counts := []int{}
	for i := range readers {
		wg.Go(func() {
			path := "/crm/v3/properties/contacts"
			if i%3 == 0 {
				path += "/email"
			}
			status, header, body := get(path)
			mu.Lock()
			defer mu.Unlock()
			statuses[status]++
			if status == http.StatusOK && header.Get("X-HubSpot-RateLimit-Remaining") == "" {
				t.Errorf("%s: a read lost its rate-limit headers: %v", path, header)
			}
			if status == http.StatusOK && !strings.HasSuffix(path, "/email") {
				var out struct{ Results []struct{ Name string } }
				if err := json.Unmarshal(body, &out); err != nil {
					t.Errorf("%s: %v", path, err)
					return
				}
				counts = append(counts, len(out.Results))
			}
		})
	}
	for i := range added {
		wg.Go(func() {
			if _, err := sb.CreateProperty(acct.HubID, "contacts", sandbox.Property{Name: fmt.Sprintf("concurrent_%d", i), Label: "C",
				Type: "string", FieldType: "text", GroupName: "contactinformation"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if statuses[http.StatusOK] != budget-1 || statuses[http.StatusTooManyRequests] != readers-(budget-1) {
		t.Errorf("statuses %v: want %d answered and %d refused by the %d-request window", statuses, budget-1, readers-(budget-1), budget)
	}
	for _, n := range counts {
		if n < before || n > before+added {
			t.Errorf("a list showed %d properties, outside [%d, %d]", n, before, before+added)
		}
	}
	total := 0
	for _, byStatus := range sb.Counters().Requests {
		for _, n := range byStatus {
			total += n
		}
	}
	if total != readers+1 {
		t.Errorf("the sandbox counted %d requests, want %d", total, readers+1)
	}
}
