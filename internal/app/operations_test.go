package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"helpdesk/internal/app"
	"helpdesk/internal/dirlock"
	"helpdesk/internal/store"
)

// stopProcess stops p as SIGTERM does and releases its dependencies.
func stopProcess(t *testing.T, p *process) {
	t.Helper()
	p.cancel()
	if err := <-p.done; err != nil {
		t.Errorf("serve: %v", err)
	}
	p.deps.Close()
}

// TestInProcessTemporalServesTheTemporalCLIOnItsListenAddress: the
// in-process Temporal frontend listens on HELPDESK_TEMPORAL_LISTEN, where
// an SDK client (as the temporal CLI is) finds a ticket's workflow by its ID.
func TestInProcessTemporalServesTheTemporalCLIOnItsListenAddress(t *testing.T) {
	addr, temporalAddr := freeAddr(t), freeAddr(t)
	p := launchWith(t, t.TempDir(), addr, map[string]string{"HELPDESK_TEMPORAL_LISTEN": temporalAddr})
	defer stopProcess(t, p)

	tc, err := client.Dial(client.Options{HostPort: temporalAddr, Namespace: "default", Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("dialing HELPDESK_TEMPORAL_LISTEN=%s: %v", temporalAddr, err)
	}
	defer tc.Close()
	id, _ := openTicket(t, addr)
	ticketID, _ := strconv.Atoi(id)
	waitRunning(t, tc, ticketID)
}

// TestBusyTemporalListenAddressIsAStartErrorNamingTheVariable: when the
// port is taken, starting fails with an error that names
// HELPDESK_TEMPORAL_LISTEN and says what to do.
func TestBusyTemporalListenAddressIsAStartErrorNamingTheVariable(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := testConfig(t, t.TempDir(), freeAddr(t), map[string]string{"HELPDESK_TEMPORAL_LISTEN": busy.Addr().String()})
	deps, err := app.Open(context.Background(), cfg, app.RoleAll, slog.New(slog.DiscardHandler))
	if err == nil {
		deps.Close()
		t.Fatal("started with the Temporal port taken")
	}
	for _, want := range []string{"HELPDESK_TEMPORAL_LISTEN=" + busy.Addr().String(), "another helpdesk or Temporal server", "set HELPDESK_TEMPORAL_LISTEN to a free address"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestMetricsStayOnTheAPIPortByDefault: without HELPDESK_METRICS_ADDR,
// /metrics is served beside the API.
func TestMetricsStayOnTheAPIPortByDefault(t *testing.T) {
	addr := freeAddr(t)
	p := launch(t, t.TempDir(), addr)
	defer stopProcess(t, p)
	post(t, addr, `{ viewer { agent { id } } }`)
	if code, body := fetch(t, "http://"+addr+"/metrics"); code != http.StatusOK || !strings.Contains(body, `helpdesk_http_requests_total{code="200",handler="graphql"}`) {
		t.Fatalf("GET /metrics on the API port: %d %.200q", code, body)
	}
}

// TestMetricsMoveToTheirOwnListenerWithMetricsAddr: with
// HELPDESK_METRICS_ADDR, /metrics is served there (counting the API's
// requests) and no longer on the API port; Go's profiles are served there
// too, and never on the API port.
func TestMetricsMoveToTheirOwnListenerWithMetricsAddr(t *testing.T) {
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	p := launchWith(t, t.TempDir(), addr, map[string]string{"HELPDESK_METRICS_ADDR": metricsAddr})
	defer stopProcess(t, p)
	post(t, addr, `{ viewer { agent { id } } }`)
	if code, body := fetch(t, "http://"+metricsAddr+"/metrics"); code != http.StatusOK || !strings.Contains(body, `helpdesk_http_requests_total{code="200",handler="graphql"}`) {
		t.Errorf("GET /metrics on HELPDESK_METRICS_ADDR: %d %.200q", code, body)
	}
	if code, _ := fetch(t, "http://"+addr+"/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the API port: %d, want 404", code)
	}
	if code, _ := fetch(t, "http://"+metricsAddr+"/graphql"); code != http.StatusNotFound {
		t.Errorf("GET /graphql on the metrics listener: %d, want 404", code)
	}
	if code, body := fetch(t, "http://"+metricsAddr+"/debug/pprof/heap?debug=1"); code != http.StatusOK || !strings.Contains(body, "heap profile") {
		t.Errorf("GET /debug/pprof/heap on HELPDESK_METRICS_ADDR: %d %.100q", code, body)
	}
	if code, _ := fetch(t, "http://"+addr+"/debug/pprof/heap?debug=1"); code != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/heap on the API port: %d, want 404", code)
	}
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

// TestSecondProcessOnADataDirInUseFailsBeforeTouchingTheDatabase: while
// another helpdesk holds the data directory, a second start fails with a
// message saying so, and leaves the database file — at an older schema
// version, so a migration would change it — exactly as it was.
func TestSecondProcessOnADataDirInUseFailsBeforeTouchingTheDatabase(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "helpdesk.db")
	old, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE helpdesk_schema_versions (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	before, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	stat, _ := os.Stat(dbPath)

	held, err := dirlock.Acquire(filepath.Join(dir, store.LockFileName)) // the other helpdesk
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, dir, freeAddr(t), nil)
	deps, err := app.Open(context.Background(), cfg, app.RoleAll, slog.New(slog.DiscardHandler))
	if err == nil {
		deps.Close()
		held.Release()
		t.Fatal("a second helpdesk started on a data directory in use")
	}
	if !errors.Is(err, store.ErrDataDirInUse) || !strings.Contains(err.Error(), "another helpdesk uses HELPDESK_DATA_DIR "+dir) {
		t.Errorf("error %q does not say another helpdesk uses the directory", err)
	}
	after, _ := os.ReadFile(dbPath)
	if stat2, _ := os.Stat(dbPath); !bytes.Equal(before, after) || !stat2.ModTime().Equal(stat.ModTime()) {
		t.Error("the database file changed")
	}
	for _, name := range []string{"helpdesk.db-wal", "helpdesk.db-shm", "temporal"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was created (%v)", name, err)
		}
	}

	// Once the other one is gone, the same start migrates the old database.
	held.Release()
	db, err := store.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrating once the directory is free: %v", err)
	}
	if v, err := db.Version(ctx); err != nil || v != store.SchemaVersion {
		t.Fatalf("schema version after the migration: %d %v, want %d", v, err, store.SchemaVersion)
	}
}
