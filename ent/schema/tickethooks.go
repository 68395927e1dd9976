package schema

// The hooks of tickets are the data model's adapter over the rules of a
// ticket (internal/ticketing): they load what the rules read, ask them,
// store what they decide, record its events and tell the ticket's
// workflow through the outbox (timeline.go). They run inside the
// mutation's transaction, so a change, its events and its outbox message
// commit together or not at all.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"helpdesk/ent"
	"helpdesk/ent/hook"
	"helpdesk/ent/service"
	"helpdesk/ent/slapolicy"
	"helpdesk/ent/ticket"
	"helpdesk/internal/sla"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/tickets"
	"helpdesk/internal/viewer"
)

// Hooks of Ticket.
func (Ticket) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator { return hook.TicketFunc(createTicket(next)) }, ent.OpCreate),
		hook.On(func(next ent.Mutator) ent.Mutator { return hook.TicketFunc(updateTicket(next)) }, ent.OpUpdateOne),
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.TicketFunc(func(ctx context.Context, m *ent.TicketMutation) (ent.Value, error) {
				if viewer.FromContext(ctx).Kind != viewer.System {
					return nil, fmt.Errorf("%w: tickets change one at a time", viewer.ErrForbidden)
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpUpdate|ent.OpDelete|ent.OpDeleteOne),
	}
}

func badInput(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ticketing.ErrBadInput, fmt.Sprintf(format, a...))
}

// createTicket fills what a new ticket derives: its organization from the
// requester, the service from a phone caller's SOF number, the SLA policy
// it pins and its due times (ticketing.Open); then records CREATED and
// starts its workflow through the outbox.
func createTicket(next ent.Mutator) func(context.Context, *ent.TicketMutation) (ent.Value, error) {
	return func(ctx context.Context, m *ent.TicketMutation) (ent.Value, error) {
		sys := viewer.SystemContext(ctx)
		c := m.Client()
		reqID, ok := m.RequesterID()
		if !ok {
			return nil, badInput("a ticket needs a requester")
		}
		req, err := c.Contact.Get(sys, reqID)
		if ent.IsNotFound(err) {
			return nil, badInput("requester %d is not a contact", reqID)
		} else if err != nil {
			return nil, err
		}
		if !req.Active {
			return nil, badInput("contact %s is deactivated and cannot open tickets", req.Email)
		}
		if org, set := m.OrganizationID(); set && org != req.OrganizationID {
			return nil, badInput("the requester belongs to another organization")
		}
		m.SetOrganizationID(req.OrganizationID)
		if err := checkService(sys, m, req.OrganizationID); err != nil {
			return nil, err
		}
		pol, err := pinnedPolicy(sys, c, req.OrganizationID)
		if err != nil {
			return nil, err
		}
		now := ticketing.Now(ctx)
		pr, _ := m.Priority()
		opened, err := ticketing.Open(ticketing.Ticket{Priority: pr}, pol, now)
		if err != nil {
			return nil, err
		}
		m.SetStatus(opened.Status)
		m.SetPriorityRank(pr.Rank())
		m.SetCreatedAt(opened.CreatedAt)
		m.SetUpdatedAt(opened.UpdatedAt)
		m.SetSLAPolicy(pol)
		m.SetFirstResponseDueAt(*opened.FirstResponseDueAt)
		m.SetResolutionDueAt(*opened.ResolutionDueAt)
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		t := v.(*ent.Ticket)
		ch, _ := m.Channel()
		ev := ticketing.Created(tickets.Of(t), string(ch))
		refs, err := record(withRequester(ctx, req), c, t, now, ev)
		if err != nil {
			return nil, err
		}
		return t, enqueue(sys, c, t, refs)
	}
}

// checkService checks the affected service belongs to the organization, and
// that a phone ticket names the SOF number of one of its services.
func checkService(ctx context.Context, m *ent.TicketMutation, org int) error {
	c := m.Client()
	if id, ok := m.ServiceID(); ok {
		svc, err := c.Service.Get(ctx, id)
		if ent.IsNotFound(err) || err == nil && svc.OrganizationID != org {
			return badInput("service %d is not a service of the requester's organization", id)
		} else if err != nil {
			return err
		}
	}
	ch, _ := m.Channel()
	sof, hasSOF := m.SofNumber()
	if ch != ticket.ChannelPHONE && !hasSOF {
		return nil
	}
	if strings.TrimSpace(sof) == "" {
		return badInput("sofNumber is required with channel PHONE: ask the caller for the SOF number of the affected service")
	}
	q := c.Service.Query().Where(service.OrganizationID(org), service.SofNumber(sof))
	if id, ok := m.ServiceID(); ok {
		q.Where(service.ID(id))
	}
	svc, err := q.First(ctx)
	if ent.IsNotFound(err) {
		return badInput("SOF number %q does not match a service of the caller's organization", sof)
	} else if err != nil {
		return err
	}
	m.SetServiceID(svc.ID)
	return nil
}

