package graph

import (
	"context"
	"time"

	"helpdesk/ent"
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
)

// ticketEvents streams the events of one ticket, or of every ticket the
// caller may see, from the moment of subscribing.
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
	query := func(since time.Time) ([]*ent.TicketEvent, error) {
		q := r.Client.TicketEvent.Query().Where(ticketevent.CreatedAtGT(since)).Order(ticketevent.ByID())
		if ticketID != nil {
			q.Where(ticketevent.TicketID(*ticketID))
		}
		return q.Limit(500).All(ctx)
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
			if err := auth.Recheck(ctx, r.Client, who); err != nil {
				return // token revoked or owner deactivated: the stream ends
			}
			now := time.Now()
			since := now.Add(-eventLookBack)
			if since.Before(start) {
				since = start.Add(-time.Millisecond)
			}
			evs, err := query(since)
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
