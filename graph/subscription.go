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

const (
	// eventPollInterval is how often a subscription looks for new events.
	// Polling the database (with the subscriber's privacy) works the same
	// whichever process wrote the event, and cannot leak across tenants.
	eventPollInterval = 300 * time.Millisecond
	// eventLookBack re-reads recent events, because on PostgreSQL a
	// transaction may commit a lower ID after a higher one was seen.
	eventLookBack = 5 * time.Second
	// eventBatch bounds the events one poll reads.
	eventBatch = 500
)

// ticketEvents streams the events of one ticket, or of every ticket the
// caller may see, from the moment of subscribing. Each poll acts as the
// caller as of now (auth.Refresh): a deactivated owner or a revoked token
// ends the stream with UNAUTHENTICATED, a role taken away narrows what it
// carries from the next poll on, and a stream of one ticket that is no
// longer visible ends with NOT_FOUND.
//
// An idle stream costs two indexed queries a poll: the token's owner and
// the new events (plus, only when the caller's rights changed, a look at
// the subscribed ticket).
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
	// query reads, with the privacy of ctx's viewer, the events created
	// after since and not after until (the instant the viewer was checked:
	// a later event waits for the next poll, so it is read with a viewer
	// checked after it was written).
	query := func(ctx context.Context, since, until time.Time) ([]*ent.TicketEvent, error) {
		q := r.Client.TicketEvent.Query().
			Where(ticketevent.CreatedAtGT(since), ticketevent.CreatedAtLTE(until)).Order(ticketevent.ByID())
		if ticketID != nil {
			q.Where(ticketevent.TicketID(*ticketID))
		}
		return q.Limit(eventBatch).All(ctx)
	}
	who := viewer.FromContext(ctx)
	start := time.Now()
	out := make(chan *ent.TicketEvent, 16)
	go func() {
		defer close(out)
		seen := map[int]time.Time{}
		t := time.NewTicker(eventPollInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			pctx, fresh, err := auth.Refresh(ctx, r.Client)
			if errors.Is(err, viewer.ErrUnauthenticated) {
				r.endStream(ctx, err) // token revoked or owner deactivated
				return
			} else if err != nil {
				if ctx.Err() != nil {
					return
				}
				continue // the database will answer the next poll
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
			who = fresh
			now := time.Now()
			since := now.Add(-eventLookBack)
			if since.Before(start) {
				since = start.Add(-time.Millisecond)
			}
			evs, err := query(pctx, since, now)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				continue
			}
			for _, ev := range evs {
				if _, ok := seen[ev.ID]; ok || ev.CreatedAt.Before(start) {
					continue
				}
				seen[ev.ID] = ev.CreatedAt
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
			for id, at := range seen {
				if at.Before(now.Add(-2 * eventLookBack)) {
					delete(seen, id)
				}
			}
		}
	}()
	return out, nil
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
