package workflows

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
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

	"helpdesk/ent"
	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/embeddedtemporal"
	"helpdesk/internal/ticketing"
)

// Replay safety: histories of TicketWorkflow recorded on a real Temporal
// server are kept in testdata/ and replayed against the current code on
// every test run. A change of the workflow that would break the runs in
// production (their histories no longer replay) fails here first; such a
// change goes behind workflow.GetVersion, then new histories are recorded
// next to the old ones.

var record = flag.Bool("record", false, "TestRecordHistories: run TicketWorkflow on an embedded Temporal server and write its histories to testdata/")

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

// neverContinueTicketWorkflow is TicketWorkflow that never continues as
// new: its run takes all the changes of continue_as_new_run1.json.gz.
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

// TestRecordHistories runs tickets' workflows on the embedded Temporal
// server (a real server, state in a temporary directory) with the
// product's worker and delivery path, and writes each run's history to
// testdata/. It runs only with -record:
//
//	go test ./workflows -run TestRecordHistories -record -v
func TestRecordHistories(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -record")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv, err := embeddedtemporal.Start(ctx, embeddedtemporal.Options{DataDir: t.TempDir(), Logger: slogTo(t, slog.LevelWarn)})
	if err != nil {
		t.Fatalf("embedded temporal: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	c, err := client.Dial(client.Options{
		HostPort: srv.FrontendAddr(),
		// Every event names its caller; a fixed name keeps host names and
		// process IDs out of the recorded files.
		Identity: "helpdesk-record-histories",
		Logger:   testLogger(t, slog.LevelWarn),
	})
	if err != nil {
		t.Fatalf("temporal client: %v", err)
	}
	t.Cleanup(c.Close)
	r := &recorder{t: t, ctx: ctx, c: c, out: historyDir}

	// The scenarios share the task queue, and the second stops its worker:
	// they run one after the other.
	t.Run("ticket life", r.ticketLife)
	t.Run("reopen as the window ends", r.reopenAsWindowEnds)
	t.Run("continue as new", r.continueAsNew)
}

// recorder drives workflows on a real server and saves their histories.
type recorder struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	out string
}

// startWorker starts the product's worker of TicketWorkflow; stop it with
// the returned func (also called at the end of t).
func (r *recorder) startWorker(t *testing.T) (stop func()) {
	t.Helper()
	w := NewWorker(r.c, worker.Options{}, &Activities{})
	if err := w.Start(); err != nil {
		t.Fatalf("worker: %v", err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			w.Stop()
		}
	}
	t.Cleanup(stop)
	return stop
}

// deliver hands changes to their workflow through the outbox's own
// delivery (SignalWithStart, Seq = the message's ID).
func (r *recorder) deliver(t *testing.T, changes ...TicketChange) {
	t.Helper()
	d := &Dispatcher{Temporal: r.c}
	for _, ch := range changes {
		payload, err := json.Marshal(ch)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.deliver(r.ctx, &ent.OutboxMessage{ID: ch.Seq, TicketID: ch.TicketID, Payload: payload}); err != nil {
			t.Fatalf("deliver change %d: %v", ch.Seq, err)
		}
	}
}

// deliverAndSettle delivers changes, then waits until the workflow took
// them.
func (r *recorder) deliverAndSettle(t *testing.T, changes ...TicketChange) {
	t.Helper()
	r.deliver(t, changes...)
	r.settle(t, TicketWorkflowID(changes[0].TicketID))
}

// settle waits until the workflow has no workflow task left to run.
func (r *recorder) settle(t *testing.T, workflowID string) {
	t.Helper()
	waitFor(t, r.ctx, workflowID+" settled", func() bool {
		d, err := r.c.DescribeWorkflowExecution(r.ctx, workflowID, "")
		return err == nil && d.GetPendingWorkflowTask() == nil
	})
}

