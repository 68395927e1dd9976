package workflows_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"helpdesk/internal/apitest"
	"helpdesk/workflows"
)

// deadWorker takes tasks of the ticket task queue as a worker killed with
// SIGKILL would: it never reports them done.
type deadWorker struct{ tc client.Client }

var ticketQueue = &taskqueuepb.TaskQueue{Name: workflows.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}

// takeWorkflowTask takes the next workflow task and drops it.
func (d deadWorker) takeWorkflowTask(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		res, err := d.tc.WorkflowService().PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{
			Namespace: "default", TaskQueue: ticketQueue, Identity: "dead worker"})
		if err != nil {
			t.Fatalf("dead worker: polling a workflow task: %v", err)
		}
		if len(res.TaskToken) > 0 {
			return
		}
	}
}

// doActivityTask takes the next activity task, does the automatic action
// it asks for — committing it — and dies before reporting it.
func (d deadWorker) doActivityTask(t *testing.T, acts *workflows.Activities) workflows.ActResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		res, err := d.tc.WorkflowService().PollActivityTaskQueue(ctx, &workflowservice.PollActivityTaskQueueRequest{
			Namespace: "default", TaskQueue: ticketQueue, Identity: "dead worker"})
		if err != nil {
			t.Fatalf("dead worker: polling an activity task: %v", err)
		}
		if len(res.TaskToken) == 0 {
			continue
		}
		var in workflows.ActInput
		if err := converter.GetDefaultDataConverter().FromPayloads(res.Input, &in); err != nil {
			t.Fatalf("dead worker: %s input: %v", res.ActivityType.GetName(), err)
		}
		out, err := acts.Act(ctx, in)
		if err != nil || !out.Acted {
			t.Fatalf("dead worker: %s %+v: acted %v, %v", res.ActivityType.GetName(), in.Timer, out.Acted, err)
		}
		return out
	}
}

// TestWorkLeftByADeadWorkerIsTakenUpWithinSecondsAndDoneOnce: a worker
// that dies holding a ticket's workflow task, and one that dies after
// committing the ticket's SLA warning but before reporting it, hold the
// ticket up only for seconds (Temporal offers their tasks again once
// workflows.WorkflowTaskTimeout, and the action's own timeout, pass): the
// warning is recorded once, the breach follows and the ladder climbs on,
// all well within the 40 s Temporal's default timeouts cost.
func TestWorkLeftByADeadWorkerIsTakenUpWithinSecondsAndDoneOnce(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	e.TemporalDir = t.TempDir()
	e.StartTemporal(t, 0)
	tc, err := client.Dial(client.Options{HostPort: e.TemporalServer.FrontendAddr(), Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	disp := &workflows.Dispatcher{DB: e.DB.Client, Temporal: tc, Interval: 100 * time.Millisecond}
	if e.DB.Dialect == dialect.Postgres {
		disp.Lock = workflows.PostgresLock(e.DB.SQL)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); disp.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	token := slaSetup(t, e, 3, 600, 50, 2, 2)
	tk := e.CreateTicket(t, token, map[string]any{"priority": "CRITICAL"})
	created := time.Now()
	dead := deadWorker{tc}
	dead.takeWorkflowTask(t)

	acts := &workflows.Activities{DB: e.DB.Client}
	wfWorker := workflows.NewWorker(tc, worker.Options{LocalActivityWorkerOnly: true}, acts)
	if err := wfWorker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wfWorker.Stop)
	warned := dead.doActivityTask(t, acts) // the warning, due 1.5 s after creation
	if warned.Change == nil || len(warned.Change.Events) != 1 || warned.Change.Events[0].Kind != "SLA_WARNING" {
		t.Fatalf("the dead worker's action recorded %+v, want the SLA warning", warned.Change)
	}
	actWorker := workflows.NewWorker(tc, worker.Options{}, acts) // activities too, now
	if err := actWorker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(actWorker.Stop)

	got := waitTicket(t, e, tk.ID, 20*time.Second, "escalation to level 2", func(tk slaTicket) bool { return tk.EscalationLevel >= 2 })
	t.Logf("level 2 engaged %s after the ticket was created", time.Since(created).Round(time.Millisecond))
	if w, b, esc := got.events("SLA_WARNING"), got.events("SLA_BREACHED"), got.events("ESCALATED"); len(w) != 1 || len(b) != 1 || len(esc) != 2 {
		t.Fatalf("SLA_WARNING %d, SLA_BREACHED %d, ESCALATED %d events; want 1, 1, 2: %+v", len(w), len(b), len(esc), got.Events)
	}

	// What Temporal recorded: the dead worker's workflow task timed out and
	// was done by another; its action was tried a second time.
	id, _ := strconv.Atoi(tk.ID)
	var taskTimeout time.Duration
	timedOut, secondAttempt := 0, false
	it := tc.GetWorkflowHistory(context.Background(), workflows.TicketWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		switch ev.EventType {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			taskTimeout = ev.GetWorkflowExecutionStartedEventAttributes().GetWorkflowTaskTimeout().AsDuration()
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
			timedOut++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			secondAttempt = secondAttempt || ev.GetActivityTaskStartedEventAttributes().GetAttempt() == 2
		}
	}
	if taskTimeout != workflows.WorkflowTaskTimeout || timedOut == 0 || !secondAttempt {
		t.Errorf("history: workflow task timeout %s (want %s), %d task timeouts (want the dead worker's), a second attempt of an action %v (want the dead worker's)",
			taskTimeout, workflows.WorkflowTaskTimeout, timedOut, secondAttempt)
	}
}
