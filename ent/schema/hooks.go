package schema

// Hooks keep the data rules of tickets in one place: the lifecycle
// (INVALID_TRANSITION), the SLA fields derived from a change, the timeline
// event of every change, and the outbox message that tells the ticket's
// workflow. They run inside the mutation's transaction, so a change, its
// events and its outbox message commit together or not at all.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"helpdesk/ent"
	"helpdesk/ent/escalationtable"
	"helpdesk/ent/hook"
	"helpdesk/ent/schema/schematype"
	"helpdesk/ent/service"
	"helpdesk/ent/slapolicy"
	"helpdesk/ent/ticket"
	"helpdesk/internal/sla"
	"helpdesk/internal/ticketing"
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

// Hooks of Comment.
func (Comment) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator { return hook.CommentFunc(createComment(next)) }, ent.OpCreate),
	}
}

func badInput(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ticketing.ErrBadInput, fmt.Sprintf(format, a...))
}

// createTicket fills what a new ticket derives: its organization from the
// requester, the service from a phone caller's SOF number, the SLA policy it
// opens under and its due times; then records CREATED and starts its
// workflow through the outbox.
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
		pr, _ := m.Priority()
		m.SetPriorityRank(pr.Rank())
		if err := checkService(sys, m, req.OrganizationID); err != nil {
			return nil, err
		}
		pol, err := policyFor(sys, c, req.OrganizationID)
		if err != nil {
			return nil, err
		}
		created, ok := m.CreatedAt()
		if !ok {
			created = time.Now()
			m.SetCreatedAt(created)
			m.SetUpdatedAt(created)
		}
		due, err := pol.Due(pr, created, 0)
		if err != nil {
			return nil, err
		}
		m.SetSLAPolicy(pol)
		m.SetFirstResponseDueAt(due.FirstResponse)
		m.SetResolutionDueAt(due.Resolution)
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		t := v.(*ent.Ticket)
		ch, _ := m.Channel()
		ev := event{kind: "CREATED", data: map[string]any{
			"number": schematype.TicketNumber(t.ID), "priority": t.Priority, "channel": ch,
		}}
		if err := record(ctx, c, t, ev); err != nil {
			return nil, err
		}
		return t, enqueue(sys, c, t, ev.kind)
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

// policyFor returns the SLA policy an organization's new tickets open under:
// its own, or the installation's default in the organization's time zone.
func policyFor(ctx context.Context, c *ent.Client, org int) (sla.Policy, error) {
	o, err := c.Organization.Get(ctx, org)
	if err != nil {
		return sla.Policy{}, err
	}
	if o.SLAPolicyID != nil {
		p, err := c.SLAPolicy.Get(ctx, *o.SLAPolicyID)
		if err != nil {
			return sla.Policy{}, err
		}
		return PolicyOf(p), nil
	}
	p, err := c.SLAPolicy.Query().Where(slapolicy.IsDefault(true)).First(ctx)
	if ent.IsNotFound(err) {
		return sla.Default(o.Timezone, false), nil
	} else if err != nil {
		return sla.Policy{}, err
	}
	pol := PolicyOf(p)
	pol.Timezone = o.Timezone
	return pol, nil
}

// PolicyOf is the SLA policy stored in p, as tickets keep it.
func PolicyOf(p *ent.SLAPolicy) sla.Policy {
	return sla.Policy{
		PolicyID: p.ID, Version: p.Version, Name: p.Name, Timezone: p.Timezone, AlwaysOpen: p.AlwaysOpen,
		OpeningHours: p.OpeningHours, Holidays: p.Holidays, Targets: p.Targets,
		WarningPercent: p.WarningPercent, ReminderSeconds: p.ReminderSeconds,
		AutoCloseSeconds: p.AutoCloseSeconds, ReopenWindowSeconds: p.ReopenWindowSeconds,
	}
}

