package app

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// A load balancer asks each replica two questions, and they have different answers.
//
// Liveness (/livez): does the process still serve? When it does not, restart it. It never
// looks at the database: a restart does not fix a database outage, and every replica
// restarting at once during one would only add start-ups to it. Nor does it fail while the
// server drains: the process is stopping on purpose.
//
// Readiness (/readyz, /healthz and grpc.health.v1): should this replica get traffic? Not
// before its start-up has finished, not while it drains before shutdown, and not while its
// database does not answer, since nearly every call needs it. /readyz pings the database at
// each probe; a background check does the same every readinessCheckEvery, so that gRPC
// health, which answers from a status set in advance, follows the database too.
const (
	// readinessPingTimeout bounds one ping: a database that cannot answer SELECT 1 within it
	// cannot serve calls either, and a probe never waits longer than this.
	readinessPingTimeout = 2 * time.Second
	// readinessCheckEvery is how often gRPC health learns whether the database answers. It is
	// well within a load balancer's usual probe period (Kubernetes' default is 10 s), so a
	// gRPC probe reads a status no staler than the probe; one SELECT 1 every 2 s costs the
	// database nothing.
	readinessCheckEvery = 2 * time.Second
)

// The reasons readiness gives for NOT_SERVING, in /readyz's answer and in the log.
const (
	notReadyStarting = "starting"
	notReadyDraining = "shutting down"
	notReadyDatabase = "database unavailable"
)

// pinger is the database as readiness sees it; tests put one that fails on demand in its place.
type pinger interface {
	Ping(ctx context.Context) error
}

// readiness holds the replica's readiness and tells gRPC health and the log when it changes.
type readiness struct {
	db       pinger
	health   *health.Server
	services []string // the names gRPC health answers for
	logger   *slog.Logger
	every    time.Duration // of the background check: readinessCheckEvery, shorter in tests

	mu       sync.Mutex
	started  bool          // the server has finished starting
	draining bool          // the server is shutting down: for good
	dbDown   bool          // the last ping failed
	reported string        // the verdict gRPC health and the log last heard: "" for ready, else a reason
	pinging  chan struct{} // closed when the ping in flight ends; nil when none is
}

// newReadiness starts NOT_SERVING for every name in services (grpc-go's health server starts
// "" as SERVING): nothing is ready before start.
func newReadiness(db pinger, hs *health.Server, logger *slog.Logger, services ...string) *readiness {
	for _, name := range services {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_NOT_SERVING)
	}
	return &readiness{db: db, health: hs, services: services, logger: logger, every: readinessCheckEvery, reported: notReadyStarting}
}

// start marks the start-up finished and checks the database: ready from here if it answers.
func (r *readiness) start(ctx context.Context) {
	r.mu.Lock()
	r.started = true
	r.mu.Unlock()
	r.check(ctx)
}

// drain makes the replica not ready for good: the server is shutting down.
func (r *readiness) drain() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.draining, r.reported = true, notReadyDraining
	r.health.Shutdown() // every name NOT_SERVING, and later updates ignored
}

// check pings the database unless the verdict does not depend on it, records the answer,
// and returns the verdict: "" when ready, else the reason. One ping is in flight at a time,
// and a check that comes meanwhile takes its answer: probes need no API key, and however
// many come at once the database sees one ping at a time; answers are also recorded in the
// order they were asked. A caller that hangs up does not cut the ping, so it cannot make
// the database look down.
func (r *readiness) check(ctx context.Context) string {
	r.mu.Lock()
	if r.draining || !r.started {
		defer r.mu.Unlock()
		return r.verdictLocked()
	}
	if pinging := r.pinging; pinging != nil {
		r.mu.Unlock()
		<-pinging
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.verdictLocked()
	}
	pinging := make(chan struct{})
	r.pinging = pinging
	r.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readinessPingTimeout)
	defer cancel()
	err := r.db.Ping(ctx)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.pinging = nil
	close(pinging)
	r.dbDown = err != nil
	verdict := r.verdictLocked()
	if verdict != r.reported {
		r.reportLocked(verdict, err)
	}
	return verdict
}

func (r *readiness) verdictLocked() string {
	switch {
	case r.draining:
		return notReadyDraining
	case !r.started:
		return notReadyStarting
	case r.dbDown:
		return notReadyDatabase
	}
	return ""
}

// reportLocked tells the log, then gRPC health, of a new verdict: once per change, not at
// every check. Draining never gets here (drain reports itself), so the verdict is about the
// database.
func (r *readiness) reportLocked(verdict string, pingErr error) {
	previous := r.reported
	r.reported = verdict
	status := healthpb.HealthCheckResponse_SERVING
	switch {
	case verdict != "":
		status = healthpb.HealthCheckResponse_NOT_SERVING
		r.logger.Error("not ready: the database does not answer; readiness is NOT_SERVING until it does", "err", pingErr)
	case previous == notReadyDatabase:
		r.logger.Info("ready: the database answers again; readiness is SERVING")
	}
	for _, name := range r.services {
		r.health.SetServingStatus(name, status)
	}
}

// run checks every r.every until ctx ends.
func (r *readiness) run(ctx context.Context) {
	tick := time.NewTicker(r.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.check(ctx)
		}
	}
}

// livez answers 200 while the process serves HTTP, whatever the database and the drain.
func (s *Server) livez(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ALIVE"})
}

// readyz answers 200 when the replica should get traffic, else 503 with the reason; /healthz
// is the same answer, under the name earlier versions served.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if reason := s.readiness.check(r.Context()); reason != "" {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "NOT_SERVING", "reason": reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "SERVING"})
}
