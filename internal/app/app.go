// Package app wires the parts of helpdesk into the processes the binary
// runs: everything in one process (the zero-set-up default), the API alone,
// or the worker alone (for scale-out on PostgreSQL and a Temporal cluster).
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"go.temporal.io/sdk/client"

	"helpdesk/ent"
	"helpdesk/internal/auth"
	"helpdesk/internal/config"
	"helpdesk/internal/deliver"
	"helpdesk/internal/embeddedtemporal"
	"helpdesk/internal/eventtail"
	"helpdesk/internal/server"
	"helpdesk/internal/store"
	"helpdesk/internal/webhook"
	"helpdesk/workflows"
)

// Role is what a process runs.
type Role int

// The roles.
const (
	// RoleAll runs the API, the worker and the outbox dispatcher.
	RoleAll Role = iota
	// RoleAPI serves HTTP (GraphQL, subscriptions, mail in).
	RoleAPI
	// RoleWorker runs ticket workflows, the outbox dispatcher and the
	// delivery of notifications.
	RoleWorker
)

func (r Role) String() string {
	return [...]string{"serve", "api", "worker"}[r]
}

const (
	// shutdownGrace is how long in-flight requests may take to finish
	// after a stop signal.
	shutdownGrace = 20 * time.Second
	// readHeaderTimeout bounds the request line and headers: a few KiB
	// that any client sends at once; a slow-loris trickle is cut. (The
	// body has its own deadline, server.DefaultBodyReadTimeout, set per
	// request so that WebSockets, which read for hours, are not cut.)
	readHeaderTimeout = 10 * time.Second
	// idleTimeout closes a keep-alive connection unused for this long.
	idleTimeout = 2 * time.Minute
)

// Deps are the opened dependencies of a process.
type Deps struct {
	DB       *store.DB
	Temporal client.Client
	embedded *embeddedtemporal.Server
	// telemetry is the registry and tracing of the process (telemetry.go).
	telemetry *telemetry
}

// Close releases the dependencies.
func (d *Deps) Close() {
	if d.Temporal != nil {
		d.Temporal.Close()
	}
	if d.embedded != nil {
		_ = d.embedded.Stop()
	}
	if d.DB != nil {
		_ = d.DB.Close()
	}
	d.telemetry.close()
}

// Open opens the database (migrating it) and Temporal — the embedded
// server when cfg.TemporalAddress is empty.
func Open(ctx context.Context, cfg config.Config, role Role, log *slog.Logger) (*Deps, error) {
	d := &Deps{}
	ok := false
	defer func() {
		if !ok {
			d.Close()
		}
	}()
	tel, err := newTelemetry(ctx, role, log)
	if err != nil {
		return nil, err
	}
	d.telemetry = tel
	if cfg.DatabaseURL == "" {
		log.Info("opening the embedded database", "file", filepath.Join(cfg.DataDir, "helpdesk.db"))
	} else {
		log.Info("connecting to PostgreSQL")
	}
	// Opening the embedded database takes the data directory's lock first:
	// a second process on the directory stops here, before it migrates.
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, ClientOptions(cfg)...)
	if err != nil {
		return nil, err
	}
	d.DB = db
	m, err := db.MigrateReport(ctx)
	if err != nil {
		return nil, err
	}
	m.Log(log)
	tel.traceDB(db, ClientOptions(cfg))
	if cfg.AdminToken != "" {
		if err := auth.BootstrapAdmin(ctx, db.Client, cfg.AdminToken); err != nil {
			return nil, err
		}
	}
	addr := cfg.TemporalAddress
	if addr == "" {
		if role != RoleAll {
			return nil, fmt.Errorf("app: helpdesk %s runs beside other processes and needs a shared Temporal: set TEMPORAL_ADDRESS (the in-process server is for `helpdesk serve`)", role)
		}
		srv, err := StartTemporal(ctx, cfg, log)
		if err != nil {
			return nil, err
		}
		d.embedded = srv
		addr = srv.FrontendAddr()
		log.Info("in-process Temporal server ready", "address", addr, "namespace", cfg.TemporalNamespace)
	}
	// A lazy client lets the API start and take changes while Temporal is
	// unreachable: the outbox delivers them once it is back.
	opts := client.Options{HostPort: addr, Namespace: cfg.TemporalNamespace}
	if err := tel.temporalOptions(&opts, log.With("component", "temporal-client")); err != nil {
		return nil, err
	}
	tc, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("app: TEMPORAL_ADDRESS=%s: %w", addr, err)
	}
	d.Temporal = tc
	ok = true
	return d, nil
}

// StartTemporal starts the in-process Temporal server on
// HELPDESK_TEMPORAL_LISTEN with its files under HELPDESK_DATA_DIR/temporal:
// inside `helpdesk serve` when TEMPORAL_ADDRESS is unset, or alone as
// `helpdesk temporal`, the external Temporal of a small cluster or a test.
func StartTemporal(ctx context.Context, cfg config.Config, log *slog.Logger) (*embeddedtemporal.Server, error) {
	dir := filepath.Join(cfg.DataDir, "temporal")
	log.Info("starting the in-process Temporal server (the first start creates its database; a few seconds)", "dir", dir)
	host, port, _ := net.SplitHostPort(cfg.TemporalListen)
	portNum, _ := strconv.Atoi(port) // checked by config
	srv, err := embeddedtemporal.Start(ctx, embeddedtemporal.Options{DataDir: dir, Namespace: cfg.TemporalNamespace, Host: host, Port: portNum, Logger: log})
	switch {
	case errors.Is(err, embeddedtemporal.ErrFrontendPortUnavailable):
		return nil, fmt.Errorf("app: HELPDESK_TEMPORAL_LISTEN=%s: the in-process Temporal server cannot listen there (%w); is another helpdesk or Temporal server running? Stop it, or set HELPDESK_TEMPORAL_LISTEN to a free address (127.0.0.1:0 picks a free port)", cfg.TemporalListen, err)
	case errors.Is(err, embeddedtemporal.ErrDataDirInUse):
		return nil, fmt.Errorf("app: another helpdesk uses HELPDESK_DATA_DIR=%s (its Temporal files are locked); stop it, or give this one a HELPDESK_DATA_DIR of its own: %w", cfg.DataDir, err)
	case err != nil:
		return nil, err
	}
	return srv, nil
}

