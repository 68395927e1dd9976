package graph

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"helpdesk/ent"
	"helpdesk/ent/ticket"
	"helpdesk/ent/ticketevent"
	"helpdesk/internal/auth"
	"helpdesk/internal/viewer"
)

// ticketEvents streams the events of one ticket, or of every ticket the
// caller may see, from the moment of subscribing. It listens to the
// process's event tail (internal/eventtail), which wakes it only when
// there are new events or a change of who may see what; then it acts as
// the caller as of now (auth.Refresh, when who may see what changed
// anywhere: a contact or agent changed, a token revoked): a deactivated owner or a revoked
// token ends the stream with UNAUTHENTICATED, a role taken away narrows
// what it carries from then on, and a stream of one ticket that is no
// longer visible ends with NOT_FOUND. The new events are read by ID
// under the caller's privacy, so the tail never decides who sees what.
// An idle stream runs no query at all.
func (r *Resolver) ticketEvents(ctx context.Context, ticketID *int) (<-chan *ent.TicketEvent, error) {
	if viewer.FromContext(ctx).Kind == viewer.Anonymous {
		return nil, viewer.ErrUnauthenticated
	}
	if ticketID != nil {
		// The ticket must exist and be visible; else NOT_FOUND now.
		if _, err := r.Client.Ticket.Get(ctx, *ticketID); err != nil {
			return nil, err
		}
	}
	who := viewer.FromContext(ctx)
	start := time.Now()
	sub := r.Events.Subscribe()
	asOf := ctx // the caller as last checked
	out := make(chan *ent.TicketEvent, 16)
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.C():
			}
			u := sub.Take()
			if !u.Access {
				if len(u.Events) == 0 {
					continue
				}
				if err := r.sendEvents(asOf, out, u.Events, ticketID, start); err != nil {
					return
				}
				continue
			}
			pctx, fresh, err := auth.Refresh(ctx, r.Client)
			if errors.Is(err, viewer.ErrUnauthenticated) {
				r.endStream(ctx, err) // token revoked or owner deactivated
				return
			} else if err != nil {
				if ctx.Err() != nil {
					return
				}
				continue // the database will answer the next update
			}
			if ticketID != nil && !auth.Same(fresh, who) {
				visible, err := r.Client.Ticket.Query().Where(ticket.ID(*ticketID)).Exist(pctx)
				if err != nil {
					continue
				}
				if !visible {
					r.endStream(ctx, &ent.NotFoundError{})
					return
				}
			}
			who, asOf = fresh, pctx
			if len(u.Events) > 0 {
				if err := r.sendEvents(pctx, out, u.Events, ticketID, start); err != nil {
					return
				}
			}
		}
	}()
	return out, nil
}

// sendEvents reads the events with these IDs that ctx's caller may see
// (of ticketID only, when set; none created before start) and sends
// them to out; an error only when ctx is done.
func (r *Resolver) sendEvents(ctx context.Context, out chan<- *ent.TicketEvent, ids []int, ticketID *int, start time.Time) error {
	q := r.Client.TicketEvent.Query().Where(ticketevent.IDIn(ids...), ticketevent.CreatedAtGTE(start)).Order(ticketevent.ByID())
	if ticketID != nil {
		q.Where(ticketevent.TicketID(*ticketID))
	}
	evs, err := q.All(ctx)
	if err != nil {
		return ctx.Err() // the database will answer the next update
	}
	for _, ev := range evs {
		select {
		case out <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// endStream ends a subscription with err, shown as any resolver's error
// (with its extensions.code) in the graphql-transport-ws error message
// that closes the stream. Subscriptions are served over WebSocket only
// (the server refuses them over HTTP), where the transport collects it.
func (r *Resolver) endStream(ctx context.Context, err error) {
	if r.ErrorPresenter == nil {
		return // the stream just completes
	}
	transport.AddSubscriptionError(ctx, r.ErrorPresenter(ctx, err))
}