// pinnedPolicy loads what ticketing.PinnedPolicy chooses from: the
// organization's own policy and the installation's default.
func pinnedPolicy(ctx context.Context, c *ent.Client, org int) (sla.Policy, error) {
	o, err := c.Organization.Get(ctx, org)
	if err != nil {
		return sla.Policy{}, err
	}
	if o.SLAPolicyID != nil {
		p, err := c.SLAPolicy.Get(ctx, *o.SLAPolicyID)
		if err != nil {
			return sla.Policy{}, err
		}
		own := tickets.PolicyOf(p)
		return ticketing.PinnedPolicy(&own, nil, o.Timezone), nil
	}
	p, err := c.SLAPolicy.Query().Where(slapolicy.IsDefault(true)).First(ctx)
	if ent.IsNotFound(err) {
		return ticketing.PinnedPolicy(nil, nil, o.Timezone), nil
	} else if err != nil {
		return sla.Policy{}, err
	}
	installation := tickets.PolicyOf(p)
	return ticketing.PinnedPolicy(nil, &installation, o.Timezone), nil
}

// updateTicket applies the request of a change of one ticket
// (ticketing.Decide), stores the ticket it decides, records its events and
// tells the workflow.
func updateTicket(next ent.Mutator) func(context.Context, *ent.TicketMutation) (ent.Value, error) {
	return func(ctx context.Context, m *ent.TicketMutation) (ent.Value, error) {
		sys := viewer.SystemContext(ctx)
		c := m.Client()
		id, _ := m.ID()
		old, err := c.Ticket.Get(sys, id)
		if err != nil {
			return nil, err
		}
		before := tickets.Of(old)
		r, err := requestOf(ctx, m, before)
		if err != nil {
			return nil, err
		}
		if r.Known, err = known(sys, c, before, r); err != nil {
			return nil, err
		}
		now := ticketing.Now(ctx)
		out, err := ticketing.Decide(before, old.SLAPolicy, r, now)
		if err != nil {
			return nil, err
		}
		store(m, before, out.Ticket)
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		t := v.(*ent.Ticket)
		refs, err := record(ctx, c, t, now, out.Events...)
		if err != nil {
			return nil, err
		}
		return t, enqueue(sys, c, t, refs)
	}
}

// requestOf is the request a ticket mutation carries: the one its caller
// asked for (tickets.Change), or, for a direct write of the lifecycle's
// fields, an Edit of them, checked as the lifecycle checks them. Its
// actor is the caller of ctx.
func requestOf(ctx context.Context, m *ent.TicketMutation, t ticketing.Ticket) (ticketing.Request, error) {
	edit := ticketing.Request{Action: ticketing.Edit}
	fields := false
	if s, ok := m.Status(); ok {
		edit.Status, fields = s, true
	}
	if p, ok := m.Priority(); ok {
		edit.Priority, fields = p, true
	}
	if id, ok := m.AssigneeID(); ok {
		edit.AssigneeID, fields = &id, true
	} else if m.AssigneeCleared() {
		edit.Unassign, fields = true, true
	}
	level, setLevel := m.EscalationLevel()
	add, addLevel := m.AddedEscalationLevel()
	if setLevel || addLevel {
		if !setLevel {
			level = t.EscalationLevel
		}
		level += add
		edit.EscalationLevel, fields = &level, true
	}
	r, asked := ticketing.RequestFrom(ctx)
	switch {
	case asked && fields:
		return r, fmt.Errorf("schema: ticket %d: a request (%s) and changes of its lifecycle fields in one mutation", t.ID, r.Action)
	case !asked:
		r = edit
	}
	r.Actor = ticketing.ActorOf(viewer.FromContext(ctx))
	return r, nil
}

