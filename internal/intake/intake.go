// Package intake opens tickets, whatever the channel: the portal and API
// (GraphQL createTicket), chat transcripts, phone calls taken by an agent,
// and — through the same function — e-mail.
package intake

import (
	"context"
	"fmt"
	"strings"
	"time"

	"helpdesk/ent"
	_ "helpdesk/ent/runtime" // registers ticket.Policy, which Create asks
	"helpdesk/ent/schema/schematype"
	"helpdesk/ent/ticket"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
)

// Request is a ticket to open.
type Request struct {
	Subject, Description string
	Priority             schematype.Priority
	Category             ticket.Category
	Channel              *ticket.Channel
	ServiceID            *int
	// RequesterID: agents open tickets on a contact's behalf; a contact
	// opens them for itself.
	RequesterID                    *int
	SOFNumber                      *string
	EventType, CurrentStatus, Logs *string
	OnsetAt                        *time.Time
	IdempotencyKey                 *string
}

// Create opens the ticket with the caller of ctx (c may be a transaction).
// The same idempotency key twice, from the same requester, returns the
// first ticket instead of opening another.
//
// Who may open which ticket is the data model's privacy rule (a contact
// for itself only; partners and anonymous callers not at all). It is
// asked before anything else here, because the idempotency key's ticket
// is looked up before the insert that would ask it.
func Create(ctx context.Context, c *ent.Client, r Request) (*ent.Ticket, error) {
	v := viewer.FromContext(ctx)
	requester := 0
	switch {
	case r.RequesterID != nil:
		requester = *r.RequesterID
	case v.Kind == viewer.Contact:
		requester = v.ID
	}
	b := c.Ticket.Create().
		SetSubject(r.Subject).SetDescription(r.Description).SetPriority(r.Priority).SetCategory(r.Category).
		SetRequesterID(requester).SetNillableChannel(r.Channel).SetNillableServiceID(r.ServiceID).
		SetNillableSofNumber(r.SOFNumber).SetNillableEventType(r.EventType).SetNillableCurrentStatus(r.CurrentStatus).
		SetNillableLogs(r.Logs).SetNillableOnsetAt(r.OnsetAt)
	if err := ticket.Policy.EvalMutation(ctx, b.Mutation()); err != nil {
		return nil, err
	}
	// What privacy cannot express: an agent (or the product) names the
	// contact it opens the ticket for, and a phone call is taken by an
	// agent — input errors, not a refusal of the caller.
	if r.RequesterID == nil && v.Kind != viewer.Contact {
		return nil, fmt.Errorf("%w: requesterID is required when an agent opens a ticket on a contact's behalf", ticketing.ErrBadInput)
	}
	if v.Kind == viewer.Contact && r.Channel != nil && *r.Channel == ticket.ChannelPHONE {
		return nil, fmt.Errorf("%w: phone tickets are opened by an agent", ticketing.ErrBadInput)
	}
	if r.IdempotencyKey != nil {
		key := strings.TrimSpace(*r.IdempotencyKey)
		if key == "" || len(key) > 200 {
			return nil, fmt.Errorf("%w: idempotencyKey must be 1 to 200 characters", ticketing.ErrBadInput)
		}
		r.IdempotencyKey = &key
		if t, err := byKey(ctx, c, requester, key); t != nil || err != nil {
			return t, err
		}
	}
	b.SetNillableIdempotencyKey(r.IdempotencyKey)
	if r.IdempotencyKey == nil {
		return b.Save(ctx)
	}
	// A concurrent request with the same key may win the race: the unique
	// index refuses this insert, and the winner's ticket is the answer. In
	// a transaction (every GraphQL mutation runs in one) the refused insert
	// is rolled back to a savepoint, so the transaction stays usable.
	inTx := ent.TxFromContext(ctx) != nil
	if inTx {
		if _, err := c.ExecContext(ctx, "SAVEPOINT intake_idempotency"); err != nil {
			return nil, err
		}
	}
	t, err := b.Save(ctx)
	if inTx {
		stmt := "RELEASE SAVEPOINT intake_idempotency"
		if err != nil {
			stmt = "ROLLBACK TO SAVEPOINT intake_idempotency"
		}
		if _, serr := c.ExecContext(ctx, stmt); serr != nil && err == nil {
			return nil, serr
		}
	}
	if ent.IsConstraintError(err) {
		if won, kerr := byKey(ctx, c, requester, *r.IdempotencyKey); won != nil || kerr != nil {
			return won, kerr
		}
	}
	return t, err
}

func byKey(ctx context.Context, c *ent.Client, requester int, key string) (*ent.Ticket, error) {
	t, err := c.Ticket.Query().Where(ticket.RequesterID(requester), ticket.IdempotencyKey(key)).Only(viewer.SystemContext(ctx))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Re-read as the caller, so privacy still decides what it may see.
	return c.Ticket.Get(ctx, t.ID)
}