// state queries the running workflow.
func (r *recorder) state(t *testing.T, workflowID string) State {
	t.Helper()
	v, err := r.c.QueryWorkflow(r.ctx, workflowID, "", QueryState)
	if err != nil {
		t.Fatalf("query %s: %v", workflowID, err)
	}
	var st State
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// runID is the ID of the workflow's current run.
func (r *recorder) runID(t *testing.T, workflowID string) string {
	t.Helper()
	d, err := r.c.DescribeWorkflowExecution(r.ctx, workflowID, "")
	if err != nil {
		t.Fatalf("describe %s: %v", workflowID, err)
	}
	return d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}

// history is the run's history as the server keeps it.
func (r *recorder) history(t *testing.T, workflowID, runID string) *historypb.History {
	t.Helper()
	h := &historypb.History{}
	it := r.c.GetWorkflowHistory(r.ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	return h
}

// save writes the history of a closed run to name under testdata/, in the
// JSON format of the Temporal CLI that the replayer reads (gzipped when
// name ends in .gz), and checks that it replays.
func (r *recorder) save(t *testing.T, workflowID, runID, name string) {
	t.Helper()
	h := r.history(t, workflowID, runID)
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
	file := filepath.Join(r.out, name)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d events, %d bytes", file, len(h.Events), len(b))
	if err := replay(testLogger(t, slog.LevelWarn), TicketWorkflow, file); err != nil {
		t.Fatalf("%s does not replay: %v", file, err)
	}
}

// result waits for the run's end and returns its state.
func (r *recorder) result(t *testing.T, workflowID, runID string) State {
	t.Helper()
	var st State
	if err := r.c.GetWorkflow(r.ctx, workflowID, runID).Get(r.ctx, &st); err != nil {
		t.Fatalf("result of %s: %v", workflowID, err)
	}
	return st
}

// recordedTicket is the life of one ticket of the recording: the outbox
// IDs run on from firstSeq; windows are short so the runs end quickly.
func recordedTicket(number string, firstSeq int, window time.Duration) *ticketLife {
	id, ok := ticketing.IDFromNumber(number)
	if !ok {
		panic("bad ticket number " + number)
	}
	return &ticketLife{id: id, number: number, seq: firstSeq - 1, window: window}
}

// ticketLife: created, accepted, worked on, waiting on the customer, the
// customer's reply, escalated, resolved, closed, a redelivery, reopened
// within the window, resolved and closed again, and the window's end.
func (r *recorder) ticketLife(t *testing.T) {
	r.startWorker(t)
	life := recordedTicket("HD-100001", 101, 3*time.Second)
	wid := TicketWorkflowID(life.id)
	now := time.Now().UTC().Truncate(time.Millisecond)
	created := life.next(schematype.StatusNew, now)
	firstDue, resolutionDue := now.Add(4*time.Hour), now.Add(24*time.Hour)
	created.FirstResponseDueAt, created.ResolutionDueAt = &firstDue, &resolutionDue
	r.deliverAndSettle(t, created)

	at := func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
	step := func(st schematype.Status, edit func(*TicketChange)) TicketChange {
		ch := life.next(st, at())
		ch.FirstResponseDueAt, ch.ResolutionDueAt = &firstDue, &resolutionDue
		if edit != nil {
			edit(&ch)
		}
		r.deliverAndSettle(t, ch)
		return ch
	}
	accepted := step(schematype.StatusAccepted, func(ch *TicketChange) {
		responded := ch.At
		ch.AssigneeID, ch.FirstRespondedAt = 7, &responded
	})
	assigned := func(ch *TicketChange) { ch.AssigneeID, ch.FirstRespondedAt = 7, accepted.FirstRespondedAt }
	step(schematype.StatusInProgress, assigned)
	step(schematype.StatusWaitingOnCustomer, func(ch *TicketChange) { assigned(ch); ch.SLAPaused = true })
	step(schematype.StatusInProgress, func(ch *TicketChange) { assigned(ch); ch.Kind = "CUSTOMER_REPLIED" })
	step(schematype.StatusInProgress, func(ch *TicketChange) { assigned(ch); ch.Kind = "ESCALATED"; ch.EscalationLevel = 1 })
	resolve := func(ch *TicketChange) {
		assigned(ch)
		ch.EscalationLevel = 1
		resolved := ch.At
		ch.ResolvedAt = &resolved
	}
	resolved := step(schematype.StatusResolved, resolve)
	closeIt := func(ch *TicketChange) { resolve(ch); ch.ResolvedAt = resolved.ResolvedAt }
	step(schematype.StatusClosed, closeIt)
	r.deliverAndSettle(t, resolved) // the outbox delivers it again: ignored
	if st := r.state(t, wid); st.Ticket.Status != schematype.StatusClosed {
		t.Fatalf("after a redelivery: %s, want CLOSED", st.Ticket.Status)
	}
	step(schematype.StatusInProgress, func(ch *TicketChange) { assigned(ch); ch.EscalationLevel = 1 })
	resolved = step(schematype.StatusResolved, resolve)
	last := step(schematype.StatusClosed, closeIt)

	st := r.result(t, wid, "")
	checkState(t, "ended run", st, schematype.StatusClosed, last.Seq, last.Seq-100)
	r.save(t, wid, r.runID(t, wid), "ticket_life.json")
}

// reopenAsWindowEnds gets the window's timer and a reopen into one
// workflow task (the worker is away while both happen): the run must
// take the reopen, not end.
func (r *recorder) reopenAsWindowEnds(t *testing.T) {
	stop := r.startWorker(t)
	life := recordedTicket("HD-100002", 201, 2*time.Second)
	wid := TicketWorkflowID(life.id)
	at := func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
	r.deliverAndSettle(t, life.next(schematype.StatusNew, at()))
	r.deliverAndSettle(t, life.next(schematype.StatusResolved, at()))
	r.deliverAndSettle(t, life.next(schematype.StatusClosed, at()))
	stop()
	waitFor(t, r.ctx, "window timer fired", func() bool {
		return slices.ContainsFunc(r.history(t, wid, "").Events, func(e *historypb.HistoryEvent) bool {
			return e.GetEventType() == enumspb.EVENT_TYPE_TIMER_FIRED
		})
	})
	reopen := life.next(schematype.StatusInProgress, at())
	r.deliver(t, reopen)
	r.startWorker(t)
	r.settle(t, wid)
	if st := r.state(t, wid); st.Ticket.Status != schematype.StatusInProgress || st.LastSeq != reopen.Seq {
		t.Fatalf("after the reopen: %s, last seq %d; want IN_PROGRESS, %d", st.Ticket.Status, st.LastSeq, reopen.Seq)
	}
	r.deliverAndSettle(t, life.next(schematype.StatusResolved, at()))
	last := life.next(schematype.StatusClosed, at())
	r.deliver(t, last)

	st := r.result(t, wid, "")
	checkState(t, "ended run", st, schematype.StatusClosed, last.Seq, 6)
	runID := r.runID(t, wid)
	if !timerFiredThenSignaledInOneTask(r.history(t, wid, runID)) {
		t.Fatal("the window's TimerFired and the reopen's Signaled are not in one workflow task; the scenario did not happen")
	}
	r.save(t, wid, runID, "reopen_as_window_ends.json")
}

// timerFiredThenSignaledInOneTask reports whether a TimerFired event is
// followed by a Signaled one before the next workflow task starts.
func timerFiredThenSignaledInOneTask(h *historypb.History) bool {
	fired := false
	for _, e := range h.Events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			fired = true
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			if fired {
				return true
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			fired = false
		}
	}
	return false
}

// continueAsNew: a ticket with more than maxChangesPerRun changes, whose
// first run continues as new carrying its state; the second run ends after
// a close and its window. The changes come as a backlog that reaches the
// workflow in one task (the worker is away while the outbox delivers
// them), which keeps the history to the signals themselves.
func (r *recorder) continueAsNew(t *testing.T) {
	stop := r.startWorker(t)
	life := recordedTicket("HD-100003", 1001, time.Second)
	wid := TicketWorkflowID(life.id)
	at := func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
	kinds := []string{"COMMENTED", "PRIORITY_CHANGED"}
	created := life.next(schematype.StatusNew, at())
	r.deliverAndSettle(t, created)
	firstRun := r.runID(t, wid)
	stop()
	n := maxChangesPerRun + 5
	for i := 1; i < n; i++ {
		ch := life.next(schematype.StatusNew, at())
		ch.Kind = kinds[i%2]
		// Only the fields a change touches vary, so the file stays small.
		ch.Priority = []schematype.Priority{schematype.PriorityHigh, schematype.PriorityCritical}[i%2]
		r.deliver(t, ch)
	}
	r.startWorker(t)
	waitFor(t, r.ctx, "first run continued as new", func() bool {
		d, err := r.c.DescribeWorkflowExecution(r.ctx, wid, firstRun)
		return err == nil && d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
	})
	r.settle(t, wid)
	secondRun := r.runID(t, wid)
	if secondRun == firstRun {
		t.Fatal("no second run")
	}
	if st := r.state(t, wid); st.LastSeq != life.seq || st.Changes != n {
		t.Fatalf("second run starts at last seq %d with %d changes; want %d, %d", st.LastSeq, st.Changes, life.seq, n)
	}
	r.deliverAndSettle(t, life.next(schematype.StatusResolved, at()))
	r.deliver(t, life.next(schematype.StatusClosed, at()))
	st := r.result(t, wid, secondRun)
	checkState(t, "ended second run", st, schematype.StatusClosed, life.seq, n+2)
	// 500 signals make some 350 KB of JSON; gzipped it is 30 KB.
	r.save(t, wid, firstRun, "continue_as_new_run1.json.gz")
	r.save(t, wid, secondRun, "continue_as_new_run2.json")
}

// waitFor polls cond until it holds, failing t when ctx ends first.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
