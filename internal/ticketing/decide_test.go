package ticketing

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
	"helpdesk/internal/viewer"
)

// Times of the tests: a ticket created at t0, changed at now.
var (
	t0  = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // a Monday
	now = t0.Add(2 * time.Hour)
)

func at(t time.Time) *time.Time { return &t }
func id(v int) *int             { return &v }

var (
	agent     = Actor{Kind: ActorAgent, ID: 7, Role: viewer.RoleAgent}
	requester = Actor{Kind: ActorContact, ID: 21, Role: viewer.RoleUser}
	master    = Actor{Kind: ActorContact, ID: 22, Role: viewer.RoleMaster}
	orgAdmin  = Actor{Kind: ActorContact, ID: 23, Role: viewer.RoleContactAdmin}
	colleague = Actor{Kind: ActorContact, ID: 24, Role: viewer.RoleUser}
)

// allDay is a 24x7 policy, so business time is real time.
var allDay = sla.Default("UTC", true)

// office is Monday–Friday 09:00–18:00 UTC.
var office = sla.Default("UTC", false)

// ticketIn is a ticket created at t0 and now in status s, with its due
// times under allDay.
func ticketIn(s schematype.Status) Ticket {
	tk := Ticket{ID: TicketIDBase + 1, OrganizationID: 3, RequesterID: requester.ID, Status: s,
		Priority: schematype.PriorityMedium, CreatedAt: t0, UpdatedAt: t0,
		FirstResponseDueAt: at(t0.Add(4 * time.Hour)), ResolutionDueAt: at(t0.Add(48 * time.Hour))}
	switch s {
	case schematype.StatusWaitingOnCustomer, schematype.StatusWaitingOnThirdParty:
		tk.SLAPaused, tk.PausedAt = true, at(t0.Add(time.Hour))
	case schematype.StatusResolved:
		tk.ResolvedAt = at(t0.Add(time.Hour))
	case schematype.StatusClosed:
		tk.ResolvedAt, tk.ClosedAt = at(t0.Add(time.Hour)), at(t0.Add(time.Hour))
	}
	return tk
}

func with(tk Ticket, edit func(*Ticket)) Ticket {
	edit(&tk)
	return tk
}

// rule is one rule of SPEC §3–§4 as Decide applies it.
type rule struct {
	name   string
	ticket Ticket
	policy sla.Policy // allDay when zero
	req    Request
	at     time.Time // now when zero
	// want is the ticket after (UpdatedAt is checked to be the instant of
	// the change on every success); events its events.
	want   Ticket
	events []Event
	// err is the sentinel of a refusal, msg a part of its message.
	err error
	msg string
}

func (r rule) run(t *testing.T) {
	t.Helper()
	pol := r.policy
	if pol.Name == "" {
		pol = allDay
	}
	when := r.at
	if when.IsZero() {
		when = now
	}
	out, err := Decide(r.ticket, pol, r.req, when)
	if r.err != nil {
		if !errors.Is(err, r.err) || !strings.Contains(err.Error(), r.msg) {
			t.Fatalf("err %v, want %v containing %q", err, r.err, r.msg)
		}
		return
	}
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	want := r.want
	want.UpdatedAt = when
	if !reflect.DeepEqual(out.Ticket, want) {
		t.Errorf("ticket after:\n got %s\nwant %s", show(out.Ticket), show(want))
	}
	if !reflect.DeepEqual(out.Events, r.events) {
		t.Errorf("events:\n got %s\nwant %s", show(out.Events), show(r.events))
	}
}

