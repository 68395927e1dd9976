package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"helpdesk/internal/apitest"
	"helpdesk/internal/store"
	"helpdesk/internal/viewer"
	"helpdesk/migrations"
)

// openEmpty opens an empty database of the suite's dialect, unmigrated.
func openEmpty(t testing.TB) *store.DB {
	t.Helper()
	var (
		db  *store.DB
		err error
	)
	if u := apitest.PostgresDB(t); u != "" {
		db, err = store.Open(context.Background(), u, "")
	} else {
		db, err = store.Open(context.Background(), "", t.TempDir())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// fileNames are the names of the dialect's migration files, in order.
func fileNames(t testing.TB, dia string) []string {
	t.Helper()
	dir, err := migrations.Dir(dia)
	if err != nil {
		t.Fatal(err)
	}
	files, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name()
	}
	return names
}

// noDrift fails t unless the database's tables are ent's schema.
func noDrift(t testing.TB, db *store.DB, what string) {
	t.Helper()
	drift, err := db.SchemaDrift(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(drift) != "" {
		t.Fatalf("%s differs from ent's schema; it would take:\n%s", what, drift)
	}
}

// revisionNames are the files the database records, baselines marked.
func revisionNames(t testing.TB, db *store.DB) []string {
	t.Helper()
	revs, err := db.Revisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range revs {
		n := r.Version + "_" + r.Description + ".sql"
		if r.Baseline {
			n += " (baseline)"
		}
		out = append(out, n)
	}
	return out
}

// TestNewDatabaseGetsEveryMigrationFileAndIsEntsSchema: a new database
// runs every file, records each as a revision, and ends up with exactly
// ent's tables; migrating again runs nothing.
func TestNewDatabaseGetsEveryMigrationFileAndIsEntsSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openEmpty(t)
	m, err := db.MigrateReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := fileNames(t, db.Dialect)
	if strings.Join(m.Applied, " ") != strings.Join(want, " ") || m.Baseline != "" || m.Revision != want[len(want)-1] {
		t.Fatalf("migrating a new database: %+v, want every file of %v applied", m, want)
	}
	if got := revisionNames(t, db); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("revisions %v, want %v", got, want)
	}
	noDrift(t, db, "the new database")
	if v, err := db.Version(ctx); err != nil || v != store.SchemaVersion {
		t.Fatalf("schema version %d %v, want %d", v, err, store.SchemaVersion)
	}
	if m, err := db.MigrateReport(ctx); err != nil || len(m.Applied) != 0 {
		t.Fatalf("migrating again: %+v %v, want nothing applied", m, err)
	}
}

// catalog identifies the database's tables and indexes: a table or index
// dropped and created again gets another identity (PostgreSQL's OID,
// SQLite's root page).
func catalog(t testing.TB, db *store.DB) map[string]int64 {
	t.Helper()
	q := "SELECT name, rootpage FROM sqlite_master WHERE type IN ('table', 'index') AND rootpage > 0"
	if db.Dialect == dialect.Postgres {
		q = "SELECT relname, oid::bigint FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'i')"
	}
	rows, err := db.SQL.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var id int64
		if err := rows.Scan(&name, &id); err != nil {
			t.Fatal(err)
		}
		out[name] = id
	}
	return out
}

// sameObjects fails t unless db has the tables and indexes of a new
// database, by name (the drift check does not see an index too many on
// SQLite).
func sameObjects(t testing.TB, db *store.DB, what string) {
	t.Helper()
	fresh := openEmpty(t)
	if err := fresh.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	want, got := catalog(t, fresh), catalog(t, db)
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s has %s, which a new database does not", what, name)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("%s lacks %s, which a new database has", what, name)
		}
	}
}

