package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/store"
	"helpdesk/migrations"
)

// migrateProcesses is how many `helpdesk migrate` start together: as
// API and worker processes of a deployment do.
const migrateProcesses = 4

// TestConcurrentMigrateProcessesOnOnePostgresDatabaseApplyOnce: several
// `helpdesk migrate` processes started together on one new PostgreSQL
// database all succeed; between them each migration file is applied once
// (the advisory lock lets one in at a time, the others find it done).
func TestConcurrentMigrateProcessesOnOnePostgresDatabaseApplyOnce(t *testing.T) {
	dbURL := apitest.PostgresDB(t)
	if dbURL == "" {
		t.Skip("SQLite takes one process per data directory (its lock); concurrent migrations are PostgreSQL's")
	}
	logs := t.TempDir()
	var procs []*daemon
	for i := range migrateProcesses {
		procs = append(procs, startCommand(t, "migrate-"+strconv.Itoa(i), "migrate", logs, daemonEnv(t.TempDir(), freeAddr(t), dbURL)))
	}
	applied := 0
	for i, p := range procs {
		select {
		case <-p.exited:
		case <-time.After(2 * time.Minute):
			t.Fatalf("helpdesk migrate %d still runs after 2 minutes", i)
		}
		out, _ := os.ReadFile(p.log)
		if !p.cmd.ProcessState.Success() || !strings.Contains(string(out), "schema is up to date") {
			t.Fatalf("helpdesk migrate %d: %v:\n%s", i, p.cmd.ProcessState, out)
		}
		applied += strings.Count(string(out), "applied migration")
	}
	dir, err := migrations.Dir("postgres")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := dir.Files()
	if applied != len(files) {
		t.Fatalf("%d files applied by %d processes together, want each of the %d once", applied, migrateProcesses, len(files))
	}
	db, err := store.Open(context.Background(), dbURL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	revs, err := db.Revisions(context.Background())
	if err != nil || len(revs) != len(files) || revs[len(revs)-1].Version != files[len(files)-1].Version() {
		t.Fatalf("revisions %+v %v, want one per file", revs, err)
	}
}
