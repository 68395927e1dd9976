package embeddedtemporal

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	testTaskQueue  = "embeddedtemporal-test"
	testSignalName = "finish"
)

// signalWorkflow waits for one signal and greets its payload.
func signalWorkflow(ctx workflow.Context) (string, error) {
	var name string
	workflow.GetSignalChannel(ctx, testSignalName).Receive(ctx, &name)
	return "hello, " + name, nil
}

// timerWorkflow sleeps on a durable timer, then returns.
func timerWorkflow(ctx workflow.Context, d time.Duration) (string, error) {
	if err := workflow.Sleep(ctx, d); err != nil {
		return "", err
	}
	return "timer fired", nil
}

// testLogWriter sends log output to t.Log until the test ends (server
// goroutines may still log after that, which t.Log does not allow).
type testLogWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func testLogger(t *testing.T, level slog.Level) *slog.Logger {
	w := &testLogWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func startServer(t *testing.T, ctx context.Context, opts Options) *Server {
	t.Helper()
	begin := time.Now()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("server ready at %s after %v", s.FrontendAddr(), time.Since(begin).Round(time.Millisecond))
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func dial(t *testing.T, s *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.FrontendAddr(),
		Namespace: "default",
		Logger:    sdklog.NewStructuredLogger(testLogger(t, slog.LevelInfo).With("component", "sdk")),
	})
	if err != nil {
		t.Fatalf("client.Dial: %v", err)
	}
	return c
}

func startWorker(t *testing.T, c client.Client) worker.Worker {
	t.Helper()
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(signalWorkflow)
	w.RegisterWorkflow(timerWorkflow)
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	return w
}

func TestEmbeddedServerKeepsWorkflowsAcrossRestart(t *testing.T) {
	goroutinesBefore := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	logger := testLogger(t, slog.LevelDebug)

	// First run: start two workflows, one waiting for a signal and one on a
	// timer that is still pending when the server stops.
	s1 := startServer(t, ctx, Options{DataDir: dir, Logger: logger})
	c1 := dial(t, s1)
	w1 := startWorker(t, c1)

	run, err := c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wait-for-signal", TaskQueue: testTaskQueue}, signalWorkflow)
	if err != nil {
		t.Fatalf("ExecuteWorkflow(signal): %v", err)
	}
	timerRun, err := c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wait-for-timer", TaskQueue: testTaskQueue}, timerWorkflow, 5*time.Second)
	if err != nil {
		t.Fatalf("ExecuteWorkflow(timer): %v", err)
	}
	// Wait until the worker has run the first workflow task of both, so the
	// signal wait and the timer are really in the server's state.
	for _, id := range []string{run.GetID(), timerRun.GetID()} {
		waitFor(t, ctx, "first workflow task of "+id, func() bool {
			d, err := c1.DescribeWorkflowExecution(ctx, id, "")
			return err == nil && d.GetPendingWorkflowTask() == nil && d.GetWorkflowExecutionInfo().GetHistoryLength() >= 4
		})
	}

	w1.Stop()
	c1.Close()
	stopBegin := time.Now()
	if err := s1.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("first server stopped in %v", time.Since(stopBegin).Round(time.Millisecond))
	if err := s1.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "temporal.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}

	// Second run on the same directory (and, this time, a fixed port: the
	// one the first server had): the workflows are still there.
	_, portStr, err := net.SplitHostPort(s1.FrontendAddr())
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		t.Fatal(err)
	}
	s2 := startServer(t, ctx, Options{DataDir: dir, Port: port, Logger: logger})
	if s2.FrontendAddr() != s1.FrontendAddr() {
		t.Errorf("FrontendAddr with Port %d = %s, want %s", port, s2.FrontendAddr(), s1.FrontendAddr())
	}
	c2 := dial(t, s2)
	defer c2.Close()

	d, err := c2.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution after restart: %v", err)
	}
	if got := d.GetWorkflowExecutionInfo().GetStatus(); got != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("status after restart = %v, want RUNNING", got)
	}

	w2 := startWorker(t, c2)
	defer w2.Stop()
	if err := c2.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), testSignalName, "restart"); err != nil {
		t.Fatalf("SignalWorkflow: %v", err)
	}
	var result string
	if err := c2.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &result); err != nil {
		t.Fatalf("signal workflow result: %v", err)
	}
	if want := "hello, restart"; result != want {
		t.Fatalf("signal workflow result = %q, want %q", result, want)
	}

	var timerResult string
	if err := c2.GetWorkflow(ctx, timerRun.GetID(), timerRun.GetRunID()).Get(ctx, &timerResult); err != nil {
		t.Fatalf("timer workflow result: %v", err)
	}
	if want := "timer fired"; timerResult != want {
		t.Fatalf("timer workflow result = %q, want %q", timerResult, want)
	}

	w2.Stop()
	c2.Close()
	if err := s2.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	time.Sleep(2 * time.Second)
	t.Logf("goroutines: %d before the test, %d after both servers stopped", goroutinesBefore, runtime.NumGoroutine())
}