// updateTicket enforces the lifecycle on a change of one ticket, derives
// its SLA fields, records an event per change and tells the workflow.
func updateTicket(next ent.Mutator) func(context.Context, *ent.TicketMutation) (ent.Value, error) {
	return func(ctx context.Context, m *ent.TicketMutation) (ent.Value, error) {
		sys := viewer.SystemContext(ctx)
		c := m.Client()
		id, _ := m.ID()
		old, err := c.Ticket.Get(sys, id)
		if err != nil {
			return nil, err
		}
		note := schematype.ChangeNoteFrom(ctx)
		if len(note.Reason) > maxText {
			// A reason, question or resolution is recorded in the
			// ticket's events: as long as a comment at most.
			return nil, badInput("the reason or message is longer than %d KiB", maxText>>10)
		}
		now := time.Now()
		pol := old.SLAPolicy
		if pol.Timezone == "" {
			pol = sla.Default("UTC", false)
		}
		cal, err := pol.Calendar()
		if err != nil {
			return nil, err
		}
		var evs []event
		pausedSeconds := old.PausedSeconds
		priority := old.Priority
		recompute := false

		if to, ok := m.Status(); ok && (to != old.Status || note.Action != nil) {
			if err := checkTransition(ctx, old, to, note, pol, now); err != nil {
				return nil, err
			}
			takeOnAccept(ctx, m, old, note)
			switch to {
			case schematype.StatusResolved:
				m.SetResolvedAt(now)
			case schematype.StatusClosed:
				m.SetClosedAt(now)
			case schematype.StatusWaitingOnCustomer:
				m.SetSLAPaused(true)
				m.SetPausedAt(now)
			}
			if to == schematype.StatusInProgress && !old.Status.Open() {
				m.ClearResolvedAt()
				m.ClearClosedAt()
			}
			if old.Status == schematype.StatusWaitingOnCustomer {
				m.SetSLAPaused(false)
				m.ClearPausedAt()
				if old.PausedAt != nil {
					pausedSeconds += int(cal.Elapsed(*old.PausedAt, now) / time.Second)
					m.SetPausedSeconds(pausedSeconds)
					recompute = true
				}
			}
			if old.FirstRespondedAt == nil && viewer.FromContext(ctx).IsAgent() {
				m.SetFirstRespondedAt(now)
			}
			data := map[string]any{"from": old.Status, "to": to}
			if note.Reason != "" {
				data["reason"] = note.Reason
			}
			evs = append(evs, event{kind: "STATUS_CHANGED", data: data})
			if to == schematype.StatusWaitingOnCustomer {
				evs = append(evs, event{kind: "INFORMATION_REQUESTED", data: map[string]any{"message": note.Reason}})
			}
		} else if ok {
			m.ResetStatus()
		}

		if pr, ok := m.Priority(); ok && pr != old.Priority {
			if old.Status == schematype.StatusClosed {
				return nil, fmt.Errorf("%w: the priority of a closed ticket does not change", ticketing.ErrInvalidTransition)
			}
			if strings.TrimSpace(note.Reason) == "" {
				return nil, badInput("a reason is required to change the priority")
			}
			m.SetPriorityRank(pr.Rank())
			priority, recompute = pr, true
			evs = append(evs, event{kind: "PRIORITY_CHANGED", data: map[string]any{"from": old.Priority, "to": pr, "reason": note.Reason}})
		} else if ok {
			m.ResetPriority()
		}
		if recompute {
			due, err := pol.Due(priority, old.CreatedAt, time.Duration(pausedSeconds)*time.Second)
			if err != nil {
				return nil, err
			}
			if priority != old.Priority {
				m.SetFirstResponseDueAt(due.FirstResponse)
			}
			m.SetResolutionDueAt(due.Resolution)
		}

		if ev, err := assignmentEvent(sys, m, old); err != nil {
			return nil, err
		} else if ev != nil {
			evs = append(evs, *ev)
		}
		if ev, err := escalationEvent(sys, m, old, note); err != nil {
			return nil, err
		} else if ev != nil {
			evs = append(evs, *ev)
		}

		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		t := v.(*ent.Ticket)
		if err := record(ctx, c, t, evs...); err != nil {
			return nil, err
		}
		kind := "UPDATED"
		if len(evs) > 0 {
			kind = evs[0].kind
		}
		return t, enqueue(sys, c, t, kind)
	}
}

