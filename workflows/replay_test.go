package workflows

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Replay safety: histories of TicketWorkflow recorded on a real Temporal
// server are kept in testdata/ and replayed against the current code on
// every test run. A change of the workflow that would break the runs in
// production (their histories no longer replay) fails here first; such a
// change goes behind workflow.GetVersion, then new histories are recorded
// next to the old ones.

var record = flag.Bool("record", false, "TestRecordHistories: run tickets through the product on an in-process Temporal server and write their workflows' histories to testdata/")

const historyDir = "testdata"

// historyFiles lists the recorded histories: *.json, and *.json.gz for
// the large ones.
func historyFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"*.json", "*.json.gz"} {
		m, err := filepath.Glob(filepath.Join(historyDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no histories in %s; record them: go test ./workflows -run TestRecordHistories -record", historyDir)
	}
	return files
}

// replay replays the history in file with wf registered as TicketWorkflow,
// logging to logger.
func replay(logger sdklog.Logger, wf any, file string) error {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "TicketWorkflow"})
	if !strings.HasSuffix(file, ".gz") {
		return r.ReplayWorkflowHistoryFromJSONFile(logger, file)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	h, err := client.HistoryFromJSON(zr, client.HistoryJSONOptions{})
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return r.ReplayWorkflowHistory(logger, h)
}

func TestReplayRecordedHistories(t *testing.T) {
	t.Parallel()
	for _, file := range historyFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			if err := replay(testLogger(t, slog.LevelWarn), TicketWorkflow, file); err != nil {
				t.Errorf("%s does not replay on the current TicketWorkflow (a non-deterministic change? put it behind workflow.GetVersion): %v", file, err)
			}
		})
	}
}

// TestReplayFailsOnNonDeterministicChange proves the replay test can fail:
// each variant below is TicketWorkflow with a change made without
// workflow.GetVersion, and replaying the history it breaks must fail.
func TestReplayFailsOnNonDeterministicChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		wf      func(workflow.Context, Input) (State, error)
		history string
	}{
		{"a timer added before the first change", sleepFirstTicketWorkflow, "ticket_life.json"},
		{"run ends on the window timer without draining", noDrainTicketWorkflow, "reopen_as_window_ends.json"},
		{"limit of changes per run raised", neverContinueTicketWorkflow, "continue_as_new_run1.json.gz"},
		{"the SLA engine taken away", neverContinueTicketWorkflow, "sla_pause.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(historyDir, tt.history)
			if _, err := os.Stat(file); err != nil {
				t.Fatalf("history missing: %v", err)
			}
			// The replayer logs the failure as a workflow panic, with its
			// stack; the error says enough.
			err := replay(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)), tt.wf, file)
			if err == nil {
				t.Fatalf("%s replayed on a changed workflow; the replay test cannot catch this change", tt.history)
			}
			t.Logf("replay failed as it must: %v", err)
		})
	}
}

// sleepFirstTicketWorkflow waits a minute before doing what TicketWorkflow
// does: one command more than every recorded history has.
func sleepFirstTicketWorkflow(ctx workflow.Context, in Input) (State, error) {
	if err := workflow.Sleep(ctx, time.Minute); err != nil {
		return State{}, err
	}
	return TicketWorkflow(ctx, in)
}

// noDrainTicketWorkflow is TicketWorkflow ending on its window timer
// without taking the changes that came with it (it would lose a reopen).
func noDrainTicketWorkflow(ctx workflow.Context, in Input) (State, error) {
	w := &impl{in: in}
	if err := w.setup(ctx); err != nil {
		return State{}, err
	}
	for {
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		ended := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(w.changes, func(c workflow.ReceiveChannel, _ bool) {
			var ch TicketChange
			c.Receive(ctx, &ch)
			w.take(ch)
		})
		if wait, ok := w.reopenWindowLeft(ctx); ok {
			if wait <= 0 {
				return w.state, nil
			}
			sel.AddFuture(workflow.NewTimer(timerCtx, wait), func(workflow.Future) { ended = true })
		}
		sel.Select(ctx)
		cancelTimer()
		if ended {
			return w.state, nil
		}
	}
}

// neverContinueTicketWorkflow is TicketWorkflow that only takes changes:
// it never continues as new (its run takes all the changes of
// continue_as_new_run1.json.gz) and, without the SLA engine, arms no
// timer and does no automatic action.
func neverContinueTicketWorkflow(ctx workflow.Context, in Input) (State, error) {
	w := &impl{in: in}
	if err := w.setup(ctx); err != nil {
		return State{}, err
	}
	for {
		var ch TicketChange
		w.changes.Receive(ctx, &ch)
		w.take(ch)
	}
}

// fetchHistory is the history of a run as the server keeps it; runID ""
// is the workflow's current run.
func fetchHistory(ctx context.Context, c client.Client, workflowID, runID string) (*historypb.History, error) {
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	return h, nil
}

// saveHistory writes the history of a run that ended (completed, or
// continued as new) to name under testdata/, in the JSON format of the
// Temporal CLI that the replayer reads (gzipped when name ends in .gz),
// checks that it replays and returns it.
func saveHistory(t testing.TB, ctx context.Context, c client.Client, workflowID, runID, name string) *historypb.History {
	t.Helper()
	h, err := fetchHistory(ctx, c, workflowID, runID)
	if err != nil {
		t.Fatal(err)
	}
	if last := h.Events[len(h.Events)-1].GetEventType(); !slices.Contains([]enumspb.EventType{
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
	}, last) {
		t.Fatalf("%s: run %s is not over (last event %s)", name, runID, last)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if strings.HasSuffix(name, ".gz") {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		_, _ = zw.Write(b)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		b = z.Bytes()
	}
	file := filepath.Join(historyDir, name)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d events, %d bytes", file, len(h.Events), len(b))
	if err := replay(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)), TicketWorkflow, file); err != nil {
		t.Fatalf("%s does not replay: %v", file, err)
	}
	return h
}
