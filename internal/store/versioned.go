package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	atlaspg "ariga.io/atlas/sql/postgres"
	atlaslite "ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"

	"helpdesk/ent"
	entmigrate "helpdesk/ent/migrate"
	"helpdesk/internal/viewer"
	"helpdesk/migrations"
)

// revisionsTable records the migration files applied, one row per file
// (Atlas's revision: its hash, statements applied of the total, when and
// how long). A baseline row marks the file a database of the additive
// era already had.
const revisionsTable = "helpdesk_schema_revisions"

// fileSteps are the Go data steps of migration files, by the file's
// version: a step runs after its file's statements, in the same
// transaction, so a file and the data it moves commit together. A step
// runs on a new database too (with no rows).
var fileSteps = map[string]dataStep{}

// additiveLeftovers are the indexes the additive era kept on PostgreSQL
// after the schema had dropped them (SQLite rebuilt the table without
// them): taking a database of that era over drops them, so that it holds
// the baseline file's schema exactly. notification_status became
// (status, next_attempt_at) in version 2.
var additiveLeftovers = []string{"notification_status"}

// ErrNewerSchema is returned (wrapped) by Migrate when the database has
// a migration this binary does not.
var ErrNewerSchema = errors.New("store: the database schema is newer than this helpdesk")

// applyFiles applies the pending migration files; legacy is the newest
// version in helpdesk_schema_versions (0 for a new database).
func (d *DB) applyFiles(ctx context.Context, legacy int) (Migration, error) {
	dir, err := migrations.Dir(d.Dialect)
	if err != nil {
		return Migration{}, err
	}
	return d.applyDir(ctx, dir, legacy)
}

// applyDir is applyFiles with the files of dir.
func (d *DB) applyDir(ctx context.Context, dir migrate.Dir, legacy int) (Migration, error) {
	var m Migration
	files, err := dir.Files()
	if err != nil {
		return m, err
	}
	if len(files) == 0 {
		return m, fmt.Errorf("store: no migration files for %s", d.Dialect)
	}
	if _, err := d.SQL.ExecContext(ctx, createRevisions); err != nil {
		return m, fmt.Errorf("store: creating %s: %w", revisionsTable, err)
	}
	revs, err := (&revisions{q: d.SQL, dialect: d.Dialect}).ReadRevisions(ctx)
	if err != nil {
		return m, err
	}
	known := make(map[string]bool, len(files))
	for _, f := range files {
		known[f.Version()] = true
	}
	for _, r := range revs {
		if !known[r.Version] {
			return m, fmt.Errorf("%w: it has migration %s_%s, which this helpdesk (newest %s) does not know: run the newer helpdesk, or restore a backup taken before the upgrade",
				ErrNewerSchema, r.Version, r.Description, files[len(files)-1].Name())
		}
	}
	var opts []migrate.ExecutorOption
	if len(revs) == 0 {
		tickets, err := d.tableExists(ctx, entmigrate.TicketsTable.Name)
		if err != nil {
			return m, err
		}
		switch {
		case legacy >= SchemaVersion:
			return m, fmt.Errorf("store: the database is at schema version %d, kept by migration files, but %s is empty: restore it from a backup", legacy, revisionsTable)
		case legacy == 0 && !tickets:
			// A new database: every file runs. Tables of others beside
			// ours (if the database is shared) do not stop it.
			opts = append(opts, migrate.WithAllowDirty(true))
		default:
			if legacy < legacyVersion {
				if err := d.migrateAdditive(ctx, legacy); err != nil {
					return m, err
				}
			}
			for _, idx := range additiveLeftovers {
				if _, err := d.SQL.ExecContext(ctx, "DROP INDEX IF EXISTS "+idx); err != nil {
					return m, fmt.Errorf("store: dropping index %s, which the schema no longer has: %w", idx, err)
				}
			}
			// The additive era's last schema is now the baseline file's.
			opts = append(opts, migrate.WithBaselineVersion(files[0].Version()))
			m.Baseline = files[0].Name()
		}
	}
	for {
		applied, err := d.applyNext(ctx, dir, opts)
		if err != nil {
			return m, err
		}
		if applied == "" {
			m.Revision = files[len(files)-1].Name()
			return m, nil
		}
		m.Applied = append(m.Applied, applied)
	}
}

// applyNext applies the first pending file, its data step and its
// revision in one transaction, and returns its name ("" when none was
// pending).
func (d *DB) applyNext(ctx context.Context, dir migrate.Dir, opts []migrate.ExecutorOption) (applied string, err error) {
	sys := viewer.SystemContext(ctx)
	tx, err := d.Client.Tx(sys)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var drv migrate.Driver
	if d.Dialect == dialect.Postgres {
		drv, err = atlaspg.Open(tx)
	} else {
		drv, err = atlaslite.Open(tx)
	}
	if err != nil {
		return "", err
	}
	ex, err := migrate.NewExecutor(drv, dir, &revisions{q: tx, dialect: d.Dialect}, opts...)
	if err != nil {
		return "", err
	}
	pending, err := ex.Pending(ctx)
	if errors.Is(err, migrate.ErrNoPendingFiles) {
		return "", tx.Commit() // with the baseline's revision, if just written
	}
	if err != nil {
		return "", fmt.Errorf("store: reading the pending migrations: %w", err)
	}
	f := pending[0]
	if err := ex.Execute(ctx, f); err != nil {
		return "", fmt.Errorf("store: applying migration %s: %w", f.Name(), err)
	}
	if step := fileSteps[f.Version()]; step != nil {
		if err := step(sys, tx, d.Dialect); err != nil {
			return "", fmt.Errorf("store: migrating the data of %s: %w", f.Name(), err)
		}
	}
	return f.Name(), tx.Commit()
}