// show prints pointers' values.
func show(v any) string {
	switch v := v.(type) {
	case Ticket:
		p := func(t *time.Time) string {
			if t == nil {
				return "nil"
			}
			return t.Format(time.RFC3339Nano)
		}
		a := "nil"
		if v.AssigneeID != nil {
			a = fmt.Sprint(*v.AssigneeID)
		}
		return fmt.Sprintf("{%s %s assignee=%s level=%d responded=%s resolved=%s closed=%s paused=%v@%s pausedSeconds=%d due=%s/%s updated=%s}",
			v.Status, v.Priority, a, v.EscalationLevel, p(v.FirstRespondedAt), p(v.ResolvedAt), p(v.ClosedAt), v.SLAPaused, p(v.PausedAt),
			v.PausedSeconds, p(v.FirstResponseDueAt), p(v.ResolutionDueAt), v.UpdatedAt.Format(time.RFC3339))
	case []Event:
		var parts []string
		for _, e := range v {
			parts = append(parts, fmt.Sprintf("%s%+v", e.Kind, e.Data))
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(v)
}

func statusChanged(from, to schematype.Status, reason string) Event {
	return Event{Kind: EventStatusChanged, Data: StatusChangedData{From: from, To: to, Reason: reason}}
}

func runRules(t *testing.T, rules []rule) {
	t.Helper()
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			r.run(t)
		})
	}
}

// TestLifecycleMovesStartOnlyWhereTheTableSays: each action of SPEC §3's
// table moves a ticket from the statuses it starts from, and from any
// other is an invalid transition that names them.
func TestLifecycleMovesStartOnlyWhereTheTableSays(t *testing.T) {
	t.Parallel()
	statuses := []schematype.Status{schematype.StatusNew, schematype.StatusAccepted, schematype.StatusInProgress,
		schematype.StatusWaitingOnCustomer, schematype.StatusWaitingOnThirdParty, schematype.StatusResolved, schematype.StatusClosed}
	want := map[Action][]schematype.Status{
		Accept:             {schematype.StatusNew},
		StartWork:          {schematype.StatusNew, schematype.StatusAccepted, schematype.StatusWaitingOnThirdParty},
		RequestInformation: {schematype.StatusAccepted, schematype.StatusInProgress},
		WaitOnThirdParty:   {schematype.StatusAccepted, schematype.StatusInProgress},
		CustomerReply:      {schematype.StatusWaitingOnCustomer},
		Resolve: {schematype.StatusAccepted, schematype.StatusInProgress, schematype.StatusWaitingOnCustomer,
			schematype.StatusWaitingOnThirdParty},
		Close:  {schematype.StatusResolved},
		Reopen: {schematype.StatusResolved, schematype.StatusClosed},
	}
	if len(want) != len(Lifecycle) {
		t.Fatalf("the lifecycle has %d actions, the test knows %d", len(Lifecycle), len(want))
	}
	for _, m := range Lifecycle {
		for _, s := range statuses {
			allowed := false
			for _, f := range want[m.Action] {
				allowed = allowed || f == s
			}
			name := fmt.Sprintf("%s from %s is an invalid transition", m.Action, s)
			if allowed {
				name = fmt.Sprintf("%s moves %s to %s", m.Action, s, m.To)
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				out, err := Decide(ticketIn(s), allDay, Request{Action: m.Action, Actor: System(), Reason: "because"}, now)
				if !allowed {
					wantMsg := fmt.Sprintf("invalid transition: %s needs a ticket in %s; this one is %s", m.Action, statusList(want[m.Action]), s)
					if !errors.Is(err, ErrInvalidTransition) || err.Error() != wantMsg {
						t.Fatalf("err %v, want %q", err, wantMsg)
					}
					return
				}
				if err != nil || out.Ticket.Status != m.To {
					t.Fatalf("status %s, err %v; want %s", out.Ticket.Status, err, m.To)
				}
			})
		}
	}
	// CanTransition is the union of the moves.
	for _, from := range statuses {
		for _, to := range statuses {
			any := false
			for a, froms := range want {
				m, _ := MoveOf(a)
				for _, f := range froms {
					any = any || f == from && m.To == to
				}
			}
			if CanTransition(from, to) != any {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, !any, any)
			}
		}
	}
}

