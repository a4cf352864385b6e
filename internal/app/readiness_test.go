package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const serviceName = "connectflo.integrations.v1.IntegrationService"

// The log lines readiness writes when the database goes and comes back.
const (
	logNotReady   = "not ready: the database does not answer; readiness is NOT_SERVING until it does"
	logReadyAgain = "ready: the database answers again; readiness is SERVING"
)

// switchablePinger is a database that stops answering on demand, in front of a real one
// (or of none, answering at once).
type switchablePinger struct {
	inner pinger
	down  atomic.Bool
}

func (p *switchablePinger) Ping(ctx context.Context) error {
	if p.down.Load() {
		return errors.New("connection refused")
	}
	if p.inner == nil {
		return nil
	}
	return p.inner.Ping(ctx)
}

// logBuffer collects JSON log lines written from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// messages returns the msg of every line logged so far.
func (b *logBuffer) messages(t *testing.T) []string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var msgs []string
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct{ Msg string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		msgs = append(msgs, line.Msg)
	}
	return msgs
}

// Readiness, step by step: not ready before start, ready while the database answers, not
// ready while it does not (logged once, not at every check), ready again when it is back,
// and not ready for good once draining, whatever the database does.
func TestReadinessVerdicts(t *testing.T) {
	ctx := context.Background()
	db := &switchablePinger{}
	hs := health.NewServer()
	logs := &logBuffer{}
	r := newReadiness(db, hs, slog.New(slog.NewJSONHandler(logs, nil)), "", serviceName)
	steps := []struct {
		name        string
		do          func()
		wantVerdict string
		wantStatus  healthpb.HealthCheckResponse_ServingStatus
		wantLogs    []string // logged by this step
	}{
		{"before start", func() {}, notReadyStarting, healthpb.HealthCheckResponse_NOT_SERVING, nil},
		{"started, the database answers", func() { r.start(ctx) }, "", healthpb.HealthCheckResponse_SERVING, nil},
		{"the database stops answering", func() { db.down.Store(true) }, notReadyDatabase, healthpb.HealthCheckResponse_NOT_SERVING, []string{logNotReady}},
		{"checked again, still down", func() { r.check(ctx) }, notReadyDatabase, healthpb.HealthCheckResponse_NOT_SERVING, nil},
		{"the database is back", func() { db.down.Store(false) }, "", healthpb.HealthCheckResponse_SERVING, []string{logReadyAgain}},
		{"draining", func() { r.drain() }, notReadyDraining, healthpb.HealthCheckResponse_NOT_SERVING, nil},
		{"the database goes while draining", func() { db.down.Store(true) }, notReadyDraining, healthpb.HealthCheckResponse_NOT_SERVING, nil},
		{"and comes back: draining is for good", func() { db.down.Store(false) }, notReadyDraining, healthpb.HealthCheckResponse_NOT_SERVING, nil},
	}
	for _, step := range steps {
		before := len(logs.messages(t))
		step.do()
		if got := r.check(ctx); got != step.wantVerdict {
			t.Errorf("%s: verdict %q, want %q", step.name, got, step.wantVerdict)
		}
		for _, name := range []string{"", serviceName} {
			resp, err := hs.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			if err != nil || resp.GetStatus() != step.wantStatus {
				t.Errorf("%s: gRPC health %q = %v, %v; want %v", step.name, name, resp.GetStatus(), err, step.wantStatus)
			}
		}
		if diff := cmp.Diff(step.wantLogs, logs.messages(t)[before:], cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: logged (-want +got):\n%s", step.name, diff)
		}
	}
}

// heldPinger is a database whose pings all wait for release, then fail.
type heldPinger struct {
	pings   atomic.Int32
	release chan struct{}
}

func (p *heldPinger) Ping(context.Context) error {
	p.pings.Add(1)
	<-p.release
	return errors.New("connection refused")
}

// However many checks come at once (probes need no API key), the database sees one ping,
// and every check gets its answer.
func TestReadinessPingsOnceForConcurrentChecks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := &heldPinger{release: make(chan struct{})}
		r := newReadiness(db, health.NewServer(), slog.New(slog.DiscardHandler), "")
		const checks = 20
		verdicts := make(chan string, checks)
		go r.start(context.Background()) // the first ping, held
		synctest.Wait()
		for range checks {
			go func() { verdicts <- r.check(context.Background()) }()
		}
		synctest.Wait() // every check waits, for the held ping or for a ping of its own
		if got := db.pings.Load(); got != 1 {
			t.Errorf("%d pings in flight for %d checks, want 1", got, checks+1)
		}
		close(db.release)
		for range checks {
			if got := <-verdicts; got != notReadyDatabase {
				t.Errorf("a check answered %q, want %q", got, notReadyDatabase)
			}
		}
	})
}
