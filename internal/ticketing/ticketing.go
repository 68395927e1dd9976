// Package ticketing is the one home of the rules of a ticket (SPEC §3–§4):
// its lifecycle, who may ask what of it, the SLA fields a change derives,
// and the events every change records.
//
// It is pure. Given the ticket as it is (Ticket), a request (Request: the
// action, its actor and inputs), the SLA policy the ticket pinned when it
// opened and the instant of the request, Decide returns the ticket as it
// becomes and the events to record — or the error that refuses the
// request, and then nothing changes. No database, no I/O, no wall clock:
// the data model's hooks (ent/schema) load the ticket, call the rules and
// store their outcome in the request's transaction, and the entry point
// over them (internal/tickets) is what resolvers, e-mail intake and the
// workflow's activities call. A person's action and the product's own
// (an automatic actor, ActorSystem) obey the same rules and write the same
// events.
package ticketing

import (
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
	"helpdesk/internal/viewer"
)

// MaxTextBytes bounds free text — a description, a comment, and the
// reason, question or resolution of a request, which its events record:
// a long mail with its logs fits, while one client cannot store megabytes
// in a ticket.
const MaxTextBytes = 64 << 10

// Ticket is a ticket as the rules read and write it.
type Ticket struct {
	ID             int
	OrganizationID int
	RequesterID    int
	Status         schematype.Status
	Priority       schematype.Priority
	AssigneeID     *int
	// EscalationLevel is 0 on a new ticket, then 1..N of the region's table.
	EscalationLevel      int
	CreatedAt, UpdatedAt time.Time
	FirstRespondedAt     *time.Time
	ResolvedAt, ClosedAt *time.Time
	// SLAPaused: the resolution clock is paused, since PausedAt.
	SLAPaused bool
	PausedAt  *time.Time
	// PausedSeconds is the business time of the resolution clock's pauses
	// that ended.
	PausedSeconds                             int
	FirstResponseDueAt, ResolutionDueAt       *time.Time
	FirstResponseBreached, ResolutionBreached bool
	// Pauses are the resolution clock's pauses that ended, in order: the
	// waits it paused for, and the spans a reopen ended (it stood still
	// since the resolution). PausedSeconds is their business time.
	Pauses []sla.Interval
	// What the product did on its own, once each: the warning and the
	// breach of each clock, the reminder of the wait on the customer in
	// course, and when the current escalation level was engaged.
	FirstResponseWarnedAt, ResolutionWarnedAt     *time.Time
	FirstResponseBreachedAt, ResolutionBreachedAt *time.Time
	RemindedAt                                    *time.Time
	EscalatedAt                                   *time.Time
}

// ActorKind says who asks for a change.
type ActorKind int

// The kinds of actor.
const (
	// ActorNobody is an anonymous caller or a read-only partner: it
	// changes nothing.
	ActorNobody ActorKind = iota
	// ActorSystem is the product itself: a workflow's automatic action,
	// e-mail intake, start-up.
	ActorSystem
	// ActorAgent is support staff, whatever its role.
	ActorAgent
	// ActorContact is a customer's contact.
	ActorContact
)

// Actor is who asks for a change.
type Actor struct {
	Kind ActorKind
	// ID is the agent's or contact's ID.
	ID int
	// Role is the agent's or contact's role (viewer.Role*).
	Role string
}

// System is the product acting on its own (an automatic actor).
func System() Actor { return Actor{Kind: ActorSystem} }

// ActorOf is the actor of a request made by v.
func ActorOf(v viewer.Viewer) Actor {
	switch v.Kind {
	case viewer.System:
		return System()
	case viewer.Agent:
		return Actor{Kind: ActorAgent, ID: v.ID, Role: v.Role}
	case viewer.Contact:
		return Actor{Kind: ActorContact, ID: v.ID, Role: v.Role}
	}
	return Actor{}
}

// IsAgent reports whether a is an agent.
func (a Actor) IsAgent() bool { return a.Kind == ActorAgent }

// IsContact reports whether a is a contact.
func (a Actor) IsContact() bool { return a.Kind == ActorContact }

// seesWholeOrganization reports whether a is a contact that acts for its
// whole organization (MASTER and ADMIN), not only for its own tickets.
func (a Actor) seesWholeOrganization() bool {
	return a.Kind == ActorContact && (a.Role == viewer.RoleMaster || a.Role == viewer.RoleContactAdmin)
}

