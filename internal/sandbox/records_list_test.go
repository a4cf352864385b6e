package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/sandbox"
)

func TestRecordsListsLiveRecordsInIDOrder(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	var ids []string
	for _, body := range []string{"first cf-evt-a", "second cf-evt-b", "third cf-evt-a"} {
		r := e.do("POST", "/crm/v3/objects/notes", map[string]any{
			"properties": props("hs_timestamp", "2026-03-10T15:00:00.000Z", "hs_note_body", body), "associations": []any{}}).want(t, 201)
		ids = append(ids, r.str("id"))
	}
	e.do("DELETE", "/crm/v3/objects/notes/"+ids[1], nil).want(t, 204)

	got := e.sb.Records(e.acct.HubID, "notes")
	perMarker := map[string]int{}
	var seen []string
	for _, r := range got {
		seen = append(seen, r.ID)
		if strings.Contains(r.Properties["hs_note_body"], "cf-evt-a") {
			perMarker["a"]++
		}
	}
	// The seeded account already holds one note; the archived one is left out.
	if perMarker["a"] != 2 || len(got) != 3 || seen[len(seen)-1] != ids[2] || strings.Contains(strings.Join(seen, ","), ids[1]+",") {
		t.Errorf("Records = %v (marker a seen %d times), want the seeded note and notes %s and %s", seen, perMarker["a"], ids[0], ids[2])
	}
	if e.sb.Records(e.acct.HubID, "no-such-type") != nil || e.sb.Records(999, "notes") != nil {
		t.Error("unknown type or account should give nil")
	}
}

func TestResponseDelayAppliesTheWriteBeforeAnswering(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	addFault(t, e, sandbox.FaultRule{Method: "POST", Path: "/crm/v3/objects/notes", ResponseDelay: 2 * time.Second})
	srv := httptest.NewServer(e.sb)
	defer srv.Close()
	before := e.sb.RecordCount(e.acct.HubID, "notes")

	// A client that gives up while the answer is held back: the note exists all the same.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	body := `{"properties":{"hs_timestamp":"2026-03-10T15:00:00.000Z","hs_note_body":"slow"},"associations":[]}`
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/crm/v3/objects/notes", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer (%d) before the delay", resp.StatusCode)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("the client waited %v: the delay should not outlive the client", d)
	}
	if got := e.sb.RecordCount(e.acct.HubID, "notes"); got != before+1 {
		t.Errorf("notes = %d, want %d: the write happens before the delayed answer", got, before+1)
	}
	rules := e.do("GET", "/_sandbox/faults", nil).want(t, 200)
	if !strings.Contains(string(rules.raw), `"responseDelay":"2s"`) {
		t.Errorf("admin API does not show the response delay: %s", rules.raw)
	}
}