// TestLifecycleRules: the rules of SPEC §3 beyond the table.
func TestLifecycleRules(t *testing.T) {
	t.Parallel()
	newT := ticketIn(schematype.StatusNew)
	inProgress := ticketIn(schematype.StatusInProgress)
	waiting := ticketIn(schematype.StatusWaitingOnCustomer)
	resolved := ticketIn(schematype.StatusResolved)
	closed := ticketIn(schematype.StatusClosed)
	runRules(t, []rule{
		{
			name:   "acceptTicket by an agent takes an unassigned ticket: STATUS_CHANGED, then ASSIGNED as assignTicket records it",
			ticket: newT, req: Request{Action: Accept, Actor: agent, Known: Known{Agent: &Agent{ID: 7, Name: "Sam", Active: true}}},
			want: with(newT, func(t *Ticket) {
				t.Status, t.AssigneeID, t.FirstRespondedAt = schematype.StatusAccepted, id(7), at(now)
			}),
			events: []Event{statusChanged(schematype.StatusNew, schematype.StatusAccepted, ""),
				{Kind: EventAssigned, Data: AssignedData{Agent: "Sam", To: id(7)}}},
		},
		{
			name:   "acceptTicket keeps an assigned ticket's assignee",
			ticket: with(newT, func(t *Ticket) { t.AssigneeID = id(9) }), req: Request{Action: Accept, Actor: agent},
			want: with(newT, func(t *Ticket) {
				t.Status, t.AssigneeID, t.FirstRespondedAt = schematype.StatusAccepted, id(9), at(now)
			}),
			events: []Event{statusChanged(schematype.StatusNew, schematype.StatusAccepted, "")},
		},
		{
			name:   "acceptTicket by the product takes nobody",
			ticket: newT, req: Request{Action: Accept, Actor: System()},
			want:   with(newT, func(t *Ticket) { t.Status = schematype.StatusAccepted }),
			events: []Event{statusChanged(schematype.StatusNew, schematype.StatusAccepted, "")},
		},
		{
			name:   "requestInformation pauses the resolution clock and records the question",
			ticket: inProgress, req: Request{Action: RequestInformation, Actor: agent, Reason: "Which printer?"},
			want: with(inProgress, func(t *Ticket) {
				t.Status, t.SLAPaused, t.PausedAt, t.FirstRespondedAt = schematype.StatusWaitingOnCustomer, true, at(now), at(now)
			}),
			events: []Event{statusChanged(schematype.StatusInProgress, schematype.StatusWaitingOnCustomer, "Which printer?"),
				{Kind: EventInformationRequested, Data: InformationRequestedData{Message: "Which printer?"}}},
		},
		{
			name:   "requestInformation needs a non-empty message",
			ticket: inProgress, req: Request{Action: RequestInformation, Actor: agent, Reason: "  "},
			err: ErrBadInput, msg: "requestInformation needs a non-empty message",
		},
		{
			name:   "resolveTicket needs a non-empty resolution",
			ticket: inProgress, req: Request{Action: Resolve, Actor: agent},
			err: ErrBadInput, msg: "resolveTicket needs a non-empty resolution",
		},
		{
			name:   "reopenTicket needs a non-empty reason",
			ticket: resolved, req: Request{Action: Reopen, Actor: requester},
			err: ErrBadInput, msg: "reopenTicket needs a non-empty reason",
		},
		{
			name:   "the product's own moves need no reason (an automatic resolve)",
			ticket: inProgress, req: Request{Action: Resolve, Actor: System()},
			want:   with(inProgress, func(t *Ticket) { t.Status, t.ResolvedAt = schematype.StatusResolved, at(now) }),
			events: []Event{statusChanged(schematype.StatusInProgress, schematype.StatusResolved, "")},
		},
		{
			name:   "a customer reply resumes the resolution clock: its due time moves by the business time paused",
			ticket: waiting, req: Request{Action: CustomerReply, Actor: requester, Reason: CustomerReplyReason},
			want: with(waiting, func(t *Ticket) {
				t.Status, t.SLAPaused, t.PausedAt, t.PausedSeconds = schematype.StatusInProgress, false, nil, 3600
				t.ResolutionDueAt = at(t0.Add(49 * time.Hour))
				t.Pauses = []sla.Interval{{Start: t0.Add(time.Hour), End: at(now)}}
			}),
			events: []Event{statusChanged(schematype.StatusWaitingOnCustomer, schematype.StatusInProgress, "the customer replied")},
		},
		{
			name:   "the paused time is business time: paused over a night counts the opening hours only",
			policy: office,
			ticket: with(waiting, func(t *Ticket) { t.PausedAt = at(t0.Add(7 * time.Hour)) }), // Monday 17:00
			at:     t0.Add(24 * time.Hour),                                                    // Tuesday 10:00
			req:    Request{Action: CustomerReply, Actor: requester, Reason: CustomerReplyReason},
			want: with(waiting, func(t *Ticket) {
				t.Status, t.SLAPaused, t.PausedAt, t.PausedSeconds = schematype.StatusInProgress, false, nil, 7200
				t.ResolutionDueAt = at(time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)) // 48 h + 2 h of office time
				t.Pauses = []sla.Interval{{Start: t0.Add(7 * time.Hour), End: at(t0.Add(24 * time.Hour))}}
			}),
			events: []Event{statusChanged(schematype.StatusWaitingOnCustomer, schematype.StatusInProgress, "the customer replied")},
		},
		{
			name:   "resolve from WAITING_ON_CUSTOMER resumes the resolution clock",
			ticket: waiting, req: Request{Action: Resolve, Actor: agent, Reason: "Fixed"},
			want: with(waiting, func(t *Ticket) {
				t.Status, t.ResolvedAt, t.SLAPaused, t.PausedAt, t.PausedSeconds = schematype.StatusResolved, at(now), false, nil, 3600
				t.ResolutionDueAt, t.FirstRespondedAt = at(t0.Add(49*time.Hour)), at(now)
				t.Pauses = []sla.Interval{{Start: t0.Add(time.Hour), End: at(now)}}
			}),
			events: []Event{statusChanged(schematype.StatusWaitingOnCustomer, schematype.StatusResolved, "Fixed")},
		},
		{
			name:   "closeTicket stamps closedAt",
			ticket: resolved, req: Request{Action: Close, Actor: requester},
			want:   with(resolved, func(t *Ticket) { t.Status, t.ClosedAt = schematype.StatusClosed, at(now) }),
			events: []Event{statusChanged(schematype.StatusResolved, schematype.StatusClosed, "")},
		},
		{
			name:   "reopening a closed ticket within its window clears resolvedAt and closedAt; its resolution clock runs again from where it stood",
			ticket: closed, req: Request{Action: Reopen, Actor: requester, Reason: "Broken again"},
			want: with(closed, func(t *Ticket) {
				t.Status, t.ResolvedAt, t.ClosedAt = schematype.StatusInProgress, nil, nil
				t.PausedSeconds, t.ResolutionDueAt = 3600, at(t0.Add(49*time.Hour))
				t.Pauses = []sla.Interval{{Start: t0.Add(time.Hour), End: at(now)}}
			}),
			events: []Event{statusChanged(schematype.StatusClosed, schematype.StatusInProgress, "Broken again")},
		},
		{
			name:   "reopening a closed ticket at the last instant of its window is allowed",
			ticket: closed, req: Request{Action: Reopen, Actor: requester, Reason: "Broken again"},
			at: t0.Add(time.Hour + 7*24*time.Hour),
			want: with(closed, func(t *Ticket) {
				t.Status, t.ResolvedAt, t.ClosedAt = schematype.StatusInProgress, nil, nil
				t.PausedSeconds, t.ResolutionDueAt = 7*24*3600, at(t0.Add(48*time.Hour+7*24*time.Hour))
				t.Pauses = []sla.Interval{{Start: t0.Add(time.Hour), End: at(t0.Add(time.Hour + 7*24*time.Hour))}}
			}),
			events: []Event{statusChanged(schematype.StatusClosed, schematype.StatusInProgress, "Broken again")},
		},
		{
			name:   "reopening a closed ticket after its reopen window is an invalid transition naming its end",
			ticket: closed, req: Request{Action: Reopen, Actor: requester, Reason: "Broken again"},
			at:  t0.Add(time.Hour + 7*24*time.Hour + time.Nanosecond),
			err: ErrInvalidTransition, msg: "the reopen window of this ticket ended at 2026-11-30T11:00:00Z; open a new ticket",
		},
		{
			name:   "a reason longer than 64 KiB is bad input",
			ticket: inProgress, req: Request{Action: Resolve, Actor: agent, Reason: strings.Repeat("x", MaxTextBytes+1)},
			err: ErrBadInput, msg: "the reason or message is longer than 64 KiB",
		},
		{
			name:   "an edit moves only where some action leads",
			ticket: newT, req: Request{Action: Edit, Actor: System(), Status: schematype.StatusClosed},
			err: ErrInvalidTransition, msg: "a NEW ticket cannot become CLOSED",
		},
		{
			name:   "an edit to the status the ticket has changes nothing but the instant",
			ticket: newT, req: Request{Action: Edit, Actor: System(), Status: schematype.StatusNew},
			want: newT,
		},
		{
			name:   "an edit needs no reason for a move that asks one of a person",
			ticket: inProgress, req: Request{Action: Edit, Actor: agent, Status: schematype.StatusResolved},
			want: with(inProgress, func(t *Ticket) {
				t.Status, t.ResolvedAt, t.FirstRespondedAt = schematype.StatusResolved, at(now), at(now)
			}),
			events: []Event{statusChanged(schematype.StatusInProgress, schematype.StatusResolved, "")},
		},
	})
}

