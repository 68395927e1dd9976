// Package migrationgen plans the versioned migration files of the
// database schema (package migrations) from the ent schema: it replays a
// dialect's files on an empty scratch database — a temporary database on
// a PostgreSQL server, an in-memory SQLite — and diffs what they built
// against ent's tables. cmd/helpdesk-migrations writes the difference as
// a new file; the drift test expects none.
package migrationgen

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/lib/pq"  // PostgreSQL driver
	_ "modernc.org/sqlite" // SQLite driver

	entmigrate "helpdesk/ent/migrate"
)

// Scratch is an empty database to replay files on, and how to drop it.
type Scratch struct {
	Dialect string
	DB      *sql.DB
	close   func() error
}

// Close drops the scratch database.
func (s *Scratch) Close() error { return s.close() }

// ScratchSQLite opens an empty in-memory SQLite database. One connection:
// each connection of an in-memory database is a database of its own.
func ScratchSQLite() (*Scratch, error) {
	db, err := sql.Open("sqlite", "file::memory:?_pragma=foreign_keys(1)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &Scratch{Dialect: dialect.SQLite, DB: db, close: db.Close}, nil
}

// ScratchPostgres creates a temporary database on the server of server
// (a PostgreSQL URL whose user may create databases); Close drops it.
func ScratchPostgres(ctx context.Context, server string) (*Scratch, error) {
	admin, err := sql.Open("postgres", server)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "helpdesk_migrations_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, fmt.Errorf("migrationgen: creating a scratch database on %s: %w", redact(server), err)
	}
	u, err := url.Parse(server)
	if err != nil {
		admin.Close()
		return nil, err
	}
	u.Path = "/" + name
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		admin.Close()
		return nil, err
	}
	return &Scratch{Dialect: dialect.Postgres, DB: db, close: func() error {
		db.Close()
		defer admin.Close()
		_, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		return err
	}}, nil
}

// redact drops the password of a URL for messages.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "the PostgreSQL server"
}

// formatter names a planned file <version>_<name>.sql: one version for
// both dialects, so a revision means the same change in either.
func formatter(version string) (migrate.Formatter, error) {
	if err := migrate.CheckVersion(version); err != nil {
		return nil, err
	}
	return migrate.NewTemplateFormatter(
		template.Must(template.New("name").Parse(version+"{{ with .Name }}_{{ . }}{{ end }}.sql")),
		migrate.DefaultFormatter[0].C,
	)
}

// Plan replays dir's files on s and writes into dir, as the file
// <version>_<name>.sql (and its line in atlas.sum), what ent's schema
// adds, changes or drops beyond them. It reports whether there was
// anything to write. s must be empty; Plan leaves it empty.
func Plan(ctx context.Context, s *Scratch, dir migrate.Dir, version, name string) (bool, error) {
	f, err := formatter(version)
	if err != nil {
		return false, err
	}
	m, err := schema.NewMigrate(entsql.OpenDB(s.Dialect, s.DB),
		schema.WithDir(dir),
		schema.WithFormatter(f),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithErrNoPlan(true),
		// The files are reviewed: they drop what ent no longer has.
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithForeignKeys(true),
	)
	if err != nil {
		return false, err
	}
	switch err := m.NamedDiff(ctx, name, entmigrate.Tables...); {
	case errors.Is(err, migrate.ErrNoPlan):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("migrationgen: %s: %w", s.Dialect, err)
	}
	return true, nil
}

// Drift is what ent's schema has beyond files (the SQL a new file would
// hold), or "" when they agree. files is not written to.
func Drift(ctx context.Context, s *Scratch, files migrate.Dir) (string, error) {
	all, err := files.Files()
	if err != nil {
		return "", err
	}
	dir := &migrate.MemDir{}
	if err := dir.CopyFiles(all); err != nil {
		return "", err
	}
	if err := migrate.Validate(files); err != nil {
		return "", fmt.Errorf("migrationgen: %s: the files do not match their atlas.sum: %w", s.Dialect, err)
	}
	// The last version there is: the planned file sorts after every other.
	found, err := Plan(ctx, s, dir, "99991231235959", "drift")
	if err != nil || !found {
		return "", err
	}
	planned, err := dir.Files()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, f := range planned[len(all):] {
		b.Write(f.Bytes())
	}
	return b.String(), nil
}
