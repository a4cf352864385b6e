package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// crashEvents is how many timeline events are queued or in flight when the server is killed.
const crashEvents = 5000

// serverBinary builds this package's program once for the tests that need a real process.
func serverBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs the server binary and returns its gRPC address once it serves. Its
// interrupt stops it without a drain delay: no load balancer sends to it.
func startProcess(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd, addrs := startProcessWith(t, bin, processOptions{}, args...)
	return cmd, addrs.grpc
}

// processOptions are what startProcessWith adds to a run of the server binary.
type processOptions struct {
	env      []string    // the process's environment; nil inherits the test's
	problems *syncBuffer // receives the process's WARN and ERROR log lines; nil drops them
}

// servingAddrs are the addresses a started server logged in its "serving" line.
type servingAddrs struct{ grpc, http string }

// startProcessWith is startProcess with an environment and a sink for the process's
// problems, and returns both of its addresses.
func startProcessWith(t *testing.T, bin string, opts processOptions, args ...string) (*exec.Cmd, servingAddrs) {
	t.Helper()
	args = append([]string{"--drain-delay", "0"}, args...)
	if *e2eAPIVersion != "" {
		args = append(args, "--hubspot-api-version", *e2eAPIVersion)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = opts.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan servingAddrs, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			switch {
			case line["msg"] == "serving":
				addr <- servingAddrs{grpc: line["grpc_addr"].(string), http: line["http_addr"].(string)}
			case opts.problems != nil && (line["level"] == "WARN" || line["level"] == "ERROR"):
				fmt.Fprintf(opts.problems, "%s\n", sc.Bytes())
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the server did not start within 30 s")
		return nil, servingAddrs{}
	}
}

// TestSIGKILLMidDeliveryLogsEveryEventExactlyOnce kills the server process while thousands of
// timeline events are queued or on their way to HubSpot, restarts it on the same database,
// and checks that every event is in HubSpot exactly once.
func TestSIGKILLMidDeliveryLogsEveryEventExactlyOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := serverBinary(t)
	// The in-doubt check must run after HubSpot's search has seen a write: this test scales
	// --timeline-check-delay down to 300 ms, and the search lag by the same factor as the
	// defaults' (30 s and 3 s).
	sb := sandbox.New(sandbox.Options{Limits: sandbox.Limits{PerWindow: 1000, Window: time.Second}, SearchLag: 30 * time.Millisecond})
	served := newServedSignal(sb)
	hub := httptest.NewServer(served)
	defer hub.Close()
	acct, _ := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierEnterprise})
	tok, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	seed, err := sb.SeedSampleData(acct.HubID)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "data", "integrations.db")
	keyOut, err := exec.Command(bin, "apikey", "create", "--workspace", "acme", "--db", db).Output()
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(keyOut))
	args := []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", db, "--log-format", "json",
		"--hubspot-base-url", hub.URL, "--timeline-check-delay", "300ms",
		"--timeline-lease-ttl", "1s"} // the killed server never releases its lease: the restart waits for it to expire
	cmd, addr := startProcess(t, bin, args...)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	c, err := client.New(addr, client.WithAPIKey(key), client.WithPlaintext())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Connect(context.Background(), &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Prod", AccessToken: tok.Token})
	if err != nil {
		t.Fatal(err)
	}
	// Hold delivery while the events are accepted (without the contacts write scope HubSpot
	// refuses engagements, which the outbox holds), so that the kill lands mid-delivery.
	if err := sb.SetTokenScopes(tok.Token, without(sandbox.AllScopes(), "crm.objects.contacts.write")); err != nil {
		t.Fatal(err)
	}
	// Every note batch is applied at once and answered 40 ms later, so the batches in flight
	// when the server dies are in HubSpot without the server having heard of them.
	if _, err := sb.AddFault(sandbox.FaultRule{Method: "POST", Path: familyPath("/crm/v3/objects/notes/batch/create", "/crm/objects/2026-03/notes/batch/create"), ResponseDelay: 40 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, crashEvents)
	var wg sync.WaitGroup
	errs := make(chan error, crashEvents)
	for w := range 50 {
		wg.Go(func() {
			for i := w; i < crashEvents; i += 50 {
				ev, err := c.LogTimelineEvent(context.Background(), &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(), RequestId: fmt.Sprintf("conv-%d", i),
					TimelineEvent: &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_CHAT, Title: "Chat", Body: "Resolved",
						Contact:   &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: seed.Contacts[i%len(seed.Contacts)]}},
						OccurTime: timestamppb.New(time.Date(2026, 11, 27, 12, 0, 0, i, time.UTC))}})
				if err != nil {
					errs <- err
					return
				}
				ids[i] = ev.GetName()[strings.LastIndex(ev.GetName(), "/")+1:]
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("LogTimelineEvent: %v", err)
	}
	if n := sb.RecordCount(acct.HubID, "notes") - 1; n != 0 {
		t.Fatalf("%d notes delivered while the scope was missing", n)
	}
	// Release: the scope is back, and rotating to the same token wakes the held events.
	if err := sb.SetTokenScopes(tok.Token, sandbox.AllScopes()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateCredentials(context.Background(), &integrationsv1.UpdateCredentialsRequest{Name: conn.GetName(), AccessToken: tok.Token}); err != nil {
		t.Fatal(err)
	}
	c.Close()

	// Kill the server mid-delivery.
	served.waitUntil(t, 30*time.Second, func() bool { return sb.RecordCount(acct.HubID, "notes") >= crashEvents/5 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	atKill := sb.RecordCount(acct.HubID, "notes") - 1 // one note is seeded
	if atKill <= 0 || atKill >= crashEvents {
		t.Fatalf("killed with %d of %d events delivered; the kill must land mid-delivery", atKill, crashEvents)
	}

	restarted := time.Now()
	cmd2, _ := startProcess(t, bin, args...)
	defer func() { cmd2.Process.Signal(os.Interrupt); cmd2.Wait() }()
	var counts map[string]int
	served.waitUntil(t, 60*time.Second, func() bool {
		counts = notesPerEvent(sb, acct.HubID)
		return len(counts) == crashEvents
	})
	t.Logf("killed with %d events delivered; %v after the restart, %d distinct events in HubSpot", atKill, time.Since(restarted).Round(time.Millisecond), len(counts))
	missing, twice := 0, 0
	for _, id := range ids {
		switch counts[id] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	if missing != 0 || twice != 0 {
		t.Errorf("%d events never reached HubSpot and %d reached it more than once; want every one exactly once", missing, twice)
	}
}

// notesPerEvent counts the notes in HubSpot by the timeline event id their body carries
// ("cf-evt-" and 24 hex characters): an event delivered twice has 2.
func notesPerEvent(sb *sandbox.Sandbox, hubID int64) map[string]int {
	counts := map[string]int{}
	for _, n := range sb.Records(hubID, "notes") {
		body := n.Properties["hs_note_body"]
		if i := strings.LastIndex(body, "cf-evt-") + len("cf-evt-"); i >= len("cf-evt-") && len(body) >= i+24 {
			counts[body[i:i+24]]++
		}
	}
	return counts
}
