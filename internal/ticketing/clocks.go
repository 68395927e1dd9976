package ticketing

import (
	"time"

	"helpdesk/internal/sla"
)

// ExplainClocks explains t's two SLA clocks at now under its pinned policy
// pol (Ticket.slaClocks, SPEC §4): first response, then resolution, as
// sla.Policy.Explain computes them from the ticket's own fields. A ticket
// older than pinning runs under the default policy in UTC (version 0), as
// Decide runs it.
func ExplainClocks(t Ticket, pol sla.Policy, now time.Time) ([]sla.Explanation, error) {
	return pinned(pol).Explain(sla.Record{
		Clocks: clocksOf(t), Pauses: t.Pauses,
		FirstRespondedAt: t.FirstRespondedAt, ResolvedAt: t.ResolvedAt,
		FirstResponseBreachedAt: t.FirstResponseBreachedAt, ResolutionBreachedAt: t.ResolutionBreachedAt,
	}, now)
}