// tableExists reports whether the database has table name.
func (d *DB) tableExists(ctx context.Context, name string) (bool, error) {
	q := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if d.Dialect == dialect.Postgres {
		q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	}
	var n int
	if err := d.SQL.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, fmt.Errorf("store: looking for table %s: %w", name, err)
	}
	return n > 0, nil
}

// Revision is one migration file applied to the database.
type Revision struct {
	// Version and Description name the file, <version>_<description>.sql.
	Version, Description string
	// Baseline marks a file the database had before the files took over.
	Baseline bool
	// ExecutedAt is when it was applied (or recorded, for a baseline).
	ExecutedAt time.Time
}

// Revisions are the migration files applied to the database, oldest first.
func (d *DB) Revisions(ctx context.Context) ([]Revision, error) {
	revs, err := (&revisions{q: d.SQL, dialect: d.Dialect}).ReadRevisions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Revision, len(revs))
	for i, r := range revs {
		out[i] = Revision{Version: r.Version, Description: r.Description, Baseline: r.Type == migrate.RevisionTypeBaseline, ExecutedAt: r.ExecutedAt}
	}
	return out, nil
}

var createRevisions = "CREATE TABLE IF NOT EXISTS " + revisionsTable + ` (
	version VARCHAR(64) PRIMARY KEY,
	description TEXT NOT NULL,
	type INTEGER NOT NULL,
	applied INTEGER NOT NULL,
	total INTEGER NOT NULL,
	executed_at TIMESTAMP NOT NULL,
	execution_time BIGINT NOT NULL,
	error TEXT NOT NULL,
	error_stmt TEXT NOT NULL,
	hash TEXT NOT NULL,
	partial_hashes TEXT NOT NULL,
	operator_version TEXT NOT NULL)`

// execQuerier is a pool or a transaction.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// revisions is Atlas's migrate.RevisionReadWriter over revisionsTable.
type revisions struct {
	q       execQuerier
	dialect string
}

var _ migrate.RevisionReadWriter = (*revisions)(nil)

// Ident implements migrate.RevisionReadWriter.
func (r *revisions) Ident() *migrate.TableIdent {
	return &migrate.TableIdent{Name: revisionsTable}
}

const revisionColumns = "version, description, type, applied, total, executed_at, execution_time, error, error_stmt, hash, partial_hashes, operator_version"

// bind rewrites the ? placeholders of q for the dialect.
func (r *revisions) bind(q string) string {
	if r.dialect != dialect.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ReadRevisions implements migrate.RevisionReadWriter.
func (r *revisions) ReadRevisions(ctx context.Context) ([]*migrate.Revision, error) {
	return r.read(ctx, "SELECT "+revisionColumns+" FROM "+revisionsTable+" ORDER BY version")
}

// ReadRevision implements migrate.RevisionReadWriter.
func (r *revisions) ReadRevision(ctx context.Context, version string) (*migrate.Revision, error) {
	revs, err := r.read(ctx, r.bind("SELECT "+revisionColumns+" FROM "+revisionsTable+" WHERE version = ?"), version)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, migrate.ErrRevisionNotExist
	}
	return revs[0], nil
}

func (r *revisions) read(ctx context.Context, q string, args ...any) ([]*migrate.Revision, error) {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: reading %s: %w", revisionsTable, err)
	}
	defer rows.Close()
	var out []*migrate.Revision
	for rows.Next() {
		var (
			rev     migrate.Revision
			typ     int
			elapsed int64
			partial string
		)
		if err := rows.Scan(&rev.Version, &rev.Description, &typ, &rev.Applied, &rev.Total, &rev.ExecutedAt, &elapsed,
			&rev.Error, &rev.ErrorStmt, &rev.Hash, &partial, &rev.OperatorVersion); err != nil {
			return nil, fmt.Errorf("store: reading %s: %w", revisionsTable, err)
		}
		rev.Type = migrate.RevisionType(typ)
		rev.ExecutionTime = time.Duration(elapsed)
		if err := json.Unmarshal([]byte(partial), &rev.PartialHashes); err != nil {
			return nil, fmt.Errorf("store: %s of %s: %w", revisionsTable, rev.Version, err)
		}
		out = append(out, &rev)
	}
	return out, rows.Err()
}

// WriteRevision implements migrate.RevisionReadWriter.
func (r *revisions) WriteRevision(ctx context.Context, rev *migrate.Revision) error {
	partial, err := json.Marshal(rev.PartialHashes)
	if err != nil {
		return err
	}
	q := r.bind("INSERT INTO " + revisionsTable + " (" + revisionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (version) DO UPDATE SET description = excluded.description, type = excluded.type, applied = excluded.applied,
		total = excluded.total, executed_at = excluded.executed_at, execution_time = excluded.execution_time, error = excluded.error,
		error_stmt = excluded.error_stmt, hash = excluded.hash, partial_hashes = excluded.partial_hashes, operator_version = excluded.operator_version`)
	_, err = r.q.ExecContext(ctx, q, rev.Version, rev.Description, int(rev.Type), rev.Applied, rev.Total, rev.ExecutedAt.UTC(),
		int64(rev.ExecutionTime), rev.Error, rev.ErrorStmt, rev.Hash, string(partial), rev.OperatorVersion)
	return err
}

// DeleteRevision implements migrate.RevisionReadWriter.
func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	_, err := r.q.ExecContext(ctx, r.bind("DELETE FROM "+revisionsTable+" WHERE version = ?"), version)
	return err
}

// ensure the ent transaction is what Atlas's drivers and the revisions
// run on.
var _ execQuerier = (*ent.Tx)(nil)
