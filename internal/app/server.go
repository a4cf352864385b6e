package app

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/audit"
	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/budget"
	"github.com/connectflo/integrations/internal/bytecache"
	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/handles"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/idempotency"
	"github.com/connectflo/integrations/internal/outbox"
	"github.com/connectflo/integrations/internal/pgnotify"
	"github.com/connectflo/integrations/internal/poller"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcdecode"
	"github.com/connectflo/integrations/internal/service"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/telemetry"
	"github.com/connectflo/integrations/internal/upsert"
	apiusage "github.com/connectflo/integrations/internal/usage"
)

// Server is the running service: one gRPC listener, one HTTP listener, one database.
type Server struct {
	cfg    Config
	logger *slog.Logger
	store  *store.Store
	// sharedDB is the pool of the work shared with the other replicas: the HubSpot budget and
	// the change feed's notifications (PostgreSQL only; nil on SQLite).
	sharedDB  *sql.DB
	listener  *pgnotify.Listener // the other replicas' notifications (PostgreSQL only)
	health    *healthService
	readiness *readiness
	grpc      *grpc.Server
	http      *http.Server
	gateway   *grpc.ClientConn
	service   *service.Service
	outbox    *outbox.Outbox
	poller    *poller.Service
	feed      *changes.Feed
	usage     *apiusage.Recorder
	inbox     *changes.Processor
	webhook   *changes.WebhookHandler

	grpcLis, httpLis net.Listener
	certs            *certSource // nil without TLS
	gatewayPeers     *audit.GatewayPeers
	ready            func(Ready) // from Run's OnReady; nil when nobody asked
	// drainWait waits out the drain delay: time.After, or a channel a test closes.
	drainWait func(time.Duration) <-chan time.Time
}

