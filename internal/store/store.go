// Package store opens the database — PostgreSQL (lib/pq) when a URL is
// given, else an embedded SQLite file under the data directory — and
// brings its schema up to date.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/lib/pq"  // PostgreSQL driver
	_ "modernc.org/sqlite" // embedded SQLite driver (pure Go)

	"helpdesk/ent"
	"helpdesk/ent/migrate"
	_ "helpdesk/ent/runtime" // registers the schema's hooks and privacy policies
	"helpdesk/ent/slapolicy"
	"helpdesk/internal/dirlock"
	"helpdesk/internal/sla"
	"helpdesk/internal/viewer"
)

// DB is an open database.
type DB struct {
	// Client is the ent client every part of the product uses.
	Client *ent.Client
	// SQL is the underlying pool (for advisory locks and health checks).
	SQL *sql.DB
	// Dialect is dialect.Postgres or dialect.SQLite.
	Dialect string
	// lock is the data directory's lock, held while the embedded database
	// is open.
	lock *dirlock.Lock
}

// LockFileName is the lock file inside the data directory: one process at
// a time uses the embedded database (and the Temporal files beside it).
const LockFileName = "helpdesk.lock"

// ErrDataDirInUse is returned (wrapped) by Open when another helpdesk
// holds the data directory.
var ErrDataDirInUse = errors.New("store: data directory in use")

// Open opens PostgreSQL at url, or SQLite in dataDir when url is empty;
// opts configure the client (e.g. ent.WebhookTargets).
// SQLite is opened only once dataDir's lock is taken, so a second process
// on the same directory fails before it touches (or migrates) the file.
func Open(ctx context.Context, url, dataDir string, opts ...ent.Option) (*DB, error) {
	var (
		db   *sql.DB
		err  error
		dia  string
		lock *dirlock.Lock
	)
	if url != "" {
		dia = dialect.Postgres
		conn, err := postgresConnector(withConnectTimeout(url))
		if err != nil {
			return nil, fmt.Errorf("store: DATABASE_URL: %w", err)
		}
		db = sql.OpenDB(conn)
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
		db.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		dia = dialect.SQLite
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("store: creating HELPDESK_DATA_DIR %s: %w", dataDir, err)
		}
		lock, err = dirlock.Acquire(filepath.Join(dataDir, LockFileName))
		if errors.Is(err, dirlock.ErrHeld) {
			return nil, fmt.Errorf("%w: another helpdesk uses HELPDESK_DATA_DIR %s (%s is held); stop it, or give this one a HELPDESK_DATA_DIR of its own", ErrDataDirInUse, dataDir, LockFileName)
		} else if err != nil {
			return nil, fmt.Errorf("store: HELPDESK_DATA_DIR %s: %w", dataDir, err)
		}
		path := filepath.Join(dataDir, "helpdesk.db")
		// WAL lets readers run beside the writer; immediate transactions
		// take the write lock up front and wait for it (busy_timeout)
		// instead of failing half-way; times are stored in SQLite's own
		// format, which reads back whatever their zone.
		dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
		db, err = sql.Open("sqlite", dsn)
		if err != nil {
			lock.Release()
			return nil, fmt.Errorf("store: opening %s: %w", path, err)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		lock.Release()
		if url != "" {
			return nil, fmt.Errorf("store: cannot reach PostgreSQL at DATABASE_URL (is it running, and does the database exist?): %w", err)
		}
		return nil, fmt.Errorf("store: opening the embedded database: %w", err)
	}
	drv := entsql.OpenDB(dia, db)
	return &DB{Client: NewClient(drv, opts...), SQL: db, Dialect: dia, lock: lock}, nil
}

// connectTimeout bounds each new connection to PostgreSQL (lib/pq's
// connect_timeout, in seconds) unless DATABASE_URL sets its own: a
// database host that drops packets, rather than refusing, would otherwise
// hold each request for the system's TCP timeout (about two minutes)
// before it answers UNAVAILABLE. A healthy server connects in
// milliseconds, a busy one well within this.
const connectTimeout = 5

// withConnectTimeout adds connectTimeout to a postgres:// URL that has no
// connect_timeout (a key=value DSN is left as it is).
func withConnectTimeout(dsn string) string {
	u, err := neturl.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn
	}
	q := u.Query()
	if q.Get("connect_timeout") != "" {
		return dsn
	}
	q.Set("connect_timeout", strconv.Itoa(connectTimeout))
	u.RawQuery = q.Encode()
	return u.String()
}

// NewClient wraps an already open driver (tests count its queries).
func NewClient(drv dialect.Driver, opts ...ent.Option) *ent.Client {
	return ent.NewClient(append([]ent.Option{ent.Driver(drv)}, opts...)...)
}

// Close closes the database and releases the data directory.
func (d *DB) Close() error {
	err := d.Client.Close()
	d.lock.Release()
	return err
}

var migrating sync.Mutex

// migrationLockKey serializes migrations of processes starting together.
const migrationLockKey = 0x68656c71

// SchemaVersion is the newest version in helpdesk_schema_versions, the
// record of the releases that migrated by ent's additive diff and Go
// data steps:
//
//  1. the first versioned schema
//  2. typed actors and the ticket's state on events; contact e-mails
//     unique per organization (toVersion2)
//  3. the schema is kept by the versioned migration files (package
//     migrations) and their revisions in helpdesk_schema_revisions
//
// It stays 3: a schema change is a new migration file (and, when data
// must move, its step in fileSteps). Recording 3 makes a release of the
// additive era refuse a database the files have taken over.
const SchemaVersion = 3

// legacyVersion is the last version of the additive era: the schema of
// the baseline file, which a database at this version already has.
const legacyVersion = 2