// TestDatabaseOfThePreviousReleaseIsTakenOverNotRecreated: a database
// the previous release migrated (schema version 2, no revisions), with
// rows, gets the baseline file recorded, not run: every table and index
// keeps its identity, the rows stay, and the schema is ent's.
func TestDatabaseOfThePreviousReleaseIsTakenOverNotRecreated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sys := viewer.SystemContext(ctx)
	db := openEmpty(t)
	if err := db.MigrateAsRelease2(ctx); err != nil {
		t.Fatal(err)
	}
	org, err := db.Client.Organization.Create().SetName("Kept GmbH").SetRegion("EU").SetTimezone("Europe/Berlin").Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	before := catalog(t, db)

	m, err := db.MigrateReport(ctx)
	if err != nil {
		t.Fatalf("migrating the previous release's database: %v", err)
	}
	files := fileNames(t, db.Dialect)
	if m.Baseline != files[0] || strings.Join(m.Applied, " ") != strings.Join(files[1:], " ") {
		t.Fatalf("migration %+v, want %s recorded as the baseline and only the files after it applied", m, files[0])
	}
	if got := revisionNames(t, db); len(got) == 0 || got[0] != files[0]+" (baseline)" {
		t.Fatalf("revisions %v, want %s as the baseline", got, files[0])
	}
	after := catalog(t, db)
	for name, id := range before {
		if after[name] != id {
			t.Errorf("%s was dropped or created again (identity %d, now %d)", name, id, after[name])
		}
	}
	if got, err := db.Client.Organization.Get(sys, org.ID); err != nil || got.Name != "Kept GmbH" {
		t.Fatalf("the organization after the migration: %v %v", got, err)
	}
	if n, _ := db.Client.SLAPolicy.Query().Count(sys); n != 1 {
		t.Fatalf("%d default policies, want 1", n)
	}
	noDrift(t, db, "the taken-over database")
	sameObjects(t, db, "the taken-over database")
	if v, err := db.Version(ctx); err != nil || v != store.SchemaVersion {
		t.Fatalf("schema version %d %v, want %d", v, err, store.SchemaVersion)
	}
}

// TestDatabaseWithAMigrationThisBinaryLacksIsRefusedUntouched: a
// revision of a newer helpdesk stops the migration with ErrNewerSchema,
// naming the revision, and changes nothing.
func TestDatabaseWithAMigrationThisBinaryLacksIsRefusedUntouched(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openEmpty(t)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO helpdesk_schema_revisions (version, description, type, applied, total, executed_at,
		execution_time, error, error_stmt, hash, partial_hashes, operator_version) VALUES ('99990101000000', 'from_the_future', 2, 1, 1,
		CURRENT_TIMESTAMP, 0, '', '', '', 'null', '')`); err != nil {
		t.Fatal(err)
	}
	before := catalog(t, db)
	err := db.Migrate(ctx)
	if !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), "99990101000000_from_the_future") || !strings.Contains(err.Error(), "run the newer helpdesk") {
		t.Fatalf("migrating a database of a newer helpdesk: %v, want a refusal naming its migration", err)
	}
	after := catalog(t, db)
	if len(after) != len(before) {
		t.Fatalf("the refused migration changed the tables: %d objects before, %d after", len(before), len(after))
	}
}

// TestConcurrentMigrationsOfOneNewPostgresDatabaseApplyEachFileOnce:
// several clients (each its own pool) migrating one new PostgreSQL
// database at once all succeed; each file is applied by one of them.
// (Processes, which the advisory lock serializes, are
// cmd/helpdesk's TestConcurrentMigrateProcessesOnOnePostgresDatabaseApplyOnce.)
func TestConcurrentMigrationsOfOneNewPostgresDatabaseApplyEachFileOnce(t *testing.T) {
	t.Parallel()
	u := apitest.PostgresDB(t)
	if u == "" {
		t.Skip("SQLite takes one process per data directory (its lock); the concurrency of migrations is PostgreSQL's")
	}
	const clients = 4
	ctx := context.Background()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied []string
		errs    []error
		dbs     []*store.DB
	)
	for range clients {
		db, err := store.Open(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := db.MigrateReport(ctx)
			mu.Lock()
			defer mu.Unlock()
			applied = append(applied, m.Applied...)
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("concurrent migrations failed: %v", errs)
	}
	want := fileNames(t, dialect.Postgres)
	if strings.Join(applied, " ") != strings.Join(want, " ") {
		t.Fatalf("files applied by %d clients together: %v, want each of %v once", clients, applied, want)
	}
	if got := revisionNames(t, dbs[0]); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("revisions %v, want %v", got, want)
	}
	noDrift(t, dbs[0], "the database migrated concurrently")
}