// Action is what a request asks of a ticket. The lifecycle's actions are
// named as the GraphQL mutations that ask for them (their names appear in
// error messages).
type Action string

// The actions.
const (
	// Accept takes a NEW ticket (and, by an agent, an unassigned one).
	Accept Action = "acceptTicket"
	// StartWork starts work on it.
	StartWork Action = "startWork"
	// RequestInformation returns it to the customer with a question
	// (Request.Reason), pausing the resolution clock.
	RequestInformation Action = "requestInformation"
	// WaitOnThirdParty sets the ticket waiting on a carrier, a vendor or
	// another team, with the reason (Request.Reason); the resolution clock
	// pauses when the pinned policy pauses on a third party.
	WaitOnThirdParty Action = "waitOnThirdParty"
	// CustomerReply is the customer's public reply to a ticket waiting on
	// it: it resumes the resolution clock.
	CustomerReply Action = "customer reply"
	// Resolve resolves it with a resolution (Request.Reason).
	Resolve Action = "resolveTicket"
	// Close closes a resolved ticket.
	Close Action = "closeTicket"
	// Reopen reopens a resolved ticket, or a closed one within its reopen
	// window, with a reason.
	Reopen Action = "reopenTicket"
	// ChangePriority sets Request.Priority, with a reason.
	ChangePriority Action = "changeTicketPriority"
	// Assign gives the ticket to the agent Request.AssigneeID.
	Assign Action = "assignTicket"
	// Escalate escalates by hand one level up, with a reason.
	Escalate Action = "escalateTicket"
	// Respond records an agent's first public reply as the first response.
	Respond Action = "first response"
	// Edit is a change of the ticket's fields made without an action (a
	// direct write of the data model): Status, Priority, AssigneeID or
	// Unassign, EscalationLevel, each checked as the lifecycle checks them.
	Edit Action = "edit"
)

// Request is one change asked of a ticket.
type Request struct {
	Action Action
	// Actor is who asks; the data model's hooks fill it from the caller.
	Actor Actor
	// Reason is the caller's words: the reason of a reopen, a wait on a
	// third party, a priority change or an escalation, the message of
	// RequestInformation, the resolution of Resolve.
	Reason string
	// Priority is the new priority of ChangePriority or an Edit.
	Priority schematype.Priority
	// AssigneeID is the agent Assign (or an Edit) gives the ticket to.
	AssigneeID *int
	// Unassign: an Edit that leaves the ticket without an assignee.
	Unassign bool
	// Status is where an Edit moves the ticket (the lifecycle's actions
	// know where they lead).
	Status schematype.Status
	// EscalationLevel is the level an Edit sets (Escalate goes one up).
	EscalationLevel *int
	// Known is what the caller looked up for the rules (see Needs).
	Known Known
	// Timer is the timer an automatic action was armed as (see Timers).
	Timer *Timer
}

// Known is what the rules know of the world beyond the ticket, looked up
// by the caller because a request needs it (Needs).
type Known struct {
	// Agent is the agent the request makes the assignee, as the
	// directory has it; nil when there is no such agent.
	Agent *Agent
	// Escalation is the escalation table of the ticket's region; nil
	// when the region has none.
	Escalation *Escalation
}

// Agent is an agent as the rules need it.
type Agent struct {
	ID     int
	Name   string
	Active bool
}

// Escalation is a region's escalation table as the rules need it.
type Escalation struct {
	Region string
	// Levels is the number of levels, 1..N.
	Levels int
	// Waits are the levels' waitSeconds, in order.
	Waits []int
}

// Needs says what the caller must look up (into r.Known) before Decide:
// the agent r makes t's assignee (0: none) — the agent of an Assign, or
// the agent accepting an unassigned ticket — and whether r escalates, so
// the ticket's region table is needed.
func Needs(t Ticket, r Request) (agentID int, escalation bool) {
	if IsAutomatic(r.Action) {
		// A breach escalates; the ladder's timers are the table's.
		return 0, r.Action == Breach || r.Action == EscalateNext
	}
	p, err := planOf(t, r)
	if err != nil {
		return 0, false
	}
	if p.assign != nil && (t.AssigneeID == nil || *t.AssigneeID != *p.assign) {
		agentID = *p.assign
	}
	return agentID, p.escalateTo != nil && *p.escalateTo != t.EscalationLevel
}
