// Command helpdesk is the service desk backend: one binary that serves the
// GraphQL API, runs the ticket workflows, or both.
//
//	helpdesk [serve] [--demo]   API + worker; embedded SQLite and Temporal unless configured
//	helpdesk api                the API alone (needs DATABASE_URL and TEMPORAL_ADDRESS to scale out)
//	helpdesk worker             the workflow worker alone
//	helpdesk migrate            bring the database schema up to date and exit
//	helpdesk seed               fill an empty database with a demo tenant and print its tokens
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
	"syscall"
	_ "time/tzdata" // time zones work on machines without a zoneinfo database

	"helpdesk/internal/app"
	"helpdesk/internal/config"
	"helpdesk/internal/demo"
	"helpdesk/internal/store"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "helpdesk:", err)
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: helpdesk [serve|api|worker|migrate|seed] [--demo]

  serve     API + worker in one process (default). With nothing configured it
            uses an embedded SQLite database and an in-process Temporal server,
            both kept under HELPDESK_DATA_DIR.
  api       the GraphQL API alone        } for scale-out: set DATABASE_URL and
  worker    the workflow worker alone    } TEMPORAL_ADDRESS
  migrate   bring the database schema up to date and exit
  seed      fill the database with a demo tenant and print its tokens

  --demo    (serve) seed the demo tenant first if it is missing

environment:
`)
	for _, v := range config.Variables {
		def := v.Default
		if def == "" {
			def = "—"
		}
		fmt.Fprintf(w, "  %-31s %s (default %s)\n", v.Name, v.Meaning, def)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("helpdesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(stderr) }
	withDemo := fs.Bool("demo", false, "seed the demo tenant if missing")
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		usage(stderr)
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := config.FromOS()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
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
	case "migrate", "seed":
		db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, app.ClientOptions(cfg)...)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		if cmd == "migrate" {
			log.Info("schema is up to date")
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
