package schema

import (
	"context"
	"encoding/json"
	"fmt"
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
// tells t's workflow of the change.
func enqueue(ctx context.Context, c *ent.Client, t *ent.Ticket, events []workflows.EventRef) error {
	return workflows.Enqueue(ctx, c, t, events)
}