// TestFirstResponseRules: the first-response clock stops at the first
// agent response (SPEC §4).
func TestFirstResponseRules(t *testing.T) {
	t.Parallel()
	newT := ticketIn(schematype.StatusNew)
	inProgress := ticketIn(schematype.StatusInProgress)
	responded := with(inProgress, func(t *Ticket) { t.FirstRespondedAt = at(t0.Add(time.Minute)) })
	runRules(t, []rule{
		{
			name:   "an agent's first move is the first response",
			ticket: newT, req: Request{Action: StartWork, Actor: agent},
			want:   with(newT, func(t *Ticket) { t.Status, t.FirstRespondedAt = schematype.StatusInProgress, at(now) }),
			events: []Event{statusChanged(schematype.StatusNew, schematype.StatusInProgress, "")},
		},
		{
			name:   "a later agent move keeps the first response",
			ticket: responded, req: Request{Action: Resolve, Actor: agent, Reason: "Fixed"},
			want:   with(responded, func(t *Ticket) { t.Status, t.ResolvedAt = schematype.StatusResolved, at(now) }),
			events: []Event{statusChanged(schematype.StatusInProgress, schematype.StatusResolved, "Fixed")},
		},
		{
			name:   "an agent's first public reply is the first response, recording no event",
			ticket: inProgress, req: Request{Action: Respond, Actor: agent},
			want: with(inProgress, func(t *Ticket) { t.FirstRespondedAt = at(now) }),
		},
		{
			name:   "a first reply after the first response changes nothing but the instant",
			ticket: responded, req: Request{Action: Respond, Actor: agent},
			want: responded,
		},
		{
			name:   "the product's moves are no first response",
			ticket: inProgress, req: Request{Action: Resolve, Actor: System()},
			want:   with(inProgress, func(t *Ticket) { t.Status, t.ResolvedAt = schematype.StatusResolved, at(now) }),
			events: []Event{statusChanged(schematype.StatusInProgress, schematype.StatusResolved, "")},
		},
	})
}

