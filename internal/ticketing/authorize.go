package ticketing

import (
	"fmt"

	"helpdesk/internal/viewer"
)

// escalationCustomers may escalate a ticket by hand besides the agents
// (SPEC §3).
const escalationCustomers = RequesterOrOrganization

// Authorize says whether r's actor may ask r of t: SPEC §3's "who" column.
// Agents (of every role) and the product itself may ask anything of any
// ticket; a contact may reply to, reopen or escalate a ticket it
// requested (or, as its organization's ADMIN or MASTER, any of the
// organization's) and close one it requested; priority, assignment and
// the other moves are the agents'. The error wraps viewer.ErrForbidden.
//
// It decides by the action asked for, not by the statuses: startWork on
// a resolved ticket would lead where reopenTicket does, yet stays the
// agents'. Whether the action may start from the ticket's status is
// Decide's (INVALID_TRANSITION). Which tickets a contact sees at all is
// the privacy rules' (a ticket outside its scope is not found).
func Authorize(t Ticket, r Request) error {
	if IsAutomatic(r.Action) && r.Actor.Kind != ActorSystem {
		return forbidden("only the product itself asks for an %s", r.Action)
	}
	switch r.Actor.Kind {
	case ActorSystem, ActorAgent:
		return nil
	case ActorContact:
	default:
		return viewer.ErrForbidden
	}
	p, err := planOf(t, r)
	if err != nil {
		return err
	}
	requester := t.RequesterID == r.Actor.ID
	may := func(c Customers) bool {
		switch c {
		case TheRequester:
			return requester
		case RequesterOrOrganization:
			return requester || r.Actor.seesWholeOrganization()
		}
		return false
	}
	if p.to != "" {
		who := NoCustomer
		if p.move != nil {
			who = p.move.Customers
		}
		if !may(who) {
			return forbidden("a customer may not move a ticket from %s to %s", t.Status, p.to)
		}
	}
	// The field names are those the data model's privacy rules name for
	// a direct write of the same change.
	switch {
	case p.priority != "":
		return forbidden("only agents change a ticket's priority")
	case p.assign != nil || p.unassign:
		return forbidden("only agents change a ticket's assignee_id")
	case p.respond:
		return forbidden("only agents change a ticket's first_responded_at")
	case p.escalateTo != nil && !may(escalationCustomers):
		return forbidden("a customer may not escalate this ticket")
	}
	return nil
}

func forbidden(format string, a ...any) error {
	return fmt.Errorf("%w: %s", viewer.ErrForbidden, fmt.Sprintf(format, a...))
}
