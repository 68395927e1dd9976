// Package tickets is where the product changes a ticket: the one entry
// point that GraphQL resolvers, e-mail intake and the workflow's
// activities call (Change), over the data model. The rules are
// internal/ticketing's; the data model's hooks and privacy rules
// (ent/schema) apply them to the request Change hands them, inside the
// caller's transaction, record its events and tell the ticket's workflow
// through the outbox — whoever the caller: a person, or the product
// acting on its own (viewer.SystemContext).
package tickets

import (
	"context"

	"helpdesk/ent"
	"helpdesk/ent/escalationtable"
	"helpdesk/internal/sla"
	"helpdesk/internal/ticketing"
)

// Change asks for r on the ticket with this ID, as the caller of ctx (its
// viewer is r's actor) and at the instant of ctx's clock
// (ticketing.WithClock). c may be a transaction. It returns the ticket as
// it became, or the error that refused r (nothing changed then).
func Change(ctx context.Context, c *ent.Client, id int, r ticketing.Request) (*ent.Ticket, error) {
	return c.Ticket.UpdateOneID(id).Save(ticketing.WithRequest(ctx, r))
}

// Escalation is the escalation table of the region of the organization
// with this ID, as the rules need it; nil when the region has none.
func Escalation(ctx context.Context, c *ent.Client, orgID int) (*ticketing.Escalation, error) {
	org, err := c.Organization.Get(ctx, orgID)
	if err != nil {
		return nil, err
	}
	table, err := c.EscalationTable.Query().Where(escalationtable.Region(org.Region)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	e := &ticketing.Escalation{Region: org.Region, Levels: len(table.Levels)}
	for _, l := range table.Levels {
		e.Waits = append(e.Waits, l.WaitSeconds)
	}
	return e, nil
}

// PolicyOf is the SLA policy stored in p, as tickets pin it.
func PolicyOf(p *ent.SLAPolicy) sla.Policy {
	return sla.Policy{
		PolicyID: p.ID, Version: p.Version, Name: p.Name, Timezone: p.Timezone, AlwaysOpen: p.AlwaysOpen,
		OpeningHours: p.OpeningHours, Holidays: p.Holidays, HolidayCountry: p.HolidayCountry,
		RunsOnThirdParty: !p.PauseOnThirdParty, Targets: p.Targets,
		WarningPercent: p.WarningPercent, ReminderSeconds: p.ReminderSeconds,
		AutoCloseSeconds: p.AutoCloseSeconds, ReopenWindowSeconds: p.ReopenWindowSeconds,
	}
}

// Of is t as the rules read it.
func Of(t *ent.Ticket) ticketing.Ticket {
	return ticketing.Ticket{
		ID: t.ID, OrganizationID: t.OrganizationID, RequesterID: t.RequesterID,
		Status: t.Status, Priority: t.Priority, AssigneeID: t.AssigneeID, EscalationLevel: t.EscalationLevel,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		FirstRespondedAt: t.FirstRespondedAt, ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt,
		SLAPaused: t.SLAPaused, PausedAt: t.PausedAt, PausedSeconds: t.PausedSeconds,
		FirstResponseDueAt: t.FirstResponseDueAt, ResolutionDueAt: t.ResolutionDueAt,
		FirstResponseBreached: t.FirstResponseBreached, ResolutionBreached: t.ResolutionBreached,
		Pauses:                t.PausedIntervals,
		FirstResponseWarnedAt: t.FirstResponseWarnedAt, ResolutionWarnedAt: t.ResolutionWarnedAt,
		FirstResponseBreachedAt: t.FirstResponseBreachedAt, ResolutionBreachedAt: t.ResolutionBreachedAt,
		RemindedAt: t.RemindedAt, EscalatedAt: t.EscalatedAt,
	}
}
