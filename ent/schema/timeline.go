package schema

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"helpdesk/ent"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
	"helpdesk/workflows"
)

// record writes the events of a change of t made at now, with who made it
// and the status and priority t has after it, and returns them as the
// workflow is told of them.
func record(ctx context.Context, c *ent.Client, t *ent.Ticket, now time.Time, evs ...ticketing.Event) ([]workflows.EventRef, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	v := viewer.FromContext(ctx)
	actor := actorOf(v)
	builders := make([]*ent.TicketEventCreate, 0, len(evs))
	for _, ev := range evs {
		b := c.TicketEvent.Create().SetTicketID(t.ID).SetKind(string(ev.Kind)).SetInternal(ev.Internal).SetActor(actor).
			SetStatusAfter(t.Status).SetPriorityAfter(t.Priority).SetCreatedAt(now)
		switch v.Kind {
		case viewer.Agent:
			b.SetActorAgentID(v.ID)
		case viewer.Contact:
			b.SetActorContactID(v.ID)
		}
		if ev.Data != nil {
			data, err := json.Marshal(ev.Data)
			if err != nil {
				return nil, err
			}
			b.SetData(string(data))
		}
		builders = append(builders, b)
	}
	saved, err := c.TicketEvent.CreateBulk(builders...).Save(viewer.SystemContext(ctx))
	if err != nil {
		return nil, err
	}
	if err := plan(ctx, c, t, now, saved, evs); err != nil {
		return nil, err
	}
	refs := make([]workflows.EventRef, len(saved))
	for i, e := range saved {
		refs[i] = workflows.EventRef{ID: e.ID, Kind: e.Kind}
	}
	return refs, nil
}

// actorOf is the legacy actor string of v (TicketEvent.actor).
func actorOf(v viewer.Viewer) string {
	switch v.Kind {
	case viewer.Agent:
		return fmt.Sprintf("agent:%d", v.ID)
	case viewer.Contact:
		return fmt.Sprintf("contact:%d", v.ID)
	}
	return "system"
}

// enqueue writes, in the change's transaction, the outbox message that
// tells t's workflow of the change: its events, after any that ctx
// carries from earlier in the same change (withEvents).
func enqueue(ctx context.Context, c *ent.Client, t *ent.Ticket, events []workflows.EventRef) error {
	if earlier, _ := ctx.Value(eventsKey{}).([]workflows.EventRef); len(earlier) > 0 {
		events = append(slices.Clone(earlier), events...)
	}
	return workflows.Enqueue(ctx, c, t, events)
}

type eventsKey struct{}

// withEvents is ctx carrying events a change recorded before it asks a
// ticket change of its own (a customer's reply that resumes the ticket
// records COMMENTED, then the status change): the ticket change's outbox
// message lists them first, so the workflow hears of every event.
func withEvents(ctx context.Context, refs []workflows.EventRef) context.Context {
	return context.WithValue(ctx, eventsKey{}, refs)
}
