package sandbox_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/sandbox"
)

// served starts the env's sandbox on a real listener: resets and lost responses need a
// connection to drop.
func (e *env) served(t *testing.T) (base string, send func(method, path, body string) (*http.Response, error)) {
	srv := httptest.NewServer(e.sb)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	return srv.URL, func(method, path, body string) (*http.Response, error) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		return res, err
	}
}

func addFault(t *testing.T, e *env, r sandbox.FaultRule) {
	t.Helper()
	if _, err := e.sb.AddFault(r); err != nil {
		t.Fatal(err)
	}
}

func TestFaultKinds(t *testing.T) {
	const createBody = `{"properties":{"firstname":"Faulty"}}`
	tests := []struct {
		name        string
		rule        sandbox.FaultRule
		wantStatus  int  // 0: the connection is dropped
		wantWritten bool // did the create happen?
		faultKey    string
	}{
		{"error rate", sandbox.FaultRule{Method: "POST", Path: "/crm/v3/objects/contacts", ErrorRates: map[int]float64{502: 1}}, 502, false, "error_5xx"},
		{"glob path", sandbox.FaultRule{Path: "/crm/*/objects/*", ErrorRates: map[int]float64{504: 1}}, 504, false, "error_5xx"},
		{"outage", sandbox.FaultRule{Outage: time.Minute}, 503, false, "outage"},
		{"connection reset", sandbox.FaultRule{Method: "POST", ResetRate: 1}, 0, false, "connection_reset"},
		{"response lost after the write", sandbox.FaultRule{Method: "POST", LostResponseRate: 1}, 0, true, "lost_response"},
		{"other method unaffected", sandbox.FaultRule{Method: "GET", ErrorRates: map[int]float64{500: 1}}, 201, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			_, send := e.served(t)
			addFault(t, e, tt.rule)
			before := e.sb.RecordCount(e.acct.HubID, "contacts")
			res, err := send("POST", "/crm/v3/objects/contacts", createBody)
			if tt.wantStatus == 0 {
				if err == nil {
					t.Fatalf("want a dropped connection, got %d", res.StatusCode)
				}
			} else if err != nil || res.StatusCode != tt.wantStatus {
				t.Fatalf("got %v %v, want %d", res, err, tt.wantStatus)
			}
			if written := e.sb.RecordCount(e.acct.HubID, "contacts") > before; written != tt.wantWritten {
				t.Fatalf("written %v, want %v", written, tt.wantWritten)
			}
			if tt.faultKey != "" && e.sb.Counters().Faults[tt.faultKey] != 1 {
				t.Errorf("fault counters %v", e.sb.Counters().Faults)
			}
		})
	}
}

func TestOutageEndsWithTheClock(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	addFault(t, e, sandbox.FaultRule{Outage: 30 * time.Second})
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 503)
	e.clock.Advance(30 * time.Second)
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200)
}

func TestFaultCountAndRemoval(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	addFault(t, e, sandbox.FaultRule{ErrorRates: map[int]float64{500: 1}, Count: 2})
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 500)
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 500)
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200)

	addFault(t, e, sandbox.FaultRule{ErrorRates: map[int]float64{503: 1}})
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 503)
	e.sb.ClearFaults()
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200)
	if _, err := e.sb.AddFault(sandbox.FaultRule{ErrorRates: map[int]float64{404: 1}}); err == nil {
		t.Error("non-5xx error rates must be refused")
	}
}

func TestLatencyAndSeededDice(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	addFault(t, e, sandbox.FaultRule{Latency: 30 * time.Millisecond, Jitter: 10 * time.Millisecond})
	start := time.Now()
	e.do("GET", "/crm/v3/objects/contacts", nil).want(t, 200)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("answered after %v, want at least 30ms", d)
	}

	// The same seed gives the same sequence of faults.
	pattern := func(seed uint64) string {
		d := newEnv(t, sandbox.Options{Seed: seed})
		addFault(t, d, sandbox.FaultRule{ErrorRates: map[int]float64{500: 0.5}})
		var b strings.Builder
		for range 20 {
			if d.do("GET", "/crm/v3/objects/contacts", nil).status == 500 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := pattern(42), pattern(42)
	if a != b || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Fatalf("seeded runs %q and %q", a, b)
	}
}
