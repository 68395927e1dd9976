// Command helpdesk-migrations writes the next versioned migration file
// of the database schema from the ent schema, for both dialects:
//
//	go run ./cmd/helpdesk-migrations [-postgres URL] [-dir migrations] <name>
//
// It replays migrations/postgres on a temporary database it creates on
// the PostgreSQL server of -postgres (default $HELPDESK_TEST_DATABASE_URL,
// else the local server) and migrations/sqlite on an in-memory SQLite,
// and writes what ent/schema adds beyond them as
// <version>_<name>.sql into each directory, with its atlas.sum. Run it
// from the module's root after `go generate ./...`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"helpdesk/internal/migrationgen"
)

// defaultPostgres is the server of the scratch database when neither
// -postgres nor HELPDESK_TEST_DATABASE_URL names one.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// validName keeps file names readable and free of the version separator's
// ambiguity.
var validName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "helpdesk-migrations:", err)
		os.Exit(1)
	}
}

func run() error {
	server := os.Getenv("HELPDESK_TEST_DATABASE_URL")
	if server == "" {
		server = defaultPostgres
	}
	flag.StringVar(&server, "postgres", server, "PostgreSQL `URL` of a server to create the scratch database on")
	root := flag.String("dir", "migrations", "the `directory` holding postgres/ and sqlite/")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./cmd/helpdesk-migrations [-postgres URL] [-dir migrations] <name>")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || !validName.MatchString(flag.Arg(0)) {
		flag.Usage()
		return errors.New("one name of lower-case letters, digits and underscores, e.g. add_ticket_tags")
	}
	name := flag.Arg(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	version := migrate.NewVersion()
	for _, d := range []struct{ dialect, dir string }{{dialect.Postgres, "postgres"}, {dialect.SQLite, "sqlite"}} {
		path := filepath.Join(*root, d.dir)
		if err := os.MkdirAll(path, 0o755); err != nil {
			return err
		}
		dir, err := migrate.NewLocalDir(path)
		if err != nil {
			return err
		}
		var s *migrationgen.Scratch
		if d.dialect == dialect.Postgres {
			s, err = migrationgen.ScratchPostgres(ctx, server)
		} else {
			s, err = migrationgen.ScratchSQLite()
		}
		if err != nil {
			return err
		}
		wrote, err := migrationgen.Plan(ctx, s, dir, version, name)
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if wrote {
			fmt.Printf("%s: wrote %s_%s.sql\n", path, version, name)
		} else {
			fmt.Printf("%s: the files already agree with ent/schema\n", path)
		}
	}
	return nil
}