// ClientOptions are the settings of cfg the data model applies itself:
// the webhook target rule (HELPDESK_WEBHOOK_ALLOW_PRIVATE).
func ClientOptions(cfg config.Config) []ent.Option {
	return []ent.Option{ent.WebhookTargets(webhook.Targets{AllowPrivate: cfg.WebhookAllowPrivate})}
}

// Run runs role until ctx is done, then shuts down gracefully.
func Run(ctx context.Context, cfg config.Config, role Role, log *slog.Logger) error {
	deps, err := Open(ctx, cfg, role, log)
	if err != nil {
		return err
	}
	defer deps.Close()
	return Serve(ctx, cfg, role, deps, log)
}

// Serve runs role on opened dependencies until ctx is done.
func Serve(ctx context.Context, cfg config.Config, role Role, deps *Deps, log *slog.Logger) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	reg := deps.telemetry.registry()
	// The outbox runs beside the workflows (worker and serve): an API
	// process only writes changes, and its commits wake the workers'
	// dispatchers (LISTEN/NOTIFY on PostgreSQL).
	var disp *workflows.Dispatcher
	if role != RoleAPI {
		disp = &workflows.Dispatcher{DB: deps.DB.Client, Temporal: deps.telemetry.outbox(deps.Temporal), Lag: workflows.NewOutboxLag(reg),
			Logger: log.With("component", "outbox")}
		var locks *workflows.PGTickets
		if deps.DB.Dialect == dialect.Postgres {
			locks = workflows.PostgresTickets(deps.DB.SQL)
			disp.Tickets = locks
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			disp.Run(ctx)
			if locks != nil {
				_ = locks.Close()
			}
		}()
	}
	// Who wakes after a commit: this process's outbox, event tail and
	// delivery loop, and — on PostgreSQL — every other process's
	// (LISTEN/NOTIFY); their polls catch whatever a wake-up misses.
	tail := &eventtail.Tail{DB: deps.DB.Client, Logger: log.With("component", "events")}
	var dl *deliver.Deliverer
	local := func() {
		if disp != nil {
			disp.Kick()
		}
		tail.Kick()
		if dl != nil {
			dl.Kick()
		}
	}
	kick := local
	if deps.DB.Dialect == dialect.Postgres {
		n, err := eventtail.NewPGNotifier(cfg.DatabaseURL, deps.DB.SQL, log.With("component", "change-notifications"))
		if err != nil {
			return fmt.Errorf("app: %w", err)
		}
		defer n.Close()
		kick = func() { local(); n.Publish() }
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case <-n.Heard():
					local()
				}
			}
		}()
	}
	if role == RoleAll || role == RoleWorker {
		var err error
		dl, err = newDeliverer(cfg, deps.DB.Client, log.With("component", "notifications"))
		if err != nil {
			return err
		}
		dl.Delivered = deliver.NewDeliveredCounter(reg)
		wg.Add(1)
		go func() { defer wg.Done(); dl.Run(ctx) }()
		acts := &workflows.Activities{DB: deps.DB.Client, BreachLateness: workflows.NewBreachLateness(reg),
			SLA: workflows.NewSLACounters(reg), AfterCommit: kick}
		w := workflows.NewWorker(deps.Temporal, workflows.WorkerOptions(), acts)
		if err := w.Start(); err != nil {
			return fmt.Errorf("app: starting the worker: %w", err)
		}
		defer w.Stop()
		log.Info("worker started", "taskQueue", workflows.TaskQueue)
	}
	if cfg.MetricsAddr != "" {
		stop, err := serveMetrics(cfg.MetricsAddr, reg, role, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	if role == RoleWorker {
		<-ctx.Done()
		return nil
	}

	if cfg.SMTPListen != "" {
		stop, err := listenMail(cfg, deps.DB.Client, kick, log.With("component", "mail-in"))
		if err != nil {
			return err
		}
		defer stop()
	}
	handler := server.New(server.Options{
		Client: deps.DB.Client, Logger: log, RateLimit: cfg.RateLimit,
		CORSOrigins:                   cfg.CORSOrigins,
		MaxSubscriptionsPerToken:      cfg.MaxSubscriptionsPerToken,
		MaxSubscriptionsPerConnection: cfg.MaxSubscriptionsPerConnection,
		Registry:                      reg, MetricsElsewhere: cfg.MetricsAddr != "",
		AfterMutation: kick, Events: tail,
		Ready: func(ctx context.Context) error {
			if err := deps.DB.Ping(ctx); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			if _, err := deps.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
				return fmt.Errorf("temporal: %w", err)
			}
			return nil
		},
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("app: HELPDESK_ADDR=%s: %w (is another helpdesk running? set HELPDESK_ADDR to another port)", cfg.Addr, err)
	}
	hs := &http.Server{Handler: deps.telemetry.handler(handler), ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("helpdesk is ready", "graphiql", "http://"+ln.Addr().String()+"/", "graphql", "http://"+ln.Addr().String()+"/graphql")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "grace", shutdownGrace)
	sctx, scancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