// New opens the database, binds both listeners and wires the handlers. Nothing is served
// until Serve; binding first means a port conflict fails at start, not later.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (_ *Server, err error) {
	s := &Server{cfg: cfg, logger: logger, drainWait: time.After}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()
	if s.store, err = store.Open(ctx, cfg.DBPath); err != nil {
		return nil, err
	}
	var sharedBudget connections.SharedBudget
	if store.IsPostgres(cfg.DBPath) {
		// Replicas on one PostgreSQL database share each HubSpot budget there, so that however
		// many run, HubSpot sees no more than one app's window (package budget), and tell each
		// other of stored changes and webhook events (package pgnotify). Their own small pool:
		// a claim comes before every HubSpot request and must not queue behind the store's
		// queries.
		if s.sharedDB, err = store.OpenPostgres(ctx, cfg.DBPath, sharedConns); err != nil {
			return nil, err
		}
		sharedBudget = budget.NewPostgres(s.sharedDB, budgetHold(cfg.HubSpotTimeout))
	}
	if s.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("listen for gRPC on %s: %w (is another instance running? choose another with --grpc-addr)", cfg.GRPCAddr, err)
	}
	if s.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listen for HTTP on %s: %w (is another instance running? choose another with --http-addr)", cfg.HTTPAddr, err)
	}

	if cfg.TLSCertFile != "" {
		if s.certs, err = newCertSource(cfg.TLSCertFile, cfg.TLSKeyFile, cfg.ClientCAFile, logger); err != nil {
			return nil, err
		}
	} else {
		for _, l := range []net.Listener{s.grpcLis, s.httpLis} {
			if !isLoopback(l.Addr()) {
				logger.Warn("serving without TLS on a non-loopback address: API keys and HubSpot tokens sent to it cross the network in clear text; give --tls-cert and --tls-key, or put a TLS-terminating proxy in front",
					"addr", l.Addr().String())
			}
		}
	}

	warnPlainHubSpotURL(logger, cfg.HubSpotBaseURL)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := telemetry.NewMetrics(reg)
	authn := auth.NewAuthenticator(s.store)
	s.gatewayPeers = &audit.GatewayPeers{}
	audited := audit.NewRecorder(s.store).UnaryInterceptor(s.gatewayPeers, s.store, logger)

	serverOpts := []grpc.ServerOption{}
	if s.certs != nil {
		serverOpts = append(serverOpts, grpc.Creds(credentials.NewTLS(s.certs.serverConfig())))
	}
	s.grpc = grpc.NewServer(append(serverOpts,
		// The codec enforces MaxRequestBytes and makes an undecodable or oversized request reach
		// the interceptors as the caller's error; grpc-go refuses only far larger ones itself.
		grpc.MaxRecvMsgSize(rpcdecode.RecvLimit(cfg.MaxRequestBytes)),
		grpc.ForceServerCodecV2(rpcdecode.NewCodec(cfg.MaxRequestBytes)),
		grpc.ChainUnaryInterceptor(telemetry.UnaryInterceptor(logger, metrics), authn.UnaryInterceptor(logger), auth.WorkspaceGuard(), service.NameCaller(), audited,
			// Last: a replayed answer is audited and logged like any other.
			idempotency.New(s.store, logger).UnaryInterceptor()),
		grpc.ChainStreamInterceptor(telemetry.StreamInterceptor(logger, metrics), authn.StreamInterceptor(logger)),
	)...)
	ring, keySource, err := loadKeyRing(cfg, logger)
	if err != nil {
		return nil, err
	}
	// Before anything is served: a ring that cannot open what the other processes sealed
	// would fail connection by connection.
	if _, err := checkKeyRing(ctx, s.store, ring, keySource, cfg.DBPath); err != nil {
		return nil, err
	}
	// Every request sent to HubSpot is counted per connection, for GetUsage.
	s.usage = apiusage.New(s.store, nil)
	conns := connections.New(s.store, ring, connections.Config{BaseURL: cfg.HubSpotBaseURL, APIVersion: cfg.HubSpotAPIVersion,
		Timeout: cfg.HubSpotTimeout, Logger: logger,
		MaxPerWorkspace: cfg.MaxConnectionsPerWorkspace, Observer: s.usage.Observer, Budget: sharedBudget})
	// Each connection's client, schemas, batcher and caches, within one byte budget for every
	// workspace's schemas and answers; the outbox reaches HubSpot through the same clients.
	registry := handles.New(handles.Deps{Connections: conns, Store: s.store, Cache: bytecache.New(cfg.SchemaCacheBytes), Logger: logger},
		handles.Config{Upsert: upsert.Config{MaxBatch: cfg.UpsertMaxBatch, Logger: logger}})
	// The change feed; writes this service makes are recorded in it so that their changes
	// come back marked self-written.
	s.feed = changes.NewFeed(s.store, logger)
	var notifier *pgnotify.Notifier
	if s.sharedDB != nil {
		// Replicas: a change stored here wakes the watchers of every replica.
		notifier = pgnotify.NewNotifier(s.sharedDB)
		s.feed.WithNotifier(notifier)
	}
	s.outbox, err = outbox.New(outbox.Config{Store: s.store, Clients: registry, Logger: logger, CheckDelay: cfg.CheckDelay, LeaseTTL: cfg.LeaseTTL,
		MaxQueued: cfg.TimelineMaxQueued, Retention: cfg.TimelineRetention,
		OnHealth: func(h outbox.Health) {
			name := resname.Connection{Workspace: h.Workspace, ID: h.Connection}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := conns.EventsHeld(ctx, name, h.Held, h.Message); err != nil {
				logger.Warn("record held timeline events", "connection", name.String(), "err", err)
			}
		},
		OnContactsWritten: func(ctx context.Context, workspace, connection string, ws []store.OwnWrite) {
			c, err := s.store.GetConnection(ctx, workspace, connection)
			if err != nil {
				logger.Warn("record contacts created for timeline events", "connection", workspace+"/"+connection, "err", err)
				return
			}
			s.feed.RecordOwnWrites(ctx, c.UID, ws)
		}})
	if err != nil {
		return nil, err
	}
	s.inbox = changes.NewProcessor(s.feed, s.store, displayNames(registry), logger)
	if notifier != nil {
		// Replicas: webhook events any of them accepted are turned into changes by one at a
		// time, the holder of the inbox lease, told of new events by notification.
		s.inbox.Shared(changes.Sharing{Leases: s.store, Notifier: notifier, LeaseTTL: cfg.WebhookLeaseTTL})
		if s.listener, err = pgnotify.NewListener(cfg.DBPath, pgnotify.To(s.feed, s.inbox), logger); err != nil {
			return nil, err
		}
	}
	s.webhook = &changes.WebhookHandler{Store: s.store, KeyRing: ring, PublicURL: cfg.PublicURL, TLS: s.certs != nil, Kick: s.inbox.Kick,
		Logger: logger, Metrics: changes.NewWebhookMetrics(reg), Now: time.Now}
	s.service = service.New(service.Deps{Store: s.store, Conns: conns, Handles: registry, Outbox: s.outbox, Logger: logger, AuditLog: s.store, Usage: s.usage,
		Changes: service.ChangeDeps{Feed: s.feed, Settings: s.store, KeyRing: ring, WebhookURL: s.webhookURL()}})
	// Polling for changes made in HubSpot reaches it through the same clients, within a
	// share of each connection's budgets.
	s.poller, err = poller.NewService(poller.ServiceDeps{Store: s.store, Sink: feedSink{feed: s.feed, store: s.store},
		Conns: s.store.AllConnections, Clients: registry.Client, Leases: s.store, Watch: poller.WritableFields(s.store), Logger: logger,
		OnError: func(ctx context.Context, name resname.Connection, err error) {
			if serr := conns.SetStatus(ctx, name, connections.StatusError, "HubSpot refused the token while polling for changes: "+err.Error()); serr != nil {
				logger.Warn("record a refused token", "connection", name.String(), "err", serr)
			}
		}},
		poller.ServiceConfig{Interval: changes.DefaultPollInterval, IntervalFor: s.pollInterval, Poll: poller.Config{Overlap: cfg.PollOverlap},
			Share: hubspot.ShareConfig{SearchPerSecond: cfg.PollSearchShare}, Tick: min(cfg.PollEvery, time.Second),
			LeaseTTL: cfg.PollLeaseTTL})
	if err != nil {
		return nil, err
	}
	s.grpc.RegisterService(rpcdecode.WrapService(&integrationsv1.IntegrationService_ServiceDesc), s.service)
	s.health = newHealthService()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	// gRPC health answers for the server ("") and the service alike: both follow readiness.
	s.readiness = newReadiness(s.store, s.health.Server, logger, "", integrationsv1.IntegrationService_ServiceDesc.ServiceName)

	handler, conn, err := s.newHTTPHandler(ctx, reg)
	if err != nil {
		return nil, err
	}
	s.gateway = conn
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if s.certs != nil {
		s.http.TLSConfig = s.certs.serverConfig()
	}
	return s, nil
}

