package store

import (
	"context"
	"fmt"
	"strings"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect/sql/schema"

	"helpdesk/ent/migrate"
	"helpdesk/migrations"
)

// MigrateAsRelease2 migrates the database as the last release of the
// additive era did: ent's diff, the data steps to version 2, no files.
func (d *DB) MigrateAsRelease2(ctx context.Context) error {
	migrating.Lock()
	defer migrating.Unlock()
	current, err := d.Version(ctx)
	if err != nil {
		return err
	}
	if err := d.migrateAdditive(ctx, current); err != nil {
		return err
	}
	return SeedDefaultPolicy(ctx, d.Client)
}

// SchemaDrift is the SQL that would bring the database's tables to ent's
// schema, dropping what ent does not have: "" when they agree.
func (d *DB) SchemaDrift(ctx context.Context) (string, error) {
	migrating.Lock()
	defer migrating.Unlock()
	var b strings.Builder
	if err := d.Client.Schema.WriteTo(ctx, &b, schema.WithDropColumn(true), schema.WithDropIndex(true), migrate.WithForeignKeys(true)); err != nil {
		return "", err
	}
	return b.String(), nil
}

// MigrateAsFirstFilesRelease migrates the database as the first release
// of migration files did: the baseline file alone, schema version 3.
func (d *DB) MigrateAsFirstFilesRelease(ctx context.Context) error {
	migrating.Lock()
	defer migrating.Unlock()
	dir, err := migrations.Dir(d.Dialect)
	if err != nil {
		return err
	}
	files, err := dir.Files()
	if err != nil {
		return err
	}
	first := &atlasmigrate.MemDir{}
	if err := first.WriteFile(files[0].Name(), files[0].Bytes()); err != nil {
		return err
	}
	sum, err := first.Checksum()
	if err != nil {
		return err
	}
	if err := atlasmigrate.WriteSumFile(first, sum); err != nil {
		return err
	}
	if _, err := d.Version(ctx); err != nil {
		return err
	}
	if _, err := d.applyDir(ctx, first, 0); err != nil {
		return err
	}
	if _, err := d.SQL.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (version, applied_at) VALUES (3, CURRENT_TIMESTAMP)", versionsTable)); err != nil {
		return err
	}
	return SeedDefaultPolicy(ctx, d.Client)
}
