// Package embeddedtemporal runs a complete Temporal server (frontend,
// history, matching and worker services) inside the current process, with
// its state kept in a SQLite file under a data directory.
//
// It exists so that a product binary can use Temporal with zero set-up:
// workflows, their timers and their histories survive a restart of the
// process, because everything the server knows lives in DataDir/temporal.db
// (and what `temporal workflow list` searches in temporal-visibility.db).
// (go.temporal.io/server/temporaltest keeps its state in memory only.)
//
// All services share one SQLite connection pool and run as a single-host
// cluster with one history shard and one partition per task queue (see
// taskQueuePartitions); service discovery is static (no ringpop gossip),
// and every internal service listens on loopback only.
package embeddedtemporal

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"

	"helpdesk/internal/dirlock"
)

const (
	// dbFileName is the name of the SQLite database inside Options.DataDir.
	dbFileName = "temporal.db"
	// visibilityFileName is the SQLite database of the visibility store
	// (what `temporal workflow list` searches), beside dbFileName. SQLite
	// has one writer per file, and the server writes through one
	// connection per store: with visibility in the main file, its inserts
	// — a row of some seventy generated columns and their indexes per
	// workflow started — held up every history write behind them, and
	// capped how fast new tickets' workflows started. In a file of its own
	// it is written beside the histories, not before them.
	visibilityFileName = "temporal-visibility.db"
	// lockFileName is the name of the lock file inside Options.DataDir that
	// keeps two servers from using one data directory at once.
	lockFileName = "temporal.lock"

	defaultNamespace = "default"
	defaultHost      = "127.0.0.1"

	// clusterName is the name of the one (non-replicated) cluster. It is
	// stored in the database (namespaces name it as their active cluster),
	// so it must never change for an existing data directory.
	clusterName = "active"

	// namespaceRetention is how long the history of a *closed* workflow
	// execution is kept before the server deletes it. Running workflows
	// (and their timers) are never affected by retention. Seven days leaves
	// a week to look at finished runs (results, failures) when debugging,
	// while keeping the SQLite file from growing without bound in a product
	// that runs for months. It only applies when the namespace is created;
	// an existing namespace keeps whatever retention it already has.
	namespaceRetention = 7 * 24 * time.Hour

	// defaultReadyTimeout bounds how long Start waits for the frontend to
	// answer when ctx has no deadline of its own.
	defaultReadyTimeout = time.Minute
)

// ErrFrontendPortUnavailable is returned (wrapped) by Start when the
// frontend cannot listen on Options.Port, mostly because another program
// or server has it.
var ErrFrontendPortUnavailable = errors.New("embeddedtemporal: frontend port not available")

// Options configures an embedded Temporal server started with Start.
type Options struct {
	// DataDir is the directory that holds the server's state; the database
	// file is DataDir/temporal.db. The directory and the file are created if
	// missing. Required.
	DataDir string
	// Namespace is registered at start if it does not exist yet. The empty
	// string means "default".
	Namespace string
	// Host is the IP address the frontend listens on; "" means 127.0.0.1.
	// "localhost" is taken to mean 127.0.0.1. The internal services
	// (history, matching, worker) always listen on loopback.
	Host string
	// Port is the frontend gRPC port; 0 picks a free one. The ports of the
	// internal services are always free ports picked at start.
	Port int
	// Logger receives the server's own log records at Warn level and above
	// (everything below is dropped, the server is very chatty). nil discards
	// all server logs.
	Logger *slog.Logger

	// partitions, set by tests only, is how many partitions each task
	// queue is written to; 0 means taskQueuePartitions.
	partitions int
	// config, set by tests only, is dynamic config over the defaults.
	config dynamicconfig.StaticClient
}

// Server is a running embedded Temporal server. Create it with Start and
// release it with Stop.
type Server struct {
	server       temporal.Server
	lock         *dirlock.Lock
	frontendAddr string
	// stopping quietens the server's logs once Stop has begun.
	stopping *atomic.Bool

	stopOnce sync.Once
	stopErr  error
}