// TestPriorityRules: only with a reason, not on CLOSED; both due times
// recomputed from creation with the new targets, paused time excluded.
func TestPriorityRules(t *testing.T) {
	t.Parallel()
	inProgress := ticketIn(schematype.StatusInProgress)
	pausedBefore := with(inProgress, func(t *Ticket) { t.PausedSeconds = 600 })
	waiting := ticketIn(schematype.StatusWaitingOnCustomer)
	runRules(t, []rule{
		{
			name:   "a priority change recomputes both due times from creation with the new targets",
			ticket: inProgress, req: Request{Action: ChangePriority, Actor: agent, Priority: schematype.PriorityCritical, Reason: "outage"},
			want: with(inProgress, func(t *Ticket) {
				t.Priority, t.FirstResponseDueAt, t.ResolutionDueAt = schematype.PriorityCritical, at(t0.Add(time.Hour)), at(t0.Add(4*time.Hour))
			}),
			events: []Event{{Kind: EventPriorityChanged, Data: PriorityChangedData{From: schematype.PriorityMedium, To: schematype.PriorityCritical, Reason: "outage"}}},
		},
		{
			name:   "a priority change keeps the paused time out of the resolution clock",
			ticket: pausedBefore, req: Request{Action: ChangePriority, Actor: agent, Priority: schematype.PriorityHigh, Reason: "VIP"},
			want: with(pausedBefore, func(t *Ticket) {
				t.Priority, t.FirstResponseDueAt, t.ResolutionDueAt = schematype.PriorityHigh, at(t0.Add(2*time.Hour)), at(t0.Add(24*time.Hour+10*time.Minute))
			}),
			events: []Event{{Kind: EventPriorityChanged, Data: PriorityChangedData{From: schematype.PriorityMedium, To: schematype.PriorityHigh, Reason: "VIP"}}},
		},
		{
			name:   "a priority change while waiting on the customer keeps the clock paused",
			ticket: waiting, req: Request{Action: ChangePriority, Actor: agent, Priority: schematype.PriorityLow, Reason: "can wait"},
			want: with(waiting, func(t *Ticket) {
				t.Priority, t.FirstResponseDueAt, t.ResolutionDueAt = schematype.PriorityLow, at(t0.Add(9*time.Hour)), at(t0.Add(72*time.Hour))
			}),
			events: []Event{{Kind: EventPriorityChanged, Data: PriorityChangedData{From: schematype.PriorityMedium, To: schematype.PriorityLow, Reason: "can wait"}}},
		},
		{
			name:   "a priority change needs a reason",
			ticket: inProgress, req: Request{Action: ChangePriority, Actor: agent, Priority: schematype.PriorityCritical, Reason: " "},
			err: ErrBadInput, msg: "a reason is required to change the priority",
		},
		{
			name:   "the priority of a closed ticket does not change",
			ticket: ticketIn(schematype.StatusClosed), req: Request{Action: ChangePriority, Actor: agent, Priority: schematype.PriorityCritical, Reason: "outage"},
			err: ErrInvalidTransition, msg: "the priority of a closed ticket does not change",
		},
		{
			name:   "the priority of a resolved ticket changes",
			ticket: ticketIn(schematype.StatusResolved), req: Request{Action: ChangePriority, Actor: agent, Priority: schematype.PriorityLow, Reason: "minor after all"},
			want: with(ticketIn(schematype.StatusResolved), func(t *Ticket) {
				t.Priority, t.FirstResponseDueAt, t.ResolutionDueAt = schematype.PriorityLow, at(t0.Add(9*time.Hour)), at(t0.Add(72*time.Hour))
			}),
			events: []Event{{Kind: EventPriorityChanged, Data: PriorityChangedData{From: schematype.PriorityMedium, To: schematype.PriorityLow, Reason: "minor after all"}}},
		},
		{
			name:   "the same priority again changes nothing, asks for no reason",
			ticket: inProgress, req: Request{Action: ChangePriority, Actor: agent, Priority: schematype.PriorityMedium},
			want: inProgress,
		},
	})
}

