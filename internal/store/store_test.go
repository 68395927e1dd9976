package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"helpdesk/internal/apitest"
	"helpdesk/internal/store"
	"helpdesk/internal/viewer"
)

// TestMigrateIsVersionedAndKeepsData: migrating again is a no-op that
// keeps every row; a database newer than the binary is refused untouched.
func TestMigrateIsVersionedAndKeepsData(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	ctx := context.Background()
	db := e.DB
	v, err := db.Version(ctx)
	if err != nil || v != store.SchemaVersion {
		t.Fatalf("version after the first migration: %d %v, want %d", v, err, store.SchemaVersion)
	}
	sys := viewer.SystemContext(ctx)
	if err := db.Client.Organization.Create().SetName("Kept GmbH").SetRegion("EU").SetTimezone("Europe/Berlin").Exec(sys); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	if n, _ := db.Client.Organization.Query().Count(sys); n != 1 {
		t.Fatalf("organizations after migrating again: %d, want 1", n)
	}
	if n, _ := db.Client.SLAPolicy.Query().Count(sys); n != 1 {
		t.Fatalf("default policies after migrating again: %d, want 1", n)
	}

	if _, err := db.SQL.ExecContext(ctx, fmt.Sprintf("INSERT INTO helpdesk_schema_versions (version, applied_at) VALUES (%d, CURRENT_TIMESTAMP)", store.SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	err = db.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "newer than this helpdesk") {
		t.Fatalf("migrating a newer database: %v, want a refusal", err)
	}
	if n, _ := db.Client.Organization.Query().Count(sys); n != 1 {
		t.Fatalf("organizations after the refusal: %d, want 1", n)
	}
}
