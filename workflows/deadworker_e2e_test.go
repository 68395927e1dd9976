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
	tlog "go.temporal.io/sdk/log"

	"helpdesk/internal/apitest"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/tickets"
	"helpdesk/internal/viewer"
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

// commitWarning does the ticket's SLA warning as a worker that dies right
// after committing it would: the change is in the database, the workflow
// never hears of it from that worker.
func (d deadWorker) commitWarning(t *testing.T, e *apitest.Env, acts *workflows.Activities, ticketID int) workflows.ActResult {
	t.Helper()
	tk, err := e.DB.Client.Ticket.Get(viewer.SystemContext(t.Context()), ticketID)
	if err != nil {
		t.Fatal(err)
	}
	timers, err := ticketing.Timers(tickets.Of(tk), tk.SLAPolicy, nil)
	if err != nil || len(timers) == 0 || timers[0].Action != ticketing.Warn {
		t.Fatalf("the ticket's timers %+v (%v), want the warning first", timers, err)
	}
	time.Sleep(time.Until(timers[0].At))
	out, err := acts.Act(t.Context(), workflows.ActInput{TicketID: ticketID, Timer: timers[0]})
	if err != nil || !out.Acted {
		t.Fatalf("dead worker: the warning: acted %v, %v", out.Acted, err)
	}
	return out
}

// TestWorkLeftByADeadWorkerIsTakenUpWithinSecondsAndDoneOnce: a worker
// that dies holding a ticket's workflow task holds the ticket up only for
// seconds (Temporal offers the task again once workflows.WorkflowTaskTimeout
// has passed), and an action a dying worker committed without reporting
// it is not done again: the warning is recorded once, the breach follows
// and the ladder climbs on, well within what Temporal's default 10 s task
// timeout would cost.
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
		disp.Tickets = workflows.PostgresTickets(e.DB.SQL)
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
	id, _ := strconv.Atoi(tk.ID)
	warned := dead.commitWarning(t, e, acts, id) // due 1.5 s after creation
	if warned.Change == nil || len(warned.Change.Events) != 1 || warned.Change.Events[0].Kind != "SLA_WARNING" {
		t.Fatalf("the dead worker's action recorded %+v, want the SLA warning", warned.Change)
	}
	w := workflows.NewWorker(tc, workflows.WorkerOptions(), acts)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	got := waitTicket(t, e, tk.ID, 20*time.Second, "escalation to level 2", func(tk slaTicket) bool { return tk.EscalationLevel >= 2 })
	t.Logf("level 2 engaged %s after the ticket was created", time.Since(created).Round(time.Millisecond))
	if w, b, esc := got.events("SLA_WARNING"), got.events("SLA_BREACHED"), got.events("ESCALATED"); len(w) != 1 || len(b) != 1 || len(esc) != 2 {
		t.Fatalf("SLA_WARNING %d, SLA_BREACHED %d, ESCALATED %d events; want 1, 1, 2: %+v", len(w), len(b), len(esc), got.Events)
	}

	// What Temporal recorded: the dead worker's workflow task timed out and
	// was done by another; its action was tried a second time.
	var taskTimeout time.Duration
	timedOut := 0
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
		}
	}
	if taskTimeout != workflows.WorkflowTaskTimeout || timedOut == 0 {
		t.Errorf("history: workflow task timeout %s (want %s), %d task timeouts (want the dead worker's)",
			taskTimeout, workflows.WorkflowTaskTimeout, timedOut)
	}
}
