package ticketing

import (
	"slices"
	"strings"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
)

// Move is a lifecycle action (SPEC §3): the statuses it starts from, the
// one it leads to, whether the caller must say why (and in which
// argument), and which customers may ask for it.
type Move struct {
	Action Action
	From   []schematype.Status
	To     schematype.Status
	// NeedsReason: a person must give a non-empty Reason, named Argument
	// in the API; the product's own moves need none.
	NeedsReason bool
	Argument    string
	// Customers says which contacts may ask for it; agents and the
	// product may ask for every move.
	Customers Customers
}

// Customers says which of a ticket's customers may ask for a move.
type Customers int

// Which customers may ask.
const (
	// NoCustomer: the move is the agents'.
	NoCustomer Customers = iota
	// TheRequester: the contact that requested the ticket.
	TheRequester
	// RequesterOrOrganization: the requester, or its organization's ADMIN
	// and MASTER contacts.
	RequesterOrOrganization
)

// Lifecycle is the table of SPEC §3, in lifecycle order.
var Lifecycle = []Move{
	{Action: Accept, From: []schematype.Status{schematype.StatusNew}, To: schematype.StatusAccepted},
	{Action: StartWork, From: []schematype.Status{schematype.StatusNew, schematype.StatusAccepted, schematype.StatusWaitingOnThirdParty},
		To: schematype.StatusInProgress},
	{Action: RequestInformation, From: []schematype.Status{schematype.StatusAccepted, schematype.StatusInProgress},
		To: schematype.StatusWaitingOnCustomer, NeedsReason: true, Argument: "message"},
	{Action: WaitOnThirdParty, From: []schematype.Status{schematype.StatusAccepted, schematype.StatusInProgress},
		To: schematype.StatusWaitingOnThirdParty, NeedsReason: true, Argument: "reason"},
	{Action: CustomerReply, From: []schematype.Status{schematype.StatusWaitingOnCustomer}, To: schematype.StatusInProgress,
		Customers: RequesterOrOrganization},
	{Action: Resolve, From: []schematype.Status{schematype.StatusAccepted, schematype.StatusInProgress, schematype.StatusWaitingOnCustomer,
		schematype.StatusWaitingOnThirdParty}, To: schematype.StatusResolved, NeedsReason: true, Argument: "resolution"},
	{Action: Close, From: []schematype.Status{schematype.StatusResolved}, To: schematype.StatusClosed, Customers: TheRequester},
	{Action: Reopen, From: []schematype.Status{schematype.StatusResolved, schematype.StatusClosed}, To: schematype.StatusInProgress,
		NeedsReason: true, Argument: "reason", Customers: RequesterOrOrganization},
}

// MoveOf returns the move of a lifecycle action.
func MoveOf(a Action) (Move, bool) {
	for _, m := range Lifecycle {
		if m.Action == a {
			return m, true
		}
	}
	return Move{}, false
}

// Allows reports whether the move may start from status s.
func (m Move) Allows(s schematype.Status) bool { return slices.Contains(m.From, s) }

// CanTransition reports whether some move leads a ticket from one status
// to another.
func CanTransition(from, to schematype.Status) bool {
	for _, m := range Lifecycle {
		if m.To == to && m.Allows(from) {
			return true
		}
	}
	return false
}

// PausesResolution reports whether a ticket in status s, under its pinned
// policy pol, has its resolution clock paused (SPEC §4): while it waits on
// the customer, and while it waits on a third party when the policy's
// pauseOnThirdParty says so. Entering such a status pauses the clock;
// leaving it resumes the clock, which moves its due time by the business
// time of the pause.
func PausesResolution(s schematype.Status, pol sla.Policy) bool {
	switch s {
	case schematype.StatusWaitingOnCustomer:
		return true
	case schematype.StatusWaitingOnThirdParty:
		return pol.PausesOnThirdParty()
	}
	return false
}

// IsOpen reports whether a ticket in status s still has work to do (it is
// neither resolved nor closed).
func IsOpen(s schematype.Status) bool {
	return s != schematype.StatusResolved && s != schematype.StatusClosed
}

func statusList(ss []schematype.Status) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}
