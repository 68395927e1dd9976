package schema

import (
	"context"

	"helpdesk/ent"
	"helpdesk/ent/hook"
	"helpdesk/internal/viewer"
)

// Hooks of TicketEvent: an event keeps the ticket's status and priority
// of its moment, so that a timeline or a subscription shows them as they
// were, not as the ticket is when someone reads it. The ticket hooks set
// them (record); for any other writer they come from the ticket as the
// writer's transaction sees it.
func (TicketEvent) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.TicketEventFunc(func(ctx context.Context, m *ent.TicketEventMutation) (ent.Value, error) {
				_, hasStatus := m.StatusAfter()
				_, hasPriority := m.PriorityAfter()
				tid, hasTicket := m.TicketID()
				if hasTicket && (!hasStatus || !hasPriority) {
					t, err := m.Client().Ticket.Get(viewer.SystemContext(ctx), tid)
					if err != nil {
						return nil, err
					}
					if !hasStatus {
						m.SetStatusAfter(t.Status)
					}
					if !hasPriority {
						m.SetPriorityAfter(t.Priority)
					}
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate),
	}
}