// Start starts an embedded Temporal server on opts.DataDir and returns once
// its frontend accepts calls for opts.Namespace (including a call that
// reaches the history service). ctx bounds the wait for readiness (the
// server's own start-up, normally well under a second, does not watch it);
// when ctx has no deadline the wait is bounded by one minute. On any error
// the server is stopped again and the data directory released.
//
// Only one server may use a data directory at a time; a second Start on a
// directory in use fails (in this or another process). After Stop the
// directory may be used again, and the new server sees every workflow the
// earlier ones stored.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embeddedtemporal: %w", err)
	}
	if opts.DataDir == "" {
		return nil, errors.New("embeddedtemporal: Options.DataDir is required")
	}
	if opts.Namespace == "" {
		opts.Namespace = defaultNamespace
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("embeddedtemporal: invalid port %d", opts.Port)
	}
	frontendIP, internalIP, dialIP, err := resolveHost(opts.Host)
	if err != nil {
		return nil, err
	}

	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("embeddedtemporal: data directory %q: %w", opts.DataDir, err)
	}
	// The path ends up in an SQLite URI ("file:<path>?<params>").
	if strings.ContainsAny(dataDir, "?#") {
		return nil, fmt.Errorf("embeddedtemporal: data directory %q: path must not contain '?' or '#'", dataDir)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("embeddedtemporal: creating data directory: %w", err)
	}

	lock, err := lockDir(dataDir)
	if err != nil {
		return nil, err
	}
	srv, err := start(ctx, opts, dataDir, frontendIP, internalIP, dialIP, lock)
	if err != nil {
		lock.Release()
		return nil, err
	}
	return srv, nil
}

// start does the work of Start once the data directory is locked.
func start(ctx context.Context, opts Options, dataDir, frontendIP, internalIP, dialIP string, lock *dirlock.Lock) (*Server, error) {
	dbPath := filepath.Join(dataDir, dbFileName)
	sqlConf, err := prepareDatabase(dbPath, opts.Namespace)
	if err != nil {
		return nil, err
	}
	visConf, err := prepareVisibility(filepath.Join(dataDir, visibilityFileName), sqlConf)
	if err != nil {
		return nil, err
	}
	writePartitions := cmp.Or(opts.partitions, taskQueuePartitions)
	read, err := readPartitions(dbPath, writePartitions)
	if err != nil {
		return nil, err
	}

	frontendPort := opts.Port
	if frontendPort == 0 {
		if frontendPort, err = freePort(frontendIP); err != nil {
			return nil, err
		}
	} else if err := checkPortFree(frontendIP, frontendPort); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFrontendPortUnavailable, net.JoinHostPort(frontendIP, strconv.Itoa(frontendPort)), err)
	}
	var internalPorts [3]int // history, matching, worker
	for i := range internalPorts {
		if internalPorts[i], err = freePort(internalIP); err != nil {
			return nil, err
		}
	}

	frontendAddr := net.JoinHostPort(dialIP, strconv.Itoa(frontendPort))
	hosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(frontendAddr),
		primitives.HistoryService:  static.SingleLocalHost(net.JoinHostPort(internalIP, strconv.Itoa(internalPorts[0]))),
		primitives.MatchingService: static.SingleLocalHost(net.JoinHostPort(internalIP, strconv.Itoa(internalPorts[1]))),
		primitives.WorkerService:   static.SingleLocalHost(net.JoinHostPort(internalIP, strconv.Itoa(internalPorts[2]))),
	}

	conf := &config.Config{}
	// Membership is static (WithStaticHosts below), so nothing gossips; the
	// broadcast address is still what services advertise about themselves.
	conf.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: internalIP}
	// conf.Global.Metrics stays nil (no metrics listener); PProf port 0 = off.
	conf.Persistence = config.Persistence{
		DefaultStore:     "sqlite",
		VisibilityStore:  "sqlite-visibility",
		NumHistoryShards: 1, // fixed forever once the database exists
		DataStores: map[string]config.DataStore{
			"sqlite":            {SQL: sqlConf},
			"sqlite-visibility": {SQL: visConf},
		},
	}
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontendAddr,
				// ClusterID left empty: the server generates one the first
				// time and keeps the stored one afterwards.
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{
		string(primitives.FrontendService): serviceConfig(frontendIP, frontendPort),
		string(primitives.HistoryService):  serviceConfig(internalIP, internalPorts[0]),
		string(primitives.MatchingService): serviceConfig(internalIP, internalPorts[1]),
		string(primitives.WorkerService):   serviceConfig(internalIP, internalPorts[2]),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// The worker service talks to the frontend through this address.
	conf.PublicClient.HostPort = frontendAddr

	stopping := new(atomic.Bool)
	logger := newServerLogger(opts.Logger, stopping)
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("embeddedtemporal: creating authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("embeddedtemporal: creating claim mapper: %w", err)
	}

	server, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicConfig(read, writePartitions, opts.config)),
	)
	if err != nil {
		return nil, fmt.Errorf("embeddedtemporal: creating server: %w", err)
	}
	if err := server.Start(); err != nil {
		stopping.Store(true)
		_ = server.Stop()
		return nil, fmt.Errorf("embeddedtemporal: starting server: %w", err)
	}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultReadyTimeout)
		defer cancel()
	}
	if err := waitReady(ctx, frontendAddr, opts.Namespace); err != nil {
		stopping.Store(true)
		_ = server.Stop()
		return nil, err
	}

	return &Server{
		server:       server,
		lock:         lock,
		frontendAddr: frontendAddr,
		stopping:     stopping,
	}, nil
}

