package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/ticketing"
)

// The SLA engine of a ticket's workflow (from timersVersion on). Each
// change the workflow takes lists the automatic actions pending on the
// ticket and when (TicketChange.Timers, computed on the database side).
// The workflow keeps one timer, armed for the earliest of them it has not
// acted on yet — or for the end of a closed ticket's reopen window — and
// re-armed only when a change moves that instant. When it fires, the
// action runs as a local activity (Activities.Act, in the worker running
// the workflow: no round trip through a task queue, one marker in the
// history, so a burst of due times costs the server least), which does
// it only if the ticket still has it pending; the ticket as it became
// comes back as the activity's result, so the next timer is armed at
// once. A worker that dies mid-action leaves its workflow task to time
// out and be retried: the action then finds itself done or not.

// due is what the workflow waits for next: a ticket's timer, or the end
// of the workflow.
type due struct {
	at    time.Time
	timer *ticketing.Timer
}

// runTimers takes changes and acts on the ticket's timers until the
// ticket is closed and its reopen window is over, continuing as new when
// the history grows large.
func (w *impl) runTimers(ctx workflow.Context) (State, error) {
	logger := workflow.GetLogger(ctx)
	actCtx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: actTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: actMaxInterval,
		},
	})
	var (
		armed  time.Time // the instant the timer in course is armed for
		timer  workflow.Future
		cancel workflow.CancelFunc
	)
	disarm := func() {
		if cancel != nil {
			cancel()
		}
		armed, timer, cancel = time.Time{}, nil, nil
	}
	for {
		next, ok := w.next()
		if ok && !next.at.After(workflow.Now(ctx)) {
			disarm()
			if next.timer == nil {
				// A change that arrived meanwhile (a reopen) keeps it going.
				if w.drain(ctx) {
					continue
				}
				logger.Info("ticket workflow ends: closed and reopen window over", "number", w.state.Ticket.Number)
				return w.state, nil
			}
			w.act(ctx, actCtx, *next.timer)
			continue
		}
		switch {
		case !ok:
			disarm()
		case !next.at.Equal(armed):
			disarm()
			var tctx workflow.Context
			tctx, cancel = workflow.WithCancel(ctx)
			timer, armed = workflow.NewTimer(tctx, next.at.Sub(workflow.Now(ctx))), next.at
		}
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(w.changes, func(c workflow.ReceiveChannel, _ bool) {
			var ch TicketChange
			c.Receive(ctx, &ch)
			w.take(ch)
			w.forget()
		})
		canceled := false
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { canceled = true })
		if timer != nil {
			// Its instant has come: the top of the loop acts.
			sel.AddFuture(timer, func(workflow.Future) { armed, timer, cancel = time.Time{}, nil, nil })
		}
		sel.Select(ctx)
		if canceled {
			disarm()
			return w.state, temporal.NewCanceledError()
		}
		if w.takenHere >= maxChangesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			disarm()
			w.drain(ctx)
			w.forget()
			st := w.state
			// The next run takes today's task timeout (a run started
			// before it was set has Temporal's default).
			next := workflow.WithWorkflowTaskTimeout(ctx, WorkflowTaskTimeout)
			return State{}, workflow.NewContinueAsNewError(next, TicketWorkflow, Input{TicketID: w.in.TicketID, Number: w.in.Number, State: &st})
		}
	}
}

// next is the earliest of the ticket's timers not acted on yet, or the
// end of a closed ticket's reopen window, whichever comes first.
func (w *impl) next() (due, bool) {
	var best due
	found := false
	consider := func(d due) {
		if !found || d.at.Before(best.at) {
			best, found = d, true
		}
	}
	t := w.state.Ticket
	for i := range t.Timers {
		if !slices.Contains(w.state.Done, t.Timers[i].Key()) {
			consider(due{at: t.Timers[i].At, timer: &t.Timers[i]})
		}
	}
	if t.Status == schematype.StatusClosed && t.ClosedAt != nil {
		consider(due{at: t.ClosedAt.Add(time.Duration(t.ReopenWindowSeconds) * time.Second)})
	}
	return best, found
}

// act runs the automatic action of tm and takes the ticket as it became.
// The timer counts as acted on whatever the outcome: an action that is no
// longer due, or that the rules refuse, is not tried again.
func (w *impl) act(ctx, actCtx workflow.Context, tm ticketing.Timer) {
	var res ActResult
	err := workflow.ExecuteLocalActivity(actCtx, ActivityAct, ActInput{TicketID: w.in.TicketID, Timer: tm}).Get(ctx, &res)
	w.state.Done = append(w.state.Done, tm.Key())
	if err != nil {
		workflow.GetLogger(ctx).Error("automatic action failed", "number", w.state.Ticket.Number,
			"action", tm.Action, "clock", tm.Clock, "at", tm.At, "err", err)
	}
	if res.Change != nil {
		// Its Seq is the outbox's to give: the same change arrives again
		// as a signal, in order with the others.
		ch := *res.Change
		ch.Seq = w.state.Ticket.Seq
		w.state.Ticket = ch
	}
	w.forget()
}

// forget drops the keys of acted-on timers the ticket no longer lists,
// keeping at most maxDone.
func (w *impl) forget() {
	listed := make(map[string]bool, len(w.state.Ticket.Timers))
	for _, tm := range w.state.Ticket.Timers {
		listed[tm.Key()] = true
	}
	kept := w.state.Done[:0]
	for _, k := range w.state.Done {
		if listed[k] {
			kept = append(kept, k)
		}
	}
	if len(kept) > maxDone {
		kept = kept[len(kept)-maxDone:]
	}
	w.state.Done = kept
}