// TestAssignmentRules: a ticket goes to an active agent; ASSIGNED names
// both agents (null for none) and the new one's name.
func TestAssignmentRules(t *testing.T) {
	t.Parallel()
	open := ticketIn(schematype.StatusAccepted)
	assigned := with(open, func(t *Ticket) { t.AssigneeID = id(7) })
	runRules(t, []rule{
		{
			name:   "assignTicket gives the ticket to an active agent",
			ticket: assigned, req: Request{Action: Assign, Actor: agent, AssigneeID: id(8), Known: Known{Agent: &Agent{ID: 8, Name: "Ana", Active: true}}},
			want:   with(open, func(t *Ticket) { t.AssigneeID = id(8) }),
			events: []Event{{Kind: EventAssigned, Data: AssignedData{Agent: "Ana", From: id(7), To: id(8)}}},
		},
		{
			name:   "assignTicket to a deactivated agent is bad input",
			ticket: open, req: Request{Action: Assign, Actor: agent, AssigneeID: id(8), Known: Known{Agent: &Agent{ID: 8, Name: "Ana"}}},
			err: ErrBadInput, msg: "agent 8 is not an active agent",
		},
		{
			name:   "assignTicket to an unknown agent is bad input",
			ticket: open, req: Request{Action: Assign, Actor: agent, AssigneeID: id(8)},
			err: ErrBadInput, msg: "agent 8 is not an active agent",
		},
		{
			name:   "assignTicket to the assignee changes nothing but the instant",
			ticket: assigned, req: Request{Action: Assign, Actor: agent, AssigneeID: id(7)},
			want: assigned,
		},
		{
			name:   "an edit that unassigns records ASSIGNED to nobody",
			ticket: assigned, req: Request{Action: Edit, Actor: System(), Unassign: true},
			want:   open,
			events: []Event{{Kind: EventAssigned, Data: AssignedData{From: id(7)}}},
		},
	})
}

