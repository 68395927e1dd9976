package workflows

import (
	"context"
	"encoding/json"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"helpdesk/ent"
	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/tickets"
)

// KindUpdated is the Kind of a change that recorded no event (an agent's
// first reply, an assignment to the assignee it has).
const KindUpdated = "UPDATED"

// TicketChange is what a ticket's workflow is told of a change
// (SignalChange): the ticket's state right after it. Seq orders changes;
// the workflow ignores any change whose Seq is not above the last one it
// took, so redelivery is harmless. Its JSON is what recorded histories
// (testdata/) hold: it changes only compatibly.
type TicketChange struct {
	Seq                 int                 `json:"seq"`
	TicketID            int                 `json:"ticketID"`
	Number              string              `json:"number"`
	Kind                string              `json:"kind"` // the event kind that caused it: CREATED, STATUS_CHANGED, … or KindUpdated
	At                  time.Time           `json:"at"`
	Status              schematype.Status   `json:"status"`
	Priority            schematype.Priority `json:"priority"`
	AssigneeID          int                 `json:"assigneeID,omitempty"`
	EscalationLevel     int                 `json:"escalationLevel"`
	SLAPaused           bool                `json:"slaPaused"`
	FirstResponseDueAt  *time.Time          `json:"firstResponseDueAt,omitempty"`
	ResolutionDueAt     *time.Time          `json:"resolutionDueAt,omitempty"`
	FirstRespondedAt    *time.Time          `json:"firstRespondedAt,omitempty"`
	ResolvedAt          *time.Time          `json:"resolvedAt,omitempty"`
	ClosedAt            *time.Time          `json:"closedAt,omitempty"`
	AutoCloseSeconds    int                 `json:"autoCloseSeconds"`
	ReopenWindowSeconds int                 `json:"reopenWindowSeconds"`
	// Events are the events the change recorded, in order.
	Events []EventRef `json:"events,omitempty"`
	// Timers are the automatic actions pending on the ticket after the
	// change, earliest first, computed on the database side
	// (ticketing.Timers): business time and time zones never run in
	// workflow code.
	Timers []ticketing.Timer `json:"timers,omitempty"`
	// Trace is the trace context of the request (or activity) that made
	// the change (W3C traceparent, tracestate), when it was traced: the
	// dispatcher's SignalWithStart continues that trace. Empty when
	// tracing is off.
	Trace map[string]string `json:"trace,omitempty"`
}

// EventRef names one event of a change.
type EventRef struct {
	ID   int    `json:"id"`
	Kind string `json:"kind"`
}

// ChangeOf is what t's workflow is told after a change that recorded
// events; c reads the ticket's escalation table, which the timers of its
// ladder need.
func ChangeOf(ctx context.Context, c *ent.Client, t *ent.Ticket, events []EventRef) (TicketChange, error) {
	kind := KindUpdated
	if len(events) > 0 {
		kind = events[0].Kind
	}
	ch := TicketChange{
		TicketID: t.ID, Number: ticketing.Number(t.ID), Kind: kind, At: t.UpdatedAt,
		Status: t.Status, Priority: t.Priority, EscalationLevel: t.EscalationLevel, SLAPaused: t.SLAPaused,
		FirstResponseDueAt: t.FirstResponseDueAt, ResolutionDueAt: t.ResolutionDueAt,
		FirstRespondedAt: t.FirstRespondedAt, ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt,
		AutoCloseSeconds: t.SLAPolicy.AutoCloseSeconds, ReopenWindowSeconds: t.SLAPolicy.ReopenWindowSeconds,
		Events: events,
	}
	if t.AssigneeID != nil {
		ch.AssigneeID = *t.AssigneeID
	}
	var waits []int
	if t.EscalationLevel > 0 && ticketing.IsOpen(t.Status) {
		e, err := tickets.Escalation(ctx, c, t.OrganizationID)
		if err != nil {
			return ch, err
		}
		if e != nil {
			waits = e.Waits
		}
	}
	timers, err := ticketing.Timers(tickets.Of(t), t.SLAPolicy, waits)
	if err != nil {
		return ch, err
	}
	ch.Timers = timers
	return ch, nil
}

// Enqueue writes the outbox message that tells t's workflow of a change
// that recorded events; c is the change's transaction, so the message
// commits with the change or not at all. The Dispatcher delivers it.
func Enqueue(ctx context.Context, c *ent.Client, t *ent.Ticket, events []EventRef) error {
	ch, err := ChangeOf(ctx, c, t, events)
	if err != nil {
		return err
	}
	if trace.SpanContextFromContext(ctx).IsValid() {
		ch.Trace = map[string]string{}
		propagation.TraceContext{}.Inject(ctx, propagation.MapCarrier(ch.Trace))
	}
	payload, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	return c.OutboxMessage.Create().SetTicketID(t.ID).SetPayload(payload).Exec(ctx)
}