// known looks up what request r needs the rules to know (ticketing.Needs).
func known(ctx context.Context, c *ent.Client, t ticketing.Ticket, r ticketing.Request) (ticketing.Known, error) {
	var k ticketing.Known
	agentID, escalates := ticketing.Needs(t, r)
	if agentID != 0 {
		a, err := c.Agent.Get(ctx, agentID)
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return k, err
		default:
			k.Agent = &ticketing.Agent{ID: a.ID, Name: a.Name, Active: a.Active}
		}
	}
	if escalates {
		e, err := tickets.Escalation(ctx, c, t.OrganizationID)
		if err != nil {
			return k, err
		}
		k.Escalation = e
	}
	return k, nil
}

// store writes into m the fields the rules changed from before to after;
// the lifecycle's fields are the rules' alone (a direct write of them was
// turned into an Edit).
func store(m *ent.TicketMutation, before, after ticketing.Ticket) {
	m.ResetStatus()
	m.ResetPriority()
	m.ResetPriorityRank()
	m.ResetAssigneeID()
	m.ResetAssignee()
	m.ResetEscalationLevel()
	m.SetUpdatedAt(after.UpdatedAt)
	if after.Status != before.Status {
		m.SetStatus(after.Status)
	}
	if after.Priority != before.Priority {
		m.SetPriority(after.Priority)
		m.SetPriorityRank(after.Priority.Rank())
	}
	if !sameInt(after.AssigneeID, before.AssigneeID) {
		if after.AssigneeID != nil {
			m.SetAssigneeID(*after.AssigneeID)
		} else {
			m.ClearAssignee()
		}
	}
	if after.EscalationLevel != before.EscalationLevel {
		m.SetEscalationLevel(after.EscalationLevel)
	}
	if after.SLAPaused != before.SLAPaused {
		m.SetSLAPaused(after.SLAPaused)
	}
	if after.PausedSeconds != before.PausedSeconds {
		m.SetPausedSeconds(after.PausedSeconds)
	}
	if len(after.Pauses) != len(before.Pauses) {
		m.SetPausedIntervals(after.Pauses)
	}
	if after.FirstResponseBreached != before.FirstResponseBreached {
		m.SetFirstResponseBreached(after.FirstResponseBreached)
	}
	if after.ResolutionBreached != before.ResolutionBreached {
		m.SetResolutionBreached(after.ResolutionBreached)
	}
	times := []struct {
		after, before *time.Time
		set           func(time.Time)
		clear         func()
	}{
		{after.FirstRespondedAt, before.FirstRespondedAt, m.SetFirstRespondedAt, m.ClearFirstRespondedAt},
		{after.ResolvedAt, before.ResolvedAt, m.SetResolvedAt, m.ClearResolvedAt},
		{after.ClosedAt, before.ClosedAt, m.SetClosedAt, m.ClearClosedAt},
		{after.PausedAt, before.PausedAt, m.SetPausedAt, m.ClearPausedAt},
		{after.FirstResponseDueAt, before.FirstResponseDueAt, m.SetFirstResponseDueAt, m.ClearFirstResponseDueAt},
		{after.ResolutionDueAt, before.ResolutionDueAt, m.SetResolutionDueAt, m.ClearResolutionDueAt},
		{after.FirstResponseWarnedAt, before.FirstResponseWarnedAt, m.SetFirstResponseWarnedAt, m.ClearFirstResponseWarnedAt},
		{after.ResolutionWarnedAt, before.ResolutionWarnedAt, m.SetResolutionWarnedAt, m.ClearResolutionWarnedAt},
		{after.FirstResponseBreachedAt, before.FirstResponseBreachedAt, m.SetFirstResponseBreachedAt, m.ClearFirstResponseBreachedAt},
		{after.ResolutionBreachedAt, before.ResolutionBreachedAt, m.SetResolutionBreachedAt, m.ClearResolutionBreachedAt},
		{after.RemindedAt, before.RemindedAt, m.SetRemindedAt, m.ClearRemindedAt},
		{after.EscalatedAt, before.EscalatedAt, m.SetEscalatedAt, m.ClearEscalatedAt},
	}
	for _, f := range times {
		switch {
		case sameTime(f.after, f.before):
		case f.after == nil:
			f.clear()
		default:
			f.set(*f.after)
		}
	}
}

func sameInt(a, b *int) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}
