package store

import (
	"context"
	"strings"

	"entgo.io/ent/dialect/sql/schema"

	"helpdesk/ent/migrate"
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