func TestStartFailsWhenDataDirInUse(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()

	s := startServer(t, ctx, Options{DataDir: dir, Logger: testLogger(t, slog.LevelDebug)})
	defer s.Stop()

	s2, err := Start(ctx, Options{DataDir: dir})
	if err == nil {
		_ = s2.Stop()
		t.Fatal("second Start on a data directory in use succeeded")
	}
	t.Logf("second Start: %v", err)
	for _, want := range []string{"embeddedtemporal: ", dir, "already in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestStartRejectsForeignDatabaseFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "temporal.db"), []byte("not a database, just some text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Options{DataDir: dir})
	if err == nil {
		_ = s.Stop()
		t.Fatal("Start on a foreign temporal.db succeeded")
	}
	t.Logf("Start: %v", err)
	if !strings.HasPrefix(err.Error(), "embeddedtemporal: ") {
		t.Errorf("error %q lacks the package prefix", err)
	}
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func TestStopWithConnectedWorkerIsPrompt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := startServer(t, ctx, Options{DataDir: t.TempDir(), Logger: testLogger(t, slog.LevelDebug)})
	c := dial(t, s)
	defer c.Close()
	w := startWorker(t, c)
	defer w.Stop()
	time.Sleep(500 * time.Millisecond) // let the worker's long polls reach the server

	begin := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	took := time.Since(begin)
	t.Logf("Stop with a worker still polling took %v", took.Round(time.Millisecond))
	if took > 15*time.Second {
		t.Errorf("Stop took %v with a worker still polling", took)
	}
}

// visibilityRows counts the visibility rows of one SQLite file.
func visibilityRows(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM executions_visibility").Scan(&n); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}

// TestVisibilityIsWrittenToAFileOfItsOwnAndAnOlderDirectoryGetsOne: the
// visibility store (what `temporal workflow list` searches) lives in
// temporal-visibility.db, not in the histories' file, and lists the
// workflows; a data directory without that file — as an earlier release
// left it — starts, gets a new one and runs its workflows on.
func TestVisibilityIsWrittenToAFileOfItsOwnAndAnOlderDirectoryGetsOne(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	logger := testLogger(t, slog.LevelWarn)
	s1 := startServer(t, ctx, Options{DataDir: dir, Logger: logger})
	c1 := dial(t, s1)
	w1 := startWorker(t, c1)
	run, err := c1.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "listed", TaskQueue: testTaskQueue}, signalWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"WorkflowId = 'listed'", "WorkflowType = 'signalWorkflow' AND ExecutionStatus = 'Running'", "ParentWorkflowId IS NULL AND WorkflowId = 'listed'"} {
		waitFor(t, ctx, "the workflow in `workflow list -q \""+q+"\"`", func() bool {
			res, err := c1.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q})
			return err == nil && len(res.GetExecutions()) == 1
		})
	}
	w1.Stop()
	c1.Close()
	if err := s1.Stop(); err != nil {
		t.Fatal(err)
	}
	if n := visibilityRows(t, filepath.Join(dir, "temporal.db")); n != 0 {
		t.Errorf("%d visibility rows in temporal.db, want none (they belong in temporal-visibility.db)", n)
	}
	if n := visibilityRows(t, filepath.Join(dir, "temporal-visibility.db")); n != 1 {
		t.Errorf("%d visibility rows in temporal-visibility.db, want the workflow's", n)
	}
	// Only the indexes of the searches helpdesk's operators run are written.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "temporal-visibility.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var indexes []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		indexes = append(indexes, n)
	}
	rows.Close()
	db.Close()
	want := slices.Sorted(slices.Values(searchedIndexes))
	if !slices.Equal(indexes, want) {
		t.Errorf("visibility indexes %v, want %v", indexes, want)
	}

	// An earlier release's directory: the histories' file alone. (A copy
	// in a new directory: the server's SQLite plugin keeps its connections
	// by file name for the life of the process.)
	older := t.TempDir()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		raw, err := os.ReadFile(filepath.Join(dir, "temporal.db"+suffix))
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(older, "temporal.db"+suffix), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dir = older
	s2 := startServer(t, ctx, Options{DataDir: dir, Logger: logger})
	c2 := dial(t, s2)
	startWorker(t, c2)
	if err := c2.SignalWorkflow(ctx, run.GetID(), "", testSignalName, "older directory"); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := c2.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &got); err != nil || got != "hello, older directory" {
		t.Fatalf("workflow of the older directory: %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "temporal-visibility.db")); err != nil {
		t.Errorf("no new visibility file: %v", err)
	}
}
