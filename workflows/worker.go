package workflows

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// NewWorker returns a worker of the ticket task queue with every workflow
// registered; the caller starts and stops it.
func NewWorker(c client.Client, opts worker.Options) worker.Worker {
	w := worker.New(c, TaskQueue, opts)
	w.RegisterWorkflow(TicketWorkflow)
	return w
}