// dataStep migrates the data of one version in tx; dia is the dialect,
// for the SQL that ent does not write.
type dataStep func(ctx context.Context, tx *ent.Tx, dia string) error

// dataSteps are the data migrations of the additive era by the version
// they lead to, run in order after the schema diff, each in its own
// transaction, on a database older than legacyVersion.
var dataSteps = map[int]dataStep{2: toVersion2}

// versionsTable records every schema version of the additive era
// applied, and when.
const versionsTable = "helpdesk_schema_versions"

// Migrate brings the database to the newest migration file and seeds the
// default SLA policy. A new database gets every file; a database of the
// additive era (helpdesk_schema_versions, no revisions) is brought to
// legacyVersion as its release would have, and the baseline file is
// recorded as applied, not run; from then on only the files after the
// last revision run, each with its data step and its revision in one
// transaction. A database at a newer version or revision than this
// binary knows is refused rather than touched. On PostgreSQL an advisory
// lock keeps concurrent starts (API and workers) from racing: one
// applies, the others find nothing left to do.
func (d *DB) Migrate(ctx context.Context) error {
	_, err := d.MigrateReport(ctx)
	return err
}

// Migration is what one Migrate did.
type Migration struct {
	// Applied are the files it ran, in order.
	Applied []string
	// Baseline is the file it recorded as applied without running it
	// (a database of the additive era taken over), or "".
	Baseline string
	// Revision is the newest file the database has now.
	Revision string
}

// Log says what m did: each file applied, the baseline recorded.
func (m Migration) Log(log *slog.Logger) {
	for _, f := range m.Applied {
		log.Info("applied migration", "file", f)
	}
	if m.Baseline != "" {
		log.Info("recorded the schema of the previous release as migration", "file", m.Baseline)
	}
}

// MigrateReport is Migrate, telling what it did.
func (d *DB) MigrateReport(ctx context.Context) (Migration, error) {
	// ent's migrator shares its table descriptions across clients: one
	// migration at a time per process.
	migrating.Lock()
	defer migrating.Unlock()
	if d.Dialect == dialect.Postgres {
		conn, err := d.SQL.Conn(ctx)
		if err != nil {
			return Migration{}, err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
			return Migration{}, fmt.Errorf("store: taking the migration lock: %w", err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLockKey)
		}()
	}
	current, err := d.Version(ctx)
	if err != nil {
		return Migration{}, err
	}
	if current > SchemaVersion {
		return Migration{}, fmt.Errorf("store: the database is at schema version %d, newer than this helpdesk (%d): run the newer helpdesk, or restore a backup taken before the upgrade", current, SchemaVersion)
	}
	m, err := d.applyFiles(ctx, current)
	if err != nil {
		return m, err
	}
	if current < SchemaVersion {
		if _, err := d.SQL.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (version, applied_at) VALUES (%d, CURRENT_TIMESTAMP)", versionsTable, SchemaVersion)); err != nil {
			return Migration{}, fmt.Errorf("store: recording schema version %d: %w", SchemaVersion, err)
		}
	}
	return m, SeedDefaultPolicy(ctx, d.Client)
}

// migrateAdditive brings a database of the additive era from version
// current to legacyVersion as that era's releases did: ent's diff adds
// tables, columns and indexes (dropping nothing), then each version's
// data step runs and is recorded. The diff is against the current ent
// schema, so such a database reaches the files with the column changes of
// later files already made by ent (a type by a plain cast): a file that
// changes a column's type must read both (20261203140100's USING does).
func (d *DB) migrateAdditive(ctx context.Context, current int) error {
	if err := d.Client.Schema.Create(ctx, schema.WithDropColumn(false), schema.WithDropIndex(false), migrate.WithForeignKeys(true)); err != nil {
		return fmt.Errorf("store: migrating the schema: %w", err)
	}
	for v := current + 1; v <= legacyVersion; v++ {
		tx, err := d.Client.Tx(viewer.SystemContext(ctx))
		if err != nil {
			return err
		}
		if step := dataSteps[v]; step != nil {
			if err := step(viewer.SystemContext(ctx), tx, d.Dialect); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("store: migrating data to schema version %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (version, applied_at) VALUES (%d, CURRENT_TIMESTAMP)", versionsTable, v)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: recording schema version %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Version is the newest schema version applied to the database (0 for a
// new one).
func (d *DB) Version(ctx context.Context) (int, error) {
	if _, err := d.SQL.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+versionsTable+" (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"); err != nil {
		return 0, fmt.Errorf("store: creating %s: %w", versionsTable, err)
	}
	var v sql.NullInt64
	if err := d.SQL.QueryRowContext(ctx, "SELECT MAX(version) FROM "+versionsTable).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: reading the schema version: %w", err)
	}
	return int(v.Int64), nil
}

// SeedDefaultPolicy creates the installation's default SLA policy (SPEC §2)
// unless one exists.
func SeedDefaultPolicy(ctx context.Context, c *ent.Client) error {
	ctx = viewer.SystemContext(ctx)
	exists, err := c.SLAPolicy.Query().Where(slapolicy.IsDefault(true)).Exist(ctx)
	if err != nil || exists {
		return err
	}
	p := sla.Default("UTC", false)
	return c.SLAPolicy.Create().SetName("Default").SetTimezone(p.Timezone).SetAlwaysOpen(false).
		SetOpeningHours(p.OpeningHours).SetHolidays([]string{}).SetTargets(p.Targets).SetIsDefault(true).Exec(ctx)
}

// Ping checks the database answers (readiness).
func (d *DB) Ping(ctx context.Context) error {
	if d == nil || d.SQL == nil {
		return errors.New("store: not open")
	}
	return d.SQL.PingContext(ctx)
}