// FrontendAddr returns the host:port of the frontend, for client.Dial
// (client.Options.HostPort).
func (s *Server) FrontendAddr() string {
	return s.frontendAddr
}

// Stop shuts the server down gracefully, waits for it and then releases the
// data directory. Calling it again does nothing and returns the first
// call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		if err := s.server.Stop(); err != nil {
			s.stopErr = fmt.Errorf("embeddedtemporal: stopping server: %w", err)
		}
		s.lock.Release()
	})
	return s.stopErr
}

// prepareDatabase makes sure dbPath holds a Temporal SQLite database with
// the namespace registered, and returns the persistence config to use it.
//
// A new database is built under a temporary name and renamed into place only
// once its schema is complete, so temporal.db either does not exist or has
// the full schema: an interrupted first start cannot leave a half-made file
// that later starts would trust. An existing file is never re-initialised.
func prepareDatabase(dbPath, namespace string) (*config.SQL, error) {
	if _, err := os.Stat(dbPath); errors.Is(err, os.ErrNotExist) {
		if err := createDatabase(dbPath); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("embeddedtemporal: database file: %w", err)
	} else if err := checkDatabase(dbPath); err != nil {
		return nil, err
	}

	sqlConf := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: dbPath,
		ConnectAttributes: map[string]string{
			"mode": "rw",
			// Write-ahead log: far fewer fsyncs than the default rollback
			// journal. With synchronous=NORMAL a committed transaction
			// survives a crash of the process; only an OS crash or power
			// loss may lose the last few.
			"journal_mode": "wal",
			"synchronous":  "NORMAL",
			// All services share one connection (the plugin's default), so
			// this only matters if something else reads the file.
			"busy_timeout": "10000",
		},
	}

	nsConf, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("embeddedtemporal: namespace %q: %w", namespace, err)
	}
	nsConf.Detail.Config.Retention = durationpb.New(namespaceRetention)
	// A no-op when the namespace exists already.
	if err := sqliteschema.CreateNamespaces(sqlConf, nsConf); err != nil {
		return nil, fmt.Errorf("embeddedtemporal: registering namespace %q: %w", namespace, err)
	}
	return sqlConf, nil
}

// prepareVisibility makes sure path holds a visibility database (created
// as the main one is, with the whole Temporal schema of which the server
// uses the visibility tables) and returns its config: main's, on path.
// A data directory of a release that kept visibility in the main file
// starts a new one: workflows started before then are missing from
// `temporal workflow list` until the server rewrites their row (when they
// upsert a search attribute or close); their histories are untouched.
func prepareVisibility(path string, main *config.SQL) (*config.SQL, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := createDatabaseThen(path, dropUnsearchedIndexes); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("embeddedtemporal: visibility database file: %w", err)
	} else if err := checkDatabase(path); err != nil {
		return nil, err
	}
	conf := *main
	conf.DatabaseName = path
	conf.ConnectAttributes = maps.Clone(main.ConnectAttributes)
	return &conf, nil
}

// searchedIndexes are the visibility indexes kept: the order of `temporal
// workflow list` and the filters an operator of helpdesk uses (by
// workflow ID, type, status, start and task queue).
var searchedIndexes = []string{"default_idx", "by_execution_time", "by_workflow_id", "by_workflow_type", "by_status", "by_task_queue"}

