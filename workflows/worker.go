package workflows

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// NewWorker returns a worker of the ticket task queue with every workflow
// and acts' activities registered; the caller starts and stops it.
func NewWorker(c client.Client, opts worker.Options, acts *Activities) worker.Worker {
	w := worker.New(c, TaskQueue, opts)
	w.RegisterWorkflow(TicketWorkflow)
	w.RegisterActivityWithOptions(acts.Act, activity.RegisterOptions{Name: ActivityAct})
	return w
}
