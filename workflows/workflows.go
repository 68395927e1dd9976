// Package workflows holds the durable side of a ticket: one long-lived
// Temporal workflow per ticket that takes every change of the ticket (sent
// through the outbox, see Dispatcher), keeps its state, does the
// product's automatic actions on it when they fall due — SLA warnings and
// breaches, the escalation ladder, reminders, auto-resolve and auto-close
// (timers.go, activities.go) — and ends once the ticket is closed and its
// reopen window has passed.
//
// Workflow code here is deterministic: no wall clock, randomness,
// goroutines or I/O — time comes from workflow.Now and timers.
package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"helpdesk/ent/schema/schematype"
)

const (
	// TaskQueue is where ticket workflows and their activities run.
	TaskQueue = "helpdesk-tickets"
	// SignalChange carries a TicketChange: every change of the
	// ticket, in order (Seq), at least once.
	SignalChange = "ticket-change"
	// QueryState returns the workflow's State.
	QueryState = "state"
	// maxChangesPerRun bounds a run's history: a busy ticket continues as
	// new well before Temporal's history limits (50k events), even if the
	// server never suggests it.
	maxChangesPerRun = 500

	// timersChange is the workflow.GetVersion change ID of the SLA
	// engine: runs recorded before it (version DefaultVersion) only keep
	// state and end after the reopen window; from timersVersion on, a run
	// arms the ticket's timers and acts on them.
	timersChange  = "sla-timers"
	timersVersion = 1

	// actTimeout bounds one attempt of an automatic action: one short
	// transaction. It is also how long Temporal waits before it offers an
	// attempt again whose worker died holding it (a process killed between
	// the action's commit and its report, say), so it is short: the
	// action — or, after a commit, the ladder behind it — goes on within
	// seconds of the worker's return (SPEC §4). A slow attempt cut by it
	// is retried; an attempt that committed makes the retry ErrNotDue.
	actTimeout = 2 * time.Second
	// WorkflowTaskTimeout bounds one workflow task of a ticket's workflow
	// (Temporal's default is 10 s). A task a dead worker took is offered
	// to another only once it passes, and the ticket's timers wait behind
	// it: a process killed while its workflows were mid-task — as any busy
	// one is — left their next actions up to 10 s late after a restart.
	// Tasks here are small (a run keeps under maxChangesPerRun changes),
	// and a task cut by it is just tried again.
	WorkflowTaskTimeout = 2 * time.Second
	// actMaxInterval caps the backoff between attempts, so that an action
	// whose database was away is done within seconds of its return.
	actMaxInterval = 5 * time.Second
	// maxDone bounds the keys of timers acted on that a run remembers.
	maxDone = 64
)

// TicketWorkflowID is the ID of the workflow of the ticket with this ID:
// the one place that derives it.
func TicketWorkflowID(ticketID int) string { return fmt.Sprintf("ticket-%d", ticketID) }

// Input starts (or continues) a ticket's workflow.
type Input struct {
	TicketID int    `json:"ticketID"`
	Number   string `json:"number"`
	// State carries the state over a continue-as-new; nil on a new ticket.
	State *State `json:"state,omitempty"`
}

// State is what the workflow knows of its ticket.
type State struct {
	// LastSeq is the Seq of the last change taken; older ones are ignored.
	LastSeq int `json:"lastSeq"`
	// Ticket is the ticket as of that change.
	Ticket TicketChange `json:"ticket"`
	// Changes counts the changes taken over the workflow's whole life.
	Changes int `json:"changes"`
	// Done are the keys (ticketing.Timer.Key) of the ticket's timers the
	// workflow acted on, while they are still listed: a timer is acted on
	// once, even before the change that records it comes back.
	Done []string `json:"done,omitempty"`
}

// TicketWorkflow is the workflow of one ticket.
func TicketWorkflow(ctx workflow.Context, in Input) (State, error) {
	w := &impl{in: in}
	if err := w.setup(ctx); err != nil {
		return State{}, err
	}
	return w.run(ctx)
}

// impl is one run of a ticket's workflow.
type impl struct {
	in        Input
	state     State
	changes   workflow.ReceiveChannel
	takenHere int
}

func (w *impl) setup(ctx workflow.Context) error {
	if w.in.State != nil {
		w.state = *w.in.State
	} else {
		w.state.Ticket = TicketChange{TicketID: w.in.TicketID, Number: w.in.Number, Status: schematype.StatusNew}
	}
	w.changes = workflow.GetSignalChannel(ctx, SignalChange)
	return workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return w.state, nil })
}

// run takes changes until the ticket is closed and its reopen window is
// over, continuing as new when the history grows large. From
// timersVersion on it also acts on the ticket's timers (runTimers).
func (w *impl) run(ctx workflow.Context) (State, error) {
	if workflow.GetVersion(ctx, timersChange, workflow.DefaultVersion, timersVersion) >= timersVersion {
		return w.runTimers(ctx)
	}
	logger := workflow.GetLogger(ctx)
	for {
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(w.changes, func(c workflow.ReceiveChannel, _ bool) {
			var ch TicketChange
			c.Receive(ctx, &ch)
			w.take(ch)
		})
		canceled := false
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { canceled = true })
		ended := false
		if wait, ok := w.reopenWindowLeft(ctx); ok {
			if wait <= 0 {
				ended = true
			} else {
				sel.AddFuture(workflow.NewTimer(timerCtx, wait), func(workflow.Future) { ended = true })
			}
		}
		if !ended {
			sel.Select(ctx)
		}
		cancelTimer()
		if canceled {
			return w.state, temporal.NewCanceledError()
		}
		if ended {
			// A change that arrived meanwhile (a reopen) keeps it going.
			if w.drain(ctx) {
				continue
			}
			logger.Info("ticket workflow ends: closed and reopen window over", "number", w.state.Ticket.Number)
			return w.state, nil
		}
		// A change that lists timers comes from a product with the SLA
		// engine: a run started before it continues as new to act on them
		// (histories recorded before it never list any).
		upgrade := len(w.state.Ticket.Timers) > 0
		if upgrade || w.takenHere >= maxChangesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			w.drain(ctx)
			st := w.state
			next := workflow.WithWorkflowTaskTimeout(ctx, WorkflowTaskTimeout)
			return State{}, workflow.NewContinueAsNewError(next, TicketWorkflow, Input{TicketID: w.in.TicketID, Number: w.in.Number, State: &st})
		}
	}
}

// take applies one change unless an equal or newer one was taken already.
func (w *impl) take(ch TicketChange) {
	if ch.Seq != 0 && ch.Seq <= w.state.LastSeq {
		return
	}
	if ch.Seq != 0 {
		w.state.LastSeq = ch.Seq
	}
	w.state.Ticket = ch
	w.state.Changes++
	w.takenHere++
}

// drain takes every change already delivered, reporting whether any was.
func (w *impl) drain(ctx workflow.Context) bool {
	took := false
	for {
		var ch TicketChange
		if !w.changes.ReceiveAsync(&ch) {
			return took
		}
		w.take(ch)
		took = true
	}
}

// reopenWindowLeft is how long a closed ticket may still be reopened.
func (w *impl) reopenWindowLeft(ctx workflow.Context) (time.Duration, bool) {
	t := w.state.Ticket
	if t.Status != schematype.StatusClosed || t.ClosedAt == nil {
		return 0, false
	}
	window := time.Duration(t.ReopenWindowSeconds) * time.Second
	return t.ClosedAt.Add(window).Sub(workflow.Now(ctx)), true
}
