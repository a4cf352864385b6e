// Package apptest runs the whole program in-process for tests, as main does (app.Run), on
// loopback port 0 with a HubSpot sandbox of its own as HubSpot. The e2e suite (server/) and
// the SDK's public test server (client/clienttest) both start the service with it, so there
// is one way to start it in a test, and it learns the bound addresses from app.OnReady.
package apptest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/app"
)

// StartTimeout and StopTimeout bound a start and a stop: generous, for a loaded machine.
const (
	StartTimeout = 15 * time.Second
	StopTimeout  = 15 * time.Second
)

// Options is what Start runs.
type Options struct {
	DB         string            // the SQLite database file
	KeyFile    string            // the token encryption key file, created if missing
	HubSpotURL string            // the HubSpot base URL (a sandbox's)
	Env        map[string]string // the program's environment; nothing else of the process's is seen
	Logs       io.Writer         // the program's stderr, where it logs JSON at debug level; nil discards
	Stdout     io.Writer         // nil discards
	Args       []string          // more flags, after the ones Start gives
	PollEvery  time.Duration     // app.PollEvery when set: every connection polled this often
}

// Program is one run of the server.
type Program struct {
	GRPCAddr string // host:port
	HTTPAddr string // host:port
	TLS      bool

	cancel context.CancelFunc
	done   chan error
	stop   sync.Once
	err    error
}

// Start runs the server with opts until Stop or the end of the test, and returns once it
// serves. A server that exits or does not serve within StartTimeout fails the test.
func Start(t testing.TB, opts Options) *Program {
	t.Helper()
	logs, stdout := opts.Logs, opts.Stdout
	if logs == nil {
		logs = io.Discard
	}
	if stdout == nil {
		stdout = io.Discard
	}
	args := append([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", opts.DB, "--key-file", opts.KeyFile,
		"--log-format", "json", "--log-level", "debug", "--hubspot-base-url", opts.HubSpotURL, "--hubspot-timeout", "2s",
		"--drain-delay", "0"}, opts.Args...) // no load balancer to wait for; a test that drains gives its own
	env := opts.Env
	getenv := func(k string) string { return env[k] }

	ctx, cancel := context.WithCancel(context.Background())
	p := &Program{cancel: cancel, done: make(chan error, 1)}
	ready := make(chan app.Ready, 1)
	go func() {
		p.done <- app.Run(ctx, args, getenv, stdout, logs, app.OnReady(func(r app.Ready) { ready <- r }), app.PollEvery(opts.PollEvery))
	}()
	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	select {
	case r := <-ready:
		p.GRPCAddr, p.HTTPAddr, p.TLS = r.GRPCAddr, r.HTTPAddr, r.TLS
	case err := <-p.done:
		cancel()
		t.Fatalf("server exited at start: %v", err)
	case <-timer.C:
		cancel()
		t.Fatalf("server did not serve within %v", StartTimeout)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("stop the server: %v", err)
		}
	})
	return p
}

// Stop cancels the server and waits for it to drain and exit, returning what it returned;
// later calls return the same without stopping anything.
func (p *Program) Stop() error {
	p.stop.Do(func() {
		p.cancel()
		timer := time.NewTimer(StopTimeout)
		defer timer.Stop()
		select {
		case p.err = <-p.done:
		case <-timer.C:
			p.err = fmt.Errorf("the server did not stop within %v of cancellation", StopTimeout)
		}
	})
	return p.err
}

// CreateAPIKey creates an API key for workspace ("*" for every workspace) in the database with
// the real "apikey create" command, and returns it.
func CreateAPIKey(t testing.TB, db, workspace string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	err := app.Run(context.Background(), []string{"apikey", "create", "--workspace", workspace, "--db", db}, func(string) string { return "" }, &out, &errOut)
	if err != nil {
		t.Fatalf("apikey create: %v (%s)", err, errOut.String())
	}
	key := strings.TrimSpace(out.String())
	if key == "" || strings.Contains(key, "\n") || !strings.HasPrefix(key, "cfk_") {
		t.Fatalf("apikey create printed %q; want the key alone on one line", out.String())
	}
	return key
}