// checkTransition applies the lifecycle of SPEC §3: the action asked for
// (or, for the product's own changes, any action) must start from the
// ticket's status; a closed ticket reopens only within its window.
func checkTransition(ctx context.Context, old *ent.Ticket, to schematype.Status, note schematype.ChangeNote, pol sla.Policy, now time.Time) error {
	if a := note.Action; a != nil {
		if a.To != to || !a.Allows(old.Status) {
			return fmt.Errorf("%w: %s needs a ticket in %s; this one is %s", ticketing.ErrInvalidTransition, a.Name, statusList(a.From), old.Status)
		}
		if a.NeedsReason && strings.TrimSpace(note.Reason) == "" && viewer.FromContext(ctx).Kind != viewer.System {
			arg := reasonArgument[a.Name]
			if arg == "" {
				arg = "reason"
			}
			return badInput("%s needs a non-empty %s", a.Name, arg)
		}
	} else if !old.Status.CanTransition(to) {
		return fmt.Errorf("%w: a %s ticket cannot become %s", ticketing.ErrInvalidTransition, old.Status, to)
	}
	if old.Status == schematype.StatusClosed && old.ClosedAt != nil {
		until := old.ClosedAt.Add(time.Duration(pol.ReopenWindowSeconds) * time.Second)
		if now.After(until) {
			return fmt.Errorf("%w: the reopen window of this ticket ended at %s; open a new ticket", ticketing.ErrInvalidTransition, until.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// reasonArgument names the argument that carries an action's reason.
var reasonArgument = map[string]string{
	schematype.ActionRequestInformation.Name: "message",
	schematype.ActionResolve.Name:            "resolution",
	schematype.ActionReopen.Name:             "reason",
}

func statusList(ss []schematype.Status) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}

// takeOnAccept makes the agent who accepts an unassigned ticket its
// assignee (assignmentEvent records it as assignTicket would); an assigned
// ticket keeps its assignee.
func takeOnAccept(ctx context.Context, m *ent.TicketMutation, old *ent.Ticket, note schematype.ChangeNote) {
	v := viewer.FromContext(ctx)
	if note.Action == nil || note.Action.Name != schematype.ActionAccept.Name || !v.IsAgent() || old.AssigneeID != nil {
		return
	}
	if _, set := m.AssigneeID(); !set && !m.AssigneeCleared() {
		m.SetAssigneeID(v.ID)
	}
}

// assignmentEvent checks a new assignee is an active agent.
func assignmentEvent(ctx context.Context, m *ent.TicketMutation, old *ent.Ticket) (*event, error) {
	var from any
	if old.AssigneeID != nil {
		from = *old.AssigneeID
	}
	if m.AssigneeCleared() && old.AssigneeID != nil {
		return &event{kind: "ASSIGNED", data: map[string]any{"from": from, "to": nil}}, nil
	}
	to, ok := m.AssigneeID()
	if !ok || old.AssigneeID != nil && *old.AssigneeID == to {
		return nil, nil
	}
	a, err := m.Client().Agent.Get(ctx, to)
	if ent.IsNotFound(err) || err == nil && !a.Active {
		return nil, badInput("agent %d is not an active agent", to)
	} else if err != nil {
		return nil, err
	}
	return &event{kind: "ASSIGNED", data: map[string]any{"from": from, "to": to, "agent": a.Name}}, nil
}

// escalationEvent checks an escalation goes one level up, never past the
// region's last level, on a ticket that is still open.
func escalationEvent(ctx context.Context, m *ent.TicketMutation, old *ent.Ticket, note schematype.ChangeNote) (*event, error) {
	to := old.EscalationLevel
	if lvl, ok := m.EscalationLevel(); ok {
		to = lvl
	}
	if add, ok := m.AddedEscalationLevel(); ok {
		to += add
	}
	if to == old.EscalationLevel {
		return nil, nil
	}
	if !old.Status.Open() {
		return nil, fmt.Errorf("%w: a %s ticket is not escalated; reopen it first", ticketing.ErrInvalidTransition, old.Status)
	}
	if to != old.EscalationLevel+1 {
		return nil, fmt.Errorf("%w: escalation goes one level at a time (from %d, asked %d)", ticketing.ErrInvalidTransition, old.EscalationLevel, to)
	}
	if note.Manual && strings.TrimSpace(note.Reason) == "" {
		return nil, badInput("a reason is required to escalate")
	}
	org, err := m.Client().Organization.Get(ctx, old.OrganizationID)
	if err != nil {
		return nil, err
	}
	table, err := m.Client().EscalationTable.Query().Where(escalationtable.Region(org.Region)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, err
	case to > len(table.Levels):
		return nil, fmt.Errorf("%w: the ticket is at the last escalation level (%d) of region %s", ticketing.ErrInvalidTransition, len(table.Levels), org.Region)
	}
	return &event{kind: "ESCALATED", data: map[string]any{"from": old.EscalationLevel, "to": to, "reason": note.Reason, "manual": note.Manual}}, nil
}

// createComment records COMMENTED, resumes a ticket waiting on the customer
// when the customer replies publicly, and counts an agent's first public
// reply as the first response.
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
		if v.IsContact() && t.Status == schematype.StatusClosed {
			return nil, fmt.Errorf("%w: the ticket is closed; reopen it to reply", ticketing.ErrInvalidTransition)
		}
		switch v.Kind {
		case viewer.Contact:
			m.SetAuthorContactID(v.ID)
		case viewer.Agent:
			m.SetAuthorAgentID(v.ID)
		}
		val, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		cm := val.(*ent.Comment)
		ev := event{kind: "COMMENTED", internal: internal, data: map[string]any{"commentID": cm.ID, "internal": internal}}
		if err := record(ctx, c, t, ev); err != nil {
			return nil, err
		}
		switch {
		case internal:
		case v.IsContact() && t.Status == schematype.StatusWaitingOnCustomer:
			ctx := schematype.WithChangeNote(ctx, schematype.ChangeNote{Action: &schematype.ActionCustomerReply, Reason: "the customer replied"})
			if _, err := c.Ticket.UpdateOneID(t.ID).SetStatus(schematype.StatusInProgress).Save(ctx); err != nil {
				return nil, err
			}
			return cm, nil
		case v.IsAgent() && t.FirstRespondedAt == nil:
			if _, err := c.Ticket.UpdateOneID(t.ID).SetFirstRespondedAt(time.Now()).Save(sys); err != nil {
				return nil, err
			}
			return cm, nil
		}
		return cm, enqueue(sys, c, t, ev.kind)
	}
}

// event is one timeline entry to record.
type event struct {
	kind     string
	data     map[string]any
	internal bool
}

// record writes the events of a change of t, with who made it and the
// status and priority t has after it.
func record(ctx context.Context, c *ent.Client, t *ent.Ticket, evs ...event) error {
	if len(evs) == 0 {
		return nil
	}
	v := viewer.FromContext(ctx)
	actor := actorOf(v)
	builders := make([]*ent.TicketEventCreate, 0, len(evs))
	for _, ev := range evs {
		b := c.TicketEvent.Create().SetTicketID(t.ID).SetKind(ev.kind).SetInternal(ev.internal).SetActor(actor).
			SetStatusAfter(t.Status).SetPriorityAfter(t.Priority)
		switch v.Kind {
		case viewer.Agent:
			b.SetActorAgentID(v.ID)
		case viewer.Contact:
			b.SetActorContactID(v.ID)
		}
		if ev.data != nil {
			data, err := json.Marshal(ev.data)
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

// enqueue writes the outbox message that tells t's workflow of the change.
func enqueue(ctx context.Context, c *ent.Client, t *ent.Ticket, kind string) error {
	payload, err := json.Marshal(ChangeOf(t, kind))
	if err != nil {
		return err
	}
	return c.OutboxMessage.Create().SetTicketID(t.ID).SetPayload(payload).Exec(ctx)
}

// ChangeOf is what t's workflow is told after a change of kind.
func ChangeOf(t *ent.Ticket, kind string) schematype.TicketChange {
	ch := schematype.TicketChange{
		TicketID: t.ID, Number: schematype.TicketNumber(t.ID), Kind: kind, At: t.UpdatedAt,
		Status: t.Status, Priority: t.Priority, EscalationLevel: t.EscalationLevel, SLAPaused: t.SLAPaused,
		FirstResponseDueAt: t.FirstResponseDueAt, ResolutionDueAt: t.ResolutionDueAt,
		FirstRespondedAt: t.FirstRespondedAt, ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt,
		AutoCloseSeconds: t.SLAPolicy.AutoCloseSeconds, ReopenWindowSeconds: t.SLAPolicy.ReopenWindowSeconds,
	}
	if t.AssigneeID != nil {
		ch.AssigneeID = *t.AssigneeID
	}
	return ch
}

// Hooks of SLAPolicy: a policy is validated as a whole, and every update
// is a new version.
func (SLAPolicy) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.SLAPolicyFunc(func(ctx context.Context, m *ent.SLAPolicyMutation) (ent.Value, error) {
				pol := sla.Policy{}
				if m.Op().Is(ent.OpUpdateOne) {
					id, _ := m.ID()
					old, err := m.Client().SLAPolicy.Get(viewer.SystemContext(ctx), id)
					if err != nil {
						return nil, err
					}
					pol = PolicyOf(old)
					m.AddVersion(1)
				} else {
					pol = sla.Default("UTC", false)
				}
				if v, ok := m.Name(); ok {
					pol.Name = v
				}
				if v, ok := m.Timezone(); ok {
					pol.Timezone = v
				}
				if v, ok := m.AlwaysOpen(); ok {
					pol.AlwaysOpen = v
				}
				if v, ok := m.OpeningHours(); ok {
					pol.OpeningHours = v
				}
				if v, ok := m.Holidays(); ok {
					pol.Holidays = v
				}
				if v, ok := m.Targets(); ok {
					pol.Targets = v
				}
				if v, ok := m.WarningPercent(); ok {
					pol.WarningPercent = v
				}
				if v, ok := m.ReminderSeconds(); ok {
					pol.ReminderSeconds = v
				}
				if v, ok := m.AutoCloseSeconds(); ok {
					pol.AutoCloseSeconds = v
				}
				if v, ok := m.ReopenWindowSeconds(); ok {
					pol.ReopenWindowSeconds = v
				}
				if err := pol.Validate(); err != nil {
					return nil, fmt.Errorf("%w: %w", ticketing.ErrBadInput, err)
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate|ent.OpUpdateOne),
	}
}

// Hooks of EscalationTable: levels are numbered 1..N in order, each with a
// name, valid e-mail addresses and a positive wait.
func (EscalationTable) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.EscalationTableFunc(func(ctx context.Context, m *ent.EscalationTableMutation) (ent.Value, error) {
				if region, ok := m.Region(); ok {
					if err := notBlank(region); err != nil {
						return nil, badInput("region %v", err)
					}
				}
				levels, ok := m.Levels()
				if !ok {
					return next.Mutate(ctx, m)
				}
				if len(levels) == 0 || len(levels) > 20 {
					return nil, badInput("an escalation table has 1 to 20 levels, got %d", len(levels))
				}
				for i := range levels {
					l := &levels[i]
					l.Level = i + 1
					if strings.TrimSpace(l.Name) == "" {
						return nil, badInput("level %d has no name", l.Level)
					}
					if len(l.Name) > maxName {
						return nil, badInput("level %d: the name is longer than %d characters", l.Level, maxName)
					}
					if len(l.Emails) > maxLevelEmails {
						return nil, badInput("level %d: at most %d e-mail addresses, got %d", l.Level, maxLevelEmails, len(l.Emails))
					}
					if l.WaitSeconds <= 0 {
						return nil, badInput("level %d: waitSeconds must be positive, got %d", l.Level, l.WaitSeconds)
					}
					for _, e := range l.Emails {
						if err := validEmail(e); err != nil {
							return nil, badInput("level %d: %v", l.Level, err)
						}
					}
				}
				m.SetLevels(levels)
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
	}
}

// Hooks of APIToken: a token belongs to exactly one agent, one contact, or
// (read-only) one or more partner organizations.
func (APIToken) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.APITokenFunc(func(ctx context.Context, m *ent.APITokenMutation) (ent.Value, error) {
				owners := 0
				if _, ok := m.AgentID(); ok {
					owners++
				}
				if _, ok := m.ContactID(); ok {
					owners++
				}
				if p, _ := m.Partner(); p {
					owners++
					if len(m.PartnerOrganizationsIDs()) == 0 {
						return nil, badInput("a partner token needs at least one organization")
					}
				}
				if owners != 1 {
					return nil, badInput("give exactly one of contactID, agentID or a non-empty partnerOrganizationIDs")
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate),
	}
}
