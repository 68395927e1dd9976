package workflows

import (
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// StickyScheduleToStartTimeout is how long a workflow task waits on the
// sticky queue of the worker that ran the workflow last before Temporal
// gives it to any worker of TaskQueue. A worker killed without a goodbye
// (SIGKILL, a lost machine) leaves its workflows' next tasks there, so
// this bounds how late a timer of theirs acts after such a crash: the
// SDK's default of 5 s would put every breach owed by a dead worker 5 s
// late, where SPEC §4 wants about a second. One second: the other workers
// then replay the workflow (a ticket's history is short, a few ms), and a
// live worker, busy for a second, costs only such a replay.
const StickyScheduleToStartTimeout = time.Second

// WorkerOptions are the options of a ticket worker.
func WorkerOptions() worker.Options {
	return worker.Options{StickyScheduleToStartTimeout: StickyScheduleToStartTimeout}
}

// NewWorker returns a worker of the ticket task queue with every workflow
// and acts' activities registered; the caller starts and stops it.
func NewWorker(c client.Client, opts worker.Options, acts *Activities) worker.Worker {
	w := worker.New(c, TaskQueue, opts)
	w.RegisterWorkflow(TicketWorkflow)
	w.RegisterActivityWithOptions(acts.Act, activity.RegisterOptions{Name: ActivityAct})
	return w
}