// TestEscalationRules: one level at a time, never past the region's last,
// only on an open ticket; by hand with a reason (SPEC §4).
func TestEscalationRules(t *testing.T) {
	t.Parallel()
	open := ticketIn(schematype.StatusInProgress)
	atOne := with(open, func(t *Ticket) { t.EscalationLevel = 1 })
	two := &Escalation{Region: "EU", Levels: 2}
	runRules(t, []rule{
		{
			name:   "escalateTicket goes one level up, by hand",
			ticket: open, req: Request{Action: Escalate, Actor: requester, Reason: "Nobody answers", Known: Known{Escalation: two}},
			want:   with(atOne, func(t *Ticket) { t.EscalatedAt = at(now) }),
			events: []Event{{Kind: EventEscalated, Data: EscalatedData{From: 0, To: 1, Reason: "Nobody answers", Manual: true}}},
		},
		{
			name:   "escalateTicket needs a reason",
			ticket: open, req: Request{Action: Escalate, Actor: agent, Known: Known{Escalation: two}},
			err: ErrBadInput, msg: "a reason is required to escalate",
		},
		{
			name:   "escalateTicket stops at the region's last level",
			ticket: with(open, func(t *Ticket) { t.EscalationLevel = 2 }), req: Request{Action: Escalate, Actor: agent, Reason: "more", Known: Known{Escalation: two}},
			err: ErrInvalidTransition, msg: "the ticket is at the last escalation level (2) of region EU",
		},
		{
			name:   "escalateTicket in a region without a table has no last level",
			ticket: with(open, func(t *Ticket) { t.EscalationLevel = 5 }), req: Request{Action: Escalate, Actor: agent, Reason: "more"},
			want:   with(open, func(t *Ticket) { t.EscalationLevel, t.EscalatedAt = 6, at(now) }),
			events: []Event{{Kind: EventEscalated, Data: EscalatedData{From: 5, To: 6, Reason: "more", Manual: true}}},
		},
		{
			name:   "a resolved ticket is not escalated",
			ticket: ticketIn(schematype.StatusResolved), req: Request{Action: Escalate, Actor: agent, Reason: "more", Known: Known{Escalation: two}},
			err: ErrInvalidTransition, msg: "a RESOLVED ticket is not escalated; reopen it first",
		},
		{
			name:   "a closed ticket is not escalated",
			ticket: ticketIn(schematype.StatusClosed), req: Request{Action: Escalate, Actor: agent, Reason: "more"},
			err: ErrInvalidTransition, msg: "a CLOSED ticket is not escalated; reopen it first",
		},
		{
			name:   "an edit never skips a level",
			ticket: open, req: Request{Action: Edit, Actor: System(), EscalationLevel: id(2), Known: Known{Escalation: two}},
			err: ErrInvalidTransition, msg: "escalation goes one level at a time (from 0, asked 2)",
		},
		{
			name:   "the product's escalation is not manual and needs no reason",
			ticket: atOne, req: Request{Action: Edit, Actor: System(), EscalationLevel: id(2), Known: Known{Escalation: two}},
			want:   with(open, func(t *Ticket) { t.EscalationLevel, t.EscalatedAt = 2, at(now) }),
			events: []Event{{Kind: EventEscalated, Data: EscalatedData{From: 1, To: 2}}},
		},
	})
}

