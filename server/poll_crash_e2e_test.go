package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

// pollCrashRecords is how many contacts the bulk edit changes: 15 search pages of 200.
const pollCrashRecords = 3000

// searchTrap holds the armAt-th search request the server sends HubSpot, unanswered until
// free closes, and closes hit: the test kills the server in the middle of a poll.
type searchTrap struct {
	h     http.Handler
	n     atomic.Int64
	armAt atomic.Int64 // 0: disarmed
	once  sync.Once
	hit   chan struct{}
	free  chan struct{}
}

func (s *searchTrap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/search") {
		if at := s.armAt.Load(); at > 0 && s.n.Add(1) == at {
			s.once.Do(func() { close(s.hit) })
			<-s.free // the server is killed meanwhile: this answer reaches no one
			http.Error(w, "gone", http.StatusServiceUnavailable)
			return
		}
	}
	s.h.ServeHTTP(w, r)
}

// TestSIGKILLMidPollLosesNothing kills the server process in the middle of a poll that needs
// several search pages (a bulk edit of 3,000 contacts with one timestamp), restarts it on the
// same database, and checks that every change is listed exactly once: the pages whose cursor
// was saved are not turned into new changes again, the page in flight is read again and
// deduplicated.
func TestSIGKILLMidPollLosesNothing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := serverBinary(t)
	sb := sandbox.New(sandbox.Options{SearchLag: sandbox.NoSearchLag})
	trap := &searchTrap{h: sb, hit: make(chan struct{}), free: make(chan struct{})}
	hub := httptest.NewServer(trap)
	defer hub.Close()
	defer close(trap.free) // before hub.Close, which waits for the held request
	acct, _ := sb.CreateAccount(sandbox.Account{Tier: sandbox.TierProfessional})
	tok, _ := sb.CreateToken(sandbox.Token{HubID: acct.HubID, Scopes: sandbox.AllScopes()})
	for i := range pollCrashRecords {
		if _, err := sb.CreateRecord(acct.HubID, "contacts", map[string]string{"email": fmt.Sprintf("crash%d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(t.TempDir(), "data", "integrations.db")
	keyOut, err := exec.Command(bin, "apikey", "create", "--workspace", "acme", "--db", db).Output()
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(keyOut))
	// The killed server never releases its poll lease: the restart waits for it to expire. A
	// poll is cut at half the lease and goes on only at the next interval (a minute), so the
	// lease leaves the restart's poll time for every page (5 s: 25 searches at 5 a second).
	args := []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", db, "--log-format", "json",
		"--hubspot-base-url", hub.URL, "--poll-search-share", "5", "--poll-lease-ttl", "10s"}
	ctx := context.Background()

	// First run: connect, and let polling record its baseline (the first poll reads nothing).
	cmd, addr := startProcess(t, bin, args...)
	c, err := client.New(addr, client.WithAPIKey(key), client.WithPlaintext())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Prod", ConnectionId: "prod", AccessToken: tok.Token})
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !eventually(func() bool { return pollBaselineSaved(t, db) }) {
		t.Fatalf("no poll baseline within %v", feedWait)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// HubSpot changes while no server runs; a started server polls at its first pass.
	res, err := sb.BulkEdit(acct.HubID, sandbox.BulkEdit{ObjectType: "contacts", Property: "lifecyclestage", Value: "lead", Count: pollCrashRecords})
	if err != nil || res.Edited != pollCrashRecords {
		t.Fatalf("BulkEdit = %+v, %v", res, err)
	}
	trap.armAt.Store(5)
	cmd2, _ := startProcess(t, bin, args...)
	select {
	case <-trap.hit:
	case <-time.After(feedWait):
		_ = cmd2.Process.Kill()
		_ = cmd2.Wait()
		t.Fatalf("the server did not send 5 searches within %v", feedWait)
	}
	if err := cmd2.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd2.Wait()
	trap.armAt.Store(0)

	cmd3, addr := startProcess(t, bin, args...)
	defer func() { _ = cmd3.Process.Signal(os.Interrupt); _ = cmd3.Wait() }()
	c, err = client.New(addr, client.WithAPIKey(key), client.WithPlaintext())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	collect(t, watchFor(t, c, conn.GetName(), ""), pollCrashRecords)

	// Every change once in ListChanges, with one id each.
	ids, records := map[string]bool{}, map[string]int{}
	cursor := ""
	for range pollCrashRecords {
		page, err := c.ListChanges(ctx, &integrationsv1.ListChangesRequest{Connection: conn.GetName(), Cursor: cursor, PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range page.GetChanges() {
			ids[ch.GetId()] = true
			records[ch.GetRecordId()]++
		}
		if len(page.GetChanges()) == 0 {
			break
		}
		cursor = page.GetNextCursor()
	}
	twice := 0
	for _, n := range records {
		if n > 1 {
			twice++
		}
	}
	if len(records) != pollCrashRecords || len(ids) != pollCrashRecords || twice != 0 {
		t.Errorf("after the kill: %d records changed, %d change ids, %d records listed twice; want %d, %d, 0",
			len(records), len(ids), twice, pollCrashRecords, pollCrashRecords)
	}
}

// pollBaselineSaved reports whether the database holds acme/prod's contacts poll cursor
// (read beside the running server, as SQLite allows).
func pollBaselineSaved(t *testing.T, db string) bool {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cur, err := st.GetPollCursor(context.Background(), store.PollKey{Workspace: "acme", ConnectionID: "prod", ObjectType: "contacts"})
	return err == nil && cur.Found
}
