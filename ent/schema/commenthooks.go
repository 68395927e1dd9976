package schema

import (
	"context"

	"helpdesk/ent"
	"helpdesk/ent/hook"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/tickets"
	"helpdesk/internal/viewer"
)

// Hooks of Comment.
func (Comment) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator { return hook.CommentFunc(createComment(next)) }, ent.OpCreate),
	}
}

// createComment records COMMENTED, then asks of the ticket what the
// comment asks (ticketing.Comment): a customer's public reply resumes a
// ticket waiting on it, an agent's first public reply is the first
// response — through tickets.Change, as the commenter.
func createComment(next ent.Mutator) func(context.Context, *ent.CommentMutation) (ent.Value, error) {
	return func(ctx context.Context, m *ent.CommentMutation) (ent.Value, error) {
		sys := viewer.SystemContext(ctx)
		c := m.Client()
		v := viewer.FromContext(ctx)
		tid, _ := m.TicketID()
		t, err := c.Ticket.Get(sys, tid)
		if err != nil {
			return nil, err
		}
		internal, _ := m.Internal()
		then, err := ticketing.Comment(tickets.Of(t), ticketing.ActorOf(v), internal)
		if err != nil {
			return nil, err
		}
		switch v.Kind {
		case viewer.Contact:
			m.SetAuthorContactID(v.ID)
		case viewer.Agent:
			m.SetAuthorAgentID(v.ID)
		}
		now := ticketing.Now(ctx)
		m.SetCreatedAt(now)
		val, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		cm := val.(*ent.Comment)
		ev := ticketing.Commented(cm.ID, internal)
		refs, err := record(ctx, c, t, now, ev)
		if err != nil {
			return nil, err
		}
		if then != nil {
			// The ticket's change tells the workflow.
			_, err := tickets.Change(withEvents(ctx, refs), c, t.ID, *then)
			return cm, err
		}
		return cm, enqueue(sys, c, t, refs)
	}
}
