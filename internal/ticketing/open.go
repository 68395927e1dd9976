package ticketing

import (
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
)

// Open is new ticket t as the rules open it at now under its pinned
// policy pol: NEW, created and changed now, both clocks started, their due
// times set. A due time past the year 9999 is an error (sla.ErrOutOfRange).
func Open(t Ticket, pol sla.Policy, now time.Time) (Ticket, error) {
	d, err := pol.Deadlines(sla.Start(t.Priority, now))
	if err != nil {
		return Ticket{}, err
	}
	t.Status = schematype.StatusNew
	t.CreatedAt, t.UpdatedAt = now, now
	t.FirstResponseDueAt, t.ResolutionDueAt = &d.FirstResponse.DueAt, &d.Resolution.DueAt
	return t, nil
}

// PinnedPolicy is the policy a new ticket of an organization opens under
// (SPEC §2): the organization's own; else the installation's default
// policy, in the organization's time zone; else the built-in default
// (Monday–Friday 09:00–18:00) there.
func PinnedPolicy(own, installation *sla.Policy, timezone string) sla.Policy {
	switch {
	case own != nil:
		return *own
	case installation != nil:
		p := *installation
		p.Timezone = timezone
		return p
	}
	return sla.Default(timezone, false)
}
