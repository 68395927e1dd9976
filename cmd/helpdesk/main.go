// Command helpdesk is the service desk backend: one binary that serves the
// GraphQL API, runs the ticket workflows, or both.
//
//	helpdesk [serve] [--demo]   API + worker; embedded SQLite and Temporal unless configured
//	helpdesk api                the API alone (needs DATABASE_URL and TEMPORAL_ADDRESS to scale out)
//	helpdesk worker             the workflow worker alone
//	helpdesk temporal           a Temporal server alone (the in-process one), for api and worker processes
//	helpdesk migrate            apply the pending migration files (migrations/) and exit
//	helpdesk seed               fill an empty database with a demo tenant and print its tokens
//	helpdesk version            the module version, VCS revision and Go version of this binary
//	helpdesk help               commands and environment variables (also -h, --help)
//
// Configuration comes from the environment; `helpdesk -h` lists it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"text/tabwriter"
	_ "time/tzdata" // time zones work on machines without a zoneinfo database

	"helpdesk/internal/app"
	"helpdesk/internal/config"
	"helpdesk/internal/demo"
	"helpdesk/internal/store"
)

// gcPercent is the garbage collector's target (GOGC) unless the GOGC
// variable sets another: a request allocates a great deal for its size (a
// page of 50 tickets goes through ent's rows, gqlgen's field tree and JSON),
// and at Go's default of 100 a loaded process spent about a third of its
// CPU collecting. At 400 the heap may grow to five times what is live —
// a few hundred MB with the in-process Temporal — for 15–45 % more requests
// per second in the load command (docs/performance.md). GOMEMLIMIT, if
// set, still bounds it.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "helpdesk:", err)
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: helpdesk [serve|api|worker|temporal|migrate|seed|version|help] [--demo]

  serve     API + worker in one process (default). With nothing configured it
            uses an embedded SQLite database and an in-process Temporal server,
            both kept under HELPDESK_DATA_DIR.
  api       the GraphQL API alone        } for scale-out: set DATABASE_URL and
  worker    the workflow worker alone    } TEMPORAL_ADDRESS
  temporal  a Temporal server alone: the in-process one, on
            HELPDESK_TEMPORAL_LISTEN with its files under HELPDESK_DATA_DIR/temporal,
            as the TEMPORAL_ADDRESS of api and worker processes on one machine
            or in tests (a production cluster runs Temporal's own server)
  migrate   apply the pending migration files to the database and exit
  seed      fill the database with a demo tenant and print its tokens
  version   print the version, VCS revision and Go version of this binary
  help      print this help (also -h, --help)

  --demo    (serve) seed the demo tenant first if it is missing

environment (— = unset):

`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  VARIABLE\tDEFAULT\tMEANING")
	for _, v := range config.Variables {
		def := v.Default
		if def == "" {
			def = "—"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Name, def, v.Meaning)
	}
	_ = tw.Flush()
}

// printVersion writes what the Go toolchain recorded about this binary.
// Go records no build time; the VCS commit time stands in for it. A
// binary built outside a Git checkout (or with -buildvcs=false, or by go
// run) has no VCS information.
func printVersion(w io.Writer, info *debug.BuildInfo) {
	if info == nil {
		fmt.Fprintf(w, "helpdesk (no build information)\ngo %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	vcs := map[string]string{}
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	revision, commitTime := vcs["vcs.revision"], vcs["vcs.time"]
	if revision == "" {
		revision = "unknown (built without VCS information; go build in a Git checkout records it)"
	} else if vcs["vcs.modified"] == "true" {
		revision += " (modified: built with uncommitted changes)"
	}
	if commitTime == "" {
		commitTime = "unknown"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "helpdesk\t%s\n", version)
	fmt.Fprintf(tw, "revision\t%s\n", revision)
	fmt.Fprintf(tw, "commit time\t%s\n", commitTime)
	fmt.Fprintf(tw, "go\t%s %s/%s\n", info.GoVersion, runtime.GOOS, runtime.GOARCH)
	_ = tw.Flush()
}

// newLogger is the logger of every part of the process, as
// HELPDESK_LOG_FORMAT and HELPDESK_LOG_LEVEL say.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("helpdesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // printed below: on stdout for -h, on stderr for a mistake
	withDemo := fs.Bool("demo", false, "seed the demo tenant if missing")
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return nil
		}
		usage(stderr)
		return err
	}
	if fs.NArg() > 0 {
		usage(stderr)
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch cmd {
	case "help":
		usage(stdout)
		return nil
	case "version":
		info, _ := debug.ReadBuildInfo()
		printVersion(stdout, info)
		return nil
	}
	cfg, err := config.FromOS()
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve", "api", "worker":
		role := map[string]app.Role{"serve": app.RoleAll, "api": app.RoleAPI, "worker": app.RoleWorker}[cmd]
		deps, err := app.Open(ctx, cfg, role, log)
		if err != nil {
			return err
		}
		defer deps.Close()
		if *withDemo {
			if err := seed(ctx, deps.DB, stdout); err != nil {
				return err
			}
		}
		return app.Serve(ctx, cfg, role, deps, log)
	case "temporal":
		srv, err := app.StartTemporal(ctx, cfg, log)
		if err != nil {
			return err
		}
		log.Info("Temporal server ready: set TEMPORAL_ADDRESS of helpdesk api and worker to it", "address", srv.FrontendAddr(), "namespace", cfg.TemporalNamespace)
		<-ctx.Done()
		log.Info("stopping the Temporal server")
		return srv.Stop()
	case "migrate", "seed":
		db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, app.ClientOptions(cfg)...)
		if err != nil {
			return err
		}
		defer db.Close()
		m, err := db.MigrateReport(ctx)
		if err != nil {
			return err
		}
		if cmd == "migrate" {
			m.Log(log)
			log.Info("schema is up to date", "revision", m.Revision, "applied", len(m.Applied))
			return nil
		}
		return seed(ctx, db, stdout)
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", cmd)
}

func seed(ctx context.Context, db *store.DB, out io.Writer) error {
	tok, seeded, err := demo.Seed(ctx, db.Client)
	if err != nil {
		return fmt.Errorf("seeding the demo tenant: %w", err)
	}
	if !seeded {
		fmt.Fprintf(out, "Demo tenant %q already exists; its tokens were printed when it was created.\n", demo.OrgName)
		return nil
	}
	demo.Print(out, tok)
	return nil
}
