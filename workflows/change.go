package workflows

import (
	"context"
	"encoding/json"
	"time"

	"helpdesk/ent"
	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/ticketing"
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
}

// ChangeOf is what t's workflow is told after a change of kind.
func ChangeOf(t *ent.Ticket, kind string) TicketChange {
	ch := TicketChange{
		TicketID: t.ID, Number: ticketing.Number(t.ID), Kind: kind, At: t.UpdatedAt,
		Status: t.Status, Priority: t.Priority, EscalationLevel: t.EscalationLevel, SLAPaused: t.SLAPaused,
		FirstResponseDueAt: t.FirstResponseDueAt, ResolutionDueAt: t.ResolutionDueAt,
		FirstRespondedAt: t.FirstRespondedAt, ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt,
		AutoCloseSeconds: t.SLAPolicy.AutoCloseSeconds, ReopenWindowSeconds: t.SLAPolicy.ReopenWindowSeconds,
	}
	if t.AssigneeID != nil {
		ch.AssigneeID = *t.AssigneeID
	}
	return ch
}

// Enqueue writes the outbox message that tells t's workflow of a change
// of kind; c is the change's transaction, so the message commits with the
// change or not at all. The Dispatcher delivers it.
func Enqueue(ctx context.Context, c *ent.Client, t *ent.Ticket, kind string) error {
	payload, err := json.Marshal(ChangeOf(t, kind))
	if err != nil {
		return err
	}
	return c.OutboxMessage.Create().SetTicketID(t.ID).SetPayload(payload).Exec(ctx)
}
