package sandbox_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/sandbox"
)

func adminCall(t *testing.T, base, method, path string, body any, wantStatus int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+"/_sandbox"+path, rd)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, wantStatus, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

func TestAdminAPI(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	b := srv.URL

	acct := adminCall(t, b, "POST", "/accounts", map[string]any{"tier": "ENTERPRISE", "timeZone": "Europe/Berlin"}, 201)
	hub := fmt.Sprint(int64(acct["hubId"].(float64)))
	tok := adminCall(t, b, "POST", "/tokens", map[string]any{"hubId": acct["hubId"], "scopes": []string{"crm.objects.contacts.read"}}, 201)
	adminCall(t, b, "POST", "/accounts/"+hub+"/properties/contacts", map[string]any{"name": "shoe_size", "label": "Shoe size",
		"type": "number", "fieldType": "number", "groupName": "contactinformation"}, 201)
	rec := adminCall(t, b, "POST", "/accounts/"+hub+"/objects/contacts", map[string]any{"properties": map[string]string{"email": "x@example.com", "shoe_size": "44"}}, 201)
	adminCall(t, b, "POST", "/accounts/"+hub+"/objects/contacts", map[string]any{"properties": map[string]string{"shoe_size": "big"}}, 400)
	adminCall(t, b, "POST", "/accounts/"+hub+"/objects/contacts", map[string]any{"properties": map[string]string{"email": "x@example.com"}}, 409)
	adminCall(t, b, "POST", "/accounts/"+hub+"/seed", nil, 201)
	adminCall(t, b, "PUT", "/limits", map[string]any{"perWindow": 2, "window": "1h"}, 200)

	get := func() *http.Response {
		req, _ := http.NewRequest("GET", b+"/crm/v3/objects/contacts/"+rec["id"].(string)+"?properties=shoe_size", nil)
		req.Header.Set("Authorization", "Bearer "+tok["token"].(string))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := get(); res.StatusCode != 200 || res.Header.Get("X-HubSpot-RateLimit-Max") != "2" {
		t.Fatalf("GET: %d, Max %q", res.StatusCode, res.Header.Get("X-HubSpot-RateLimit-Max"))
	}
	get()
	if res := get(); res.StatusCode != 429 {
		t.Fatalf("third request: %d, want 429", res.StatusCode)
	}
	adminCall(t, b, "PUT", "/limits", map[string]any{"limitIncreases": 3}, 400) // HubSpot sells two at most
	adminCall(t, b, "PUT", "/limits", map[string]any{"limitIncreases": 2}, 200)
	if res := get(); res.StatusCode != 200 || res.Header.Get("X-HubSpot-RateLimit-Max") != "250" || res.Header.Get("X-HubSpot-RateLimit-Daily") != "3000000" {
		t.Fatalf("with two limit increases: %d, Max %q, Daily %q", res.StatusCode, res.Header.Get("X-HubSpot-RateLimit-Max"), res.Header.Get("X-HubSpot-RateLimit-Daily"))
	}
	adminCall(t, b, "PUT", "/limits", map[string]any{}, 200)

	fault := adminCall(t, b, "POST", "/faults", map[string]any{"path": "/crm/v3/objects/contacts/*", "errorRates": map[string]float64{"503": 1}}, 201)
	if res := get(); res.StatusCode != 503 {
		t.Fatalf("with fault: %d", res.StatusCode)
	}
	adminCall(t, b, "DELETE", "/faults/"+fault["id"].(string), nil, 204)
	if res := get(); res.StatusCode != 200 {
		t.Fatalf("fault removed: %d", res.StatusCode)
	}

	counters := adminCall(t, b, "GET", "/counters", nil, 200)
	byStatus := counters["requests"].(map[string]any)["GET /crm/v3/objects/contacts/{objectId}"].(map[string]any)
	if byStatus["200"] != float64(4) || byStatus["429"] != float64(1) || byStatus["503"] != float64(1) {
		t.Fatalf("counters by status: %v", byStatus)
	}
	if counters["rateLimited"].(map[string]any)["TEN_SECONDLY_ROLLING"] != float64(1) {
		t.Fatalf("rateLimited: %v", counters["rateLimited"])
	}
	if receipts := counters["receiptTimes"].(map[string]any)[fmt.Sprint(int64(tok["appId"].(float64)))]; len(receipts.([]any)) != 4 { // 429s and faulted requests are not receipts
		t.Fatalf("receipt times: %v", receipts)
	}

	adminCall(t, b, "POST", "/tokens/"+tok["token"].(string)+"/revoke", nil, 200)
	if res := get(); res.StatusCode != 401 {
		t.Fatalf("revoked: %d", res.StatusCode)
	}
	adminCall(t, b, "POST", "/counters/reset", nil, 204)
	adminCall(t, b, "POST", "/reset", map[string]any{"seed": 1}, 204)
	if n := len(sb.Accounts()); n != 0 {
		t.Fatalf("%d accounts after reset", n)
	}
}

func TestConcurrentWritesAreSafe(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				e.do("POST", "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{map[string]any{
					"id": fmt.Sprintf("c%d@example.com", i), "idProperty": "email", "properties": props("firstname", fmt.Sprint(w))}}})
				e.do("POST", "/crm/v3/objects/contacts/search", map[string]any{"limit": 1})
			}
		}()
	}
	wg.Wait()
	if n := e.sb.RecordCount(e.acct.HubID, "contacts"); n != 20+25 {
		t.Fatalf("%d contacts, want 45: concurrent upserts by email must not duplicate", n)
	}
}

func TestRunCLI(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- sandbox.RunCLI(ctx, []string{"--listen", "127.0.0.1:0", "--token", "pat-na1-full",
			"--token", "pat-na1-contacts=crm.objects.contacts.read", "--limit", "5", "--window", "2s", "--search-lag", "0"}, pw, io.Discard)
		pw.Close()
	}()
	var base string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "export HUBSPOT_BASE_URL="); ok {
			base = v
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" {
		t.Fatal("no base URL printed")
	}
	call := func(token, path string) *http.Response {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := call("pat-na1-full", "/crm/v3/objects/deals"); res.StatusCode != 200 || res.Header.Get("X-HubSpot-RateLimit-Max") != "5" ||
		res.Header.Get("X-HubSpot-RateLimit-Interval-Milliseconds") != "2000" {
		t.Fatalf("full token: %d %v", res.StatusCode, res.Header)
	}
	if res := call("pat-na1-contacts", "/crm/v3/objects/deals"); res.StatusCode != 403 {
		t.Fatalf("scoped token on deals: %d", res.StatusCode)
	}
	// --search-lag 0: search sees a write at once (the default lag would hide it for 3 s).
	post := func(path, body string) map[string]any {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer pat-na1-full")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	post("/crm/v3/objects/contacts", `{"properties":{"email":"cli@acme.example"}}`)
	found := post("/crm/v3/objects/contacts/search", `{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"cli@acme.example"}]}]}`)
	if found["total"] != float64(1) {
		t.Fatalf("search right after a create with --search-lag 0 = %v; want it found", found)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunCLI did not stop after cancel")
	}

	var out bytes.Buffer
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := sandbox.RunCLI(ctx2, []string{"--listen", "127.0.0.1:0"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "export HUBSPOT_TOKEN=pat-na1-") || !strings.Contains(out.String(), "all scopes") {
		t.Fatalf("without --token a ready token is printed:\n%s", out.String())
	}
	if err := sandbox.RunCLI(ctx2, []string{"--search-lag", "-1s"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--search-lag") {
		t.Fatalf("RunCLI --search-lag -1s = %v; want a refusal naming --search-lag", err)
	}
}
