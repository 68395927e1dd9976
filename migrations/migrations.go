// Package migrations holds the versioned migration files of the database
// schema, one directory per dialect (postgres, sqlite), each with Atlas's
// integrity file atlas.sum. store.Migrate applies them in order of their
// version; internal/migrationgen writes them from the ent schema.
//
// A schema change is made in ent/schema, then:
//
//	go generate ./...
//	go run ./cmd/helpdesk-migrations <name>
//
// which writes <version>_<name>.sql into both directories (the same
// version) and rewrites both atlas.sum files. Review the SQL: a dropped
// column or index loses its data. A file must run inside a transaction
// (store.Migrate applies each file, its data step and its revision in
// one). Files already released are never edited; a change is a new file.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
)

//go:embed postgres sqlite
var files embed.FS

// DirName is the directory of a dialect's files, below this package.
func DirName(dia string) (string, error) {
	switch dia {
	case dialect.Postgres:
		return "postgres", nil
	case dialect.SQLite:
		return "sqlite", nil
	}
	return "", fmt.Errorf("migrations: no migration files for dialect %q", dia)
}

// Dir is a copy in memory of the files of dialect dia, with their
// atlas.sum, for Atlas's executor.
func Dir(dia string) (*migrate.MemDir, error) {
	name, err := DirName(dia)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(files, name)
	if err != nil {
		return nil, err
	}
	dir := &migrate.MemDir{}
	for _, e := range entries {
		b, err := fs.ReadFile(files, name+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	return dir, nil
}
