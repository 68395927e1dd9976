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
// and the status and priority t has after it.
func record(ctx context.Context, c *ent.Client, t *ent.Ticket, now time.Time, evs ...ticketing.Event) error {
	if len(evs) == 0 {
		return nil
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
				return err
			}
			b.SetData(string(data))
		}
		builders = append(builders, b)
	}
	return c.TicketEvent.CreateBulk(builders...).Exec(viewer.SystemContext(ctx))
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

// changeKind is what a change is to the workflow: the kind of its first
// event, or workflows.KindUpdated.
func changeKind(evs []ticketing.Event) string {
	if len(evs) == 0 {
		return workflows.KindUpdated
	}
	return string(evs[0].Kind)
}

// enqueue writes, in the change's transaction, the outbox message that
// tells t's workflow of the change.
func enqueue(ctx context.Context, c *ent.Client, t *ent.Ticket, kind string) error {
	return workflows.Enqueue(ctx, c, t, kind)
}
