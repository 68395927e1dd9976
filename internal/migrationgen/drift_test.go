package migrationgen_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"helpdesk/internal/apitest"
	"helpdesk/internal/migrationgen"
	"helpdesk/migrations"
)

// regenerate is what to run when the files and ent/schema disagree.
const regenerate = "go generate ./... && go run ./cmd/helpdesk-migrations <name>"

// TestMigrationFilesAgreeWithTheEntSchema replays each dialect's
// migration files on a scratch database and expects ent/schema to need
// nothing beyond them, and each atlas.sum to match its files. On
// PostgreSQL it needs the server of HELPDESK_TEST_DATABASE_URL.
func TestMigrationFilesAgreeWithTheEntSchema(t *testing.T) {
	for _, dia := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(dia, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			dir, err := migrations.Dir(dia)
			if err != nil {
				t.Fatal(err)
			}
			if err := migrate.Validate(dir); err != nil {
				t.Fatalf("migrations/%s does not match its atlas.sum (%v): a file was edited, added or removed by hand; restore it and run %s", dia, err, regenerate)
			}
			var s *migrationgen.Scratch
			if dia == dialect.Postgres {
				server := os.Getenv(apitest.PostgresEnv)
				if server == "" {
					t.Skipf("the PostgreSQL files are checked on the server of %s, which is not set", apitest.PostgresEnv)
				}
				s, err = migrationgen.ScratchPostgres(ctx, server)
			} else {
				s, err = migrationgen.ScratchSQLite()
			}
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := s.Close(); err != nil {
					t.Errorf("dropping the scratch database: %v", err)
				}
			}()
			drift, err := migrationgen.Drift(ctx, s, dir)
			if err != nil {
				t.Fatal(err)
			}
			if drift != "" {
				t.Fatalf("ent/schema differs from migrations/%s; run %s and review the new files. A new file would hold:\n%s", dia, regenerate, drift)
			}
		})
	}
}

// TestDriftNamesWhatTheFilesLackAndRefusesEditedFiles: the check above
// would catch a change: files that lack an index of ent/schema drift by
// exactly that index, and a file edited behind atlas.sum's back is an
// error.
func TestDriftNamesWhatTheFilesLackAndRefusesEditedFiles(t *testing.T) {
	ctx := context.Background()
	dir, err := migrations.Dir(dialect.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	files, err := dir.Files()
	if err != nil || len(files) == 0 {
		t.Fatalf("no SQLite migration files: %v", err)
	}
	const index = "CREATE INDEX `agent_updated_at` ON `agents` (`updated_at`);\n"
	first := string(files[0].Bytes())
	if !strings.Contains(first, index) {
		t.Fatalf("%s does not create agent_updated_at", files[0].Name())
	}
	lacking := &migrate.MemDir{}
	if err := lacking.CopyFiles(append([]migrate.File{migrate.NewLocalFile(files[0].Name(), []byte(strings.Replace(first, index, "", 1)))}, files[1:]...)); err != nil {
		t.Fatal(err)
	}
	s, err := migrationgen.ScratchSQLite()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	drift, err := migrationgen.Drift(ctx, s, lacking)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(drift, strings.TrimSuffix(index, "\n")) || strings.Count(drift, "CREATE") != 1 {
		t.Fatalf("drift of files lacking agent_updated_at:\n%s", drift)
	}

	edited := &migrate.MemDir{}
	if err := edited.CopyFiles(files); err != nil {
		t.Fatal(err)
	}
	if err := edited.WriteFile(files[0].Name(), []byte(strings.Replace(first, index, "", 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := migrationgen.Drift(ctx, s, edited); !errors.Is(err, migrate.ErrChecksumMismatch) {
		t.Fatalf("drift of a file edited behind atlas.sum: %v, want a checksum mismatch", err)
	}
}
