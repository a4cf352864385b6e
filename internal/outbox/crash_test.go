package outbox

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// crashEvents is how many events are queued or in flight when the worker is killed (the
// issue's 5,000; the run takes about 3 s under -race).
const crashEvents = 5000

// crashBatch is small enough that the run spans many requests, so the kill lands mid-flight.
const crashBatch = 25

// Environment of the re-executed child.
const (
	envCrashChild = "OUTBOX_CRASH_CHILD"
	envCrashDB    = "OUTBOX_CRASH_DB"
	envCrashURL   = "OUTBOX_CRASH_URL"
	envCrashToken = "OUTBOX_CRASH_TOKEN"
)

// TestCrashChild is the worker process of TestCrashMidFlightDeliversExactlyOnce: the test
// binary re-runs itself with this test selected, and it delivers until it is killed.
func TestCrashChild(t *testing.T) {
	if os.Getenv(envCrashChild) != "1" {
		t.Skip("runs only as the child of TestCrashMidFlightDeliversExactlyOnce")
	}
	st := openStore(t, os.Getenv(envCrashDB))
	client := newClient(t, os.Getenv(envCrashURL), os.Getenv(envCrashToken), crashLimits, hubspot.SystemClock{})
	// The child dies holding the delivery lease; a short one lets the restart take over soon.
	ob, err := New(Config{Store: st, BatchSize: crashBatch, CheckDelay: 100 * time.Millisecond, LeaseTTL: time.Second,
		Clients: ClientsFunc(func(context.Context, store.Connection) (*hubspot.Client, error) { return client, nil })})
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Not a wait for anything: the child delivers until the parent kills it, and a child whose
	// parent is gone ends after a minute.
	time.Sleep(time.Minute)
	t.Error("the child was not killed")
}

var crashLimits = sandbox.Limits{PerWindow: 1000, Window: time.Second, SearchPerSecond: 50}

func TestCrashMidFlightDeliversExactlyOnce(t *testing.T) {
	if os.Getenv(envCrashChild) == "1" {
		t.Skip("this is the child")
	}
	e := newTestEnv(t, envOptions{limits: crashLimits})
	// Every batch create is applied at once and answered 40 ms later: whatever is in flight
	// when the child dies is in HubSpot without the child having heard of it.
	if _, err := e.sb.AddFault(sandbox.FaultRule{Method: "POST", Path: batchCreatePath, ResponseDelay: 40 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	queue, err := New(e.config()) // not started: the child delivers
	if err != nil {
		t.Fatal(err)
	}
	ids := enqueueNotes(t, queue, e.contact("crash@example.com"), crashEvents)

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashChild+"=1", envCrashDB+"="+e.dbPath, envCrashURL+"="+e.srv.URL, envCrashToken+"="+e.token)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it with SIGKILL once a quarter of the events are in HubSpot.
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // a no-op once it is dead
	e.waitUntil("a quarter of the events in HubSpot", func() bool { return len(markerCounts(e.sb, e.hubID)) >= crashEvents/4 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// The sandbox finishes the requests the child left, then closes their connections.
	e.waitUntil("the child's connections to the sandbox to close", func() bool { return e.sandboxConns.Load() == 0 })

	inHubSpot := markerCounts(e.sb, e.hubID)
	unrecorded, queued := 0, 0
	for _, id := range ids {
		row, err := e.st.GetOutboxEvent(context.Background(), testWorkspace, testConnection, id)
		if err != nil {
			t.Fatal(err)
		}
		if row.Status == store.OutboxQueued {
			queued++
			if inHubSpot[markerOf(id)] > 0 {
				unrecorded++
			}
		}
	}
	t.Logf("killed with %d events in HubSpot, %d still queued, of which %d were applied without the child knowing",
		len(inHubSpot), queued, unrecorded)
	if queued == 0 {
		t.Fatal("the child finished before the kill: nothing left to resume")
	}
	if unrecorded == 0 {
		t.Error("no event was applied without being recorded: the kill did not land mid-request")
	}

	// Restart: the in-doubt events are found in HubSpot instead of being sent again.
	e.start(e.config())
	e.waitAllFinal()
	assertExactlyOnce(t, e, ids)
}