// TestEveryChangeHappensAtItsInstant: a change stamps the ticket with the
// instant passed in, whatever the wall clock says.
func TestEveryChangeHappensAtItsInstant(t *testing.T) {
	t.Parallel()
	when := time.Date(2031, 1, 2, 3, 4, 5, 6, time.UTC)
	out, err := Decide(ticketIn(schematype.StatusInProgress), allDay, Request{Action: Resolve, Actor: agent, Reason: "ok"}, when)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Ticket.UpdatedAt.Equal(when) || !out.Ticket.ResolvedAt.Equal(when) || !out.Ticket.FirstRespondedAt.Equal(when) {
		t.Fatalf("instants %s", show(out.Ticket))
	}
}

// TestNeedsAsksForWhatTheRulesRead: the caller looks up the agent a
// request makes the assignee and the region's table of an escalation,
// and nothing else.
func TestNeedsAsksForWhatTheRulesRead(t *testing.T) {
	t.Parallel()
	newT := ticketIn(schematype.StatusNew)
	assigned := with(newT, func(t *Ticket) { t.AssigneeID = id(7) })
	tests := []struct {
		name      string
		ticket    Ticket
		req       Request
		agent     int
		escalates bool
	}{
		{"assignTicket needs its agent", newT, Request{Action: Assign, AssigneeID: id(8)}, 8, false},
		{"assignTicket to the assignee needs nothing", assigned, Request{Action: Assign, AssigneeID: id(7)}, 0, false},
		{"acceptTicket by an agent on an unassigned ticket needs the agent", newT, Request{Action: Accept, Actor: agent}, 7, false},
		{"acceptTicket on an assigned ticket needs nothing", assigned, Request{Action: Accept, Actor: agent}, 0, false},
		{"escalateTicket needs the table", newT, Request{Action: Escalate, Actor: agent}, 0, true},
		{"startWork needs nothing", newT, Request{Action: StartWork, Actor: agent}, 0, false},
	}
	for _, tt := range tests {
		if a, e := Needs(tt.ticket, tt.req); a != tt.agent || e != tt.escalates {
			t.Errorf("%s: Needs = %d, %v; want %d, %v", tt.name, a, e, tt.agent, tt.escalates)
		}
	}
}

// TestUnknownActionsAreRefused: a request the rules do not know is an
// error, not a silent no-op.
func TestUnknownActionsAreRefused(t *testing.T) {
	t.Parallel()
	if _, err := Decide(ticketIn(schematype.StatusNew), allDay, Request{Action: "frobnicate"}, now); err == nil {
		t.Fatal("an unknown action was accepted")
	}
}