// GRPCAddr is the bound gRPC address (useful with port 0).
func (s *Server) GRPCAddr() string { return s.grpcLis.Addr().String() }

// HTTPAddr is the bound HTTP address (useful with port 0).
func (s *Server) HTTPAddr() string { return s.httpLis.Addr().String() }

// Serve serves until ctx ends or a listener fails. When ctx ends, readiness turns NOT_SERVING
// and the server serves on for the drain delay, so that load balancers stop sending to it
// first; then it drains in-flight calls (bounded by the shutdown timeout) and closes the
// database last.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := s.grpc.Serve(s.grpcLis); err != nil {
			errc <- fmt.Errorf("gRPC server: %w", err)
		}
	}()
	go func() {
		defer wg.Done()
		lis := s.httpLis
		if s.http.TLSConfig != nil {
			lis = tls.NewListener(lis, s.http.TLSConfig)
		}
		if err := s.http.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("HTTP server: %w", err)
		}
	}()
	// Background work outlives ctx by the drain delay: until then the server serves in full.
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		s.sweepRequestIDs(sweepCtx)
	}()
	sweptChanges := make(chan struct{})
	go func() {
		defer close(sweptChanges)
		s.sweepChanges(sweepCtx)
	}()
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		s.runUsage(sweepCtx)
	}()
	processed := make(chan struct{})
	go func() {
		defer close(processed)
		s.inbox.Run(sweepCtx) // events left in the inbox by a previous process first
	}()
	listened := make(chan struct{})
	go func() {
		defer close(listened)
		if s.listener != nil {
			s.listener.Run(sweepCtx) // the other replicas' changes and webhook events
		}
	}()
	if err := s.outbox.Start(ctx); err != nil {
		s.logger.Error("resume timeline events", "err", err) // the outbox tries again every few seconds
	}
	s.poller.Start()
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		s.readiness.run(sweepCtx) // gRPC health follows the database
	}()
	s.readiness.start(sweepCtx) // SERVING from here if the database answers
	s.logger.Info("serving", "grpc_addr", s.GRPCAddr(), "http_addr", s.HTTPAddr(), "tls", s.certs != nil, "client_certs", s.certs != nil && s.certs.mutual(), "db", store.Redact(s.cfg.DBPath))
	s.notifyReady()

	var serveErr error
	select {
	case <-ctx.Done():
		s.drain()
	case serveErr = <-errc:
		// No drain delay: the failed listener's probes fail already, and the delay would
		// only hold a broken server up.
		s.readiness.drain()
		s.logger.Error("server failed; shutting down", "err", serveErr)
	}
	s.logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	s.service.StopWatches() // a watch never ends by itself: end them before the drain waits
	s.health.endWatches()   // nor does a health watch
	stopSweep()
	<-swept // they write to the database, which shutdown closes
	<-sweptChanges
	<-counted
	<-processed
	<-listened
	<-checked
	s.shutdown()
	wg.Wait()
	s.logger.Info("stopped")
	return serveErr
}