// dropUnsearchedIndexes removes from a new visibility database the indexes
// over the search attributes helpdesk never sets or searches (the custom
// Bool01…KeywordList03, schedules', deployments', batch jobs' and the
// rest): some fifty of them, each written on every workflow start and
// search-attribute change. Without them a create burst took 55 % more
// tickets a second through the same outbox lag (docs/performance.md); a
// list filtered by one of those attributes still works, by a scan.
func dropUnsearchedIndexes(path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?"+url.Values{"mode": {"rw"}}.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL`)
	if err != nil {
		return err
	}
	var drop []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		if !slices.Contains(searchedIndexes, name) {
			drop = append(drop, name)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, name := range drop {
		if _, err := db.Exec(`DROP INDEX "` + name + `"`); err != nil {
			return fmt.Errorf("dropping visibility index %s: %w", name, err)
		}
	}
	return nil
}

// createDatabase creates the SQLite database at dbPath with the Temporal
// schema.
func createDatabase(dbPath string) error {
	return createDatabaseThen(dbPath, nil)
}

// createDatabaseThen creates the database as createDatabase does and runs
// then on it, under its temporary name, before it is renamed into place.
func createDatabaseThen(dbPath string, then func(path string) error) error {
	tmpPath := dbPath + ".init"
	removeDBFiles(tmpPath) // leftovers of an interrupted earlier attempt
	err := sqliteschema.SetupSchema(&config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      tmpPath,
		ConnectAttributes: map[string]string{"mode": "rwc"},
	})
	if err == nil && then != nil {
		err = then(tmpPath)
	}
	if err != nil {
		removeDBFiles(tmpPath)
		return fmt.Errorf("embeddedtemporal: creating database schema in %s: %w", tmpPath, err)
	}
	if err := os.Rename(tmpPath, dbPath); err != nil {
		removeDBFiles(tmpPath)
		return fmt.Errorf("embeddedtemporal: creating database: %w", err)
	}
	return nil
}

// removeDBFiles removes an SQLite database file and its side files.
func removeDBFiles(path string) {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}

// serviceConfig returns the RPC config of one service.
func serviceConfig(ip string, port int) config.Service {
	var s config.Service
	s.RPC.GRPCPort = port
	s.RPC.BindOnIP = ip
	return s
}

// dynamicConfig returns the server's dynamic config: the defaults, tuned
// down for a small single-process server, with task queues read from read
// partitions and written to write (see taskQueuePartitions), and over
// (tests' own) on top.
func dynamicConfig(read, write int, over dynamicconfig.StaticClient) dynamicconfig.StaticClient {
	c := dynamicconfig.StaticClient{
		// The default (128k mutable states in memory) is sized for a
		// server host, not for a process embedded in a product.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8192,

		// The worker service of server v1.32.0 never stops the SDK workers
		// of its scanners and of the parent-close-policy processor (see the
		// "Nothing is gracefully stopping these workers" TODOs in
		// service/worker/scanner). After Stop they would keep polling,
		// logging and holding goroutines for the life of the process, and
		// with a fixed Port they would even poll the next server started in
		// the same process. So they are not started:
		//   - the history scanner only removes orphaned history branches and
		//     the task queue scanner only removes idle task queue rows and
		//     expired tasks: small garbage in a single-node server;
		//     retention-based deletion of closed workflows does not depend
		//     on them (the history service does it with timer tasks);
		//   - without the parent-close-policy worker the history service
		//     applies parent close policies itself, whatever the number of
		//     children.
		dynamicconfig.HistoryScannerEnabled.Key():         false,
		dynamicconfig.TaskQueueScannerEnabled.Key():       false,
		dynamicconfig.EnableParentClosePolicyWorker.Key(): false,
	}
	maps.Copy(c, partitionConfig(read, write))
	maps.Copy(c, over)
	return c
}

// resolveHost validates Options.Host and returns the IP the frontend binds
// on, the loopback IP the internal services bind on and the IP clients
// (including the server's own worker service) dial the frontend on.
func resolveHost(host string) (frontendIP, internalIP, dialIP string, err error) {
	switch host {
	case "":
		host = defaultHost
	case "localhost":
		// The server wants an IP to bind on.
		host = defaultHost
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return "", "", "", fmt.Errorf("embeddedtemporal: host %q is not an IP address", host)
	}
	internalIP = "127.0.0.1"
	if ip.To4() == nil {
		internalIP = "::1"
	}
	dialIP = ip.String()
	if ip.IsUnspecified() {
		dialIP = internalIP
	}
	return ip.String(), internalIP, dialIP, nil
}

// freePort returns a TCP port that is free on ip right now.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("embeddedtemporal: finding a free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// checkPortFree reports an error if ip:port cannot be listened on.
func checkPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}