// drain takes the replica out of load balancers before anything stops: readiness answers
// NOT_SERVING at once (/readyz, /healthz, gRPC health), then every call is still served for
// the drain delay, outside the shutdown timeout. A balancer sends to a replica until it hears
// it is not ready; closing listeners first would fail the calls it sends meanwhile.
func (s *Server) drain() {
	s.readiness.drain()
	if s.cfg.DrainDelay <= 0 {
		return
	}
	s.logger.Info("draining: readiness is NOT_SERVING and calls are still served until the drain delay has passed", "drain_delay", s.cfg.DrainDelay.String())
	<-s.drainWait(s.cfg.DrainDelay)
}

// The drain shares one deadline, --shutdown-timeout, among its stages; each must end by a
// fixed share of it, counted from the start of the shutdown, and a stage that ends early
// leaves its time to the next. The drain delay comes before it and is not part of it: load
// balancers have stopped sending by then, so the stages drain what is left rather than race
// new calls. The order follows who is waiting and what a cut costs:
//   - polling for changes made in HubSpot stops first, at once: nobody waits for it, and a
//     poll cut mid-page is read again by the next (its cursor is saved page by page);
//   - HTTP, by 25%: gateway calls finish through gRPC, which is still up. Its own share, so a
//     stuck REST call cannot take the time of the gRPC callers;
//   - gRPC, by 50%: the workflow engine's calls, whose callers wait for an answer; cut, they
//     fail UNAVAILABLE and are retried (request_id makes that safe);
//   - queued upserts, by 70%: their calls have ended with the server, so this is best
//     effort; an upsert by email is idempotent and the caller retries;
//   - the outbox, by 90%: batches in flight record their outcome; cut, their events stay
//     in doubt and are checked, not lost, by whichever process delivers next;
//   - the last 10% for writing the HubSpot usage counted since the last flush, releasing the
//     delivery lease and closing the database, which take milliseconds.
const (
	httpDrainShare   = 0.25
	grpcDrainShare   = 0.50
	upsertDrainShare = 0.70
	outboxDrainShare = 0.90
)

// shutdown stops taking new work, drains what is in flight, and closes the database last,
// all within the shutdown timeout. Readiness is NOT_SERVING already (drain).
func (s *Server) shutdown() {
	start := time.Now()
	stage := func(share float64) (context.Context, context.CancelFunc) {
		return context.WithDeadline(context.Background(), start.Add(time.Duration(share*float64(s.cfg.ShutdownTimeout))))
	}

	cut, cutNow := context.WithCancel(context.Background())
	cutNow()
	s.poller.Close(cut) // releases its leases; the error only says it was cut

	ctx, cancel := stage(httpDrainShare)
	if err := s.http.Shutdown(ctx); err != nil {
		s.logger.Warn("HTTP drain cut short; closing remaining requests", "err", err)
		s.http.Close()
	}
	cancel()

	ctx, cancel = stage(grpcDrainShare)
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		s.logger.Warn("gRPC drain cut short; closing remaining calls")
		s.grpc.Stop()
		<-stopped
	}
	cancel()

	ctx, cancel = stage(upsertDrainShare)
	if err := s.service.Close(ctx); err != nil { // send what is still queued for HubSpot
		s.logger.Warn("upsert drain cut short; the batches still on their way to HubSpot are abandoned", "err", err)
	}
	cancel()

	ctx, cancel = stage(outboxDrainShare)
	if err := s.outbox.Close(ctx); err != nil {
		s.logger.Warn("timeline delivery drain cut short; the rest resumes at the next start", "err", err)
	}
	cancel()
	// Nothing calls HubSpot any more: the last counts go to the database before it closes.
	ctx, cancel = stage(1)
	s.flushUsage(ctx)
	cancel()
	s.closeAll()
}

// closeAll releases whatever New managed to open.
func (s *Server) closeAll() {
	if s.gateway != nil {
		s.gateway.Close()
	}
	for _, l := range []net.Listener{s.grpcLis, s.httpLis} {
		if l != nil {
			l.Close()
		}
	}
	if s.sharedDB != nil {
		if err := s.sharedDB.Close(); err != nil {
			s.logger.Error("close the pool of the replicas' shared work", "err", err)
		}
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			s.logger.Error("close database", "err", err)
		}
	}
}

// sharedConns bounds the pool of the shared work: one claim or completion at a time per
// budget and kind is the common case, a few budgets busy at once and a notification the most.
const sharedConns = 4

// budgetHold is how long a shared budget slot whose replica never completed it stays taken:
// the longest a request may still reach HubSpot after its claim, which is the claim's own
// bound, one attempt's timeout and some room between them (budget.DefaultHold for the
// default timeout). Every replica must use the same; they do when configured alike.
func budgetHold(attempt time.Duration) time.Duration {
	if attempt <= 0 {
		return budget.DefaultHold
	}
	return max(budget.DefaultHold, attempt+hubspot.DefaultSharedTimeout+8*time.Second)
}
