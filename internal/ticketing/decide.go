package ticketing

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
)

// Outcome is what a request does to a ticket: the ticket as it becomes,
// and the events that record the change, in order.
type Outcome struct {
	Ticket Ticket
	Events []Event
}

// Decide applies the rules to request r on ticket t, which runs under its
// pinned policy pol, at now. It checks the request as SPEC §3–§4 say and
// returns the ticket after it — status, the instants of its moves, the
// pause and resumption of the resolution clock, the due times a pause or
// a priority change moves, the first response, assignee and escalation
// level, all changed at now — with the events to record; or the error
// (wrapping ErrInvalidTransition or ErrBadInput) that refuses it.
//
// Every part of a request is checked against the ticket as it was, in the
// order status, priority, assignee, escalation. Who may ask is
// Authorize's, checked before (by the data model's privacy rules).
func Decide(t Ticket, pol sla.Policy, r Request, now time.Time) (Outcome, error) {
	if len(r.Reason) > MaxTextBytes {
		// A reason, question or resolution is recorded in the ticket's
		// events: as long as a comment at most.
		return Outcome{}, badInput("the reason or message is longer than %d KiB", MaxTextBytes>>10)
	}
	if IsAutomatic(r.Action) {
		return decideAutomatic(t, pol, r, now)
	}
	p, err := planOf(t, r)
	if err != nil {
		return Outcome{}, err
	}
	d := &decision{t: t, pol: pinned(pol), r: r, p: p, now: now}
	d.after = t
	d.after.UpdatedAt = now
	for _, step := range []func() error{d.status, d.priority, d.deadlines, d.assignment, d.escalation, d.respond} {
		if err := step(); err != nil {
			return Outcome{}, err
		}
	}
	return Outcome{Ticket: d.after, Events: d.events}, nil
}

// pinned is the policy a ticket runs under: the one it pinned, or, for a
// ticket older than pinning, the default policy in UTC.
func pinned(pol sla.Policy) sla.Policy {
	if pol.Timezone == "" {
		return sla.Default("UTC", false)
	}
	return pol
}

// plan is a request taken apart: what it changes.
type plan struct {
	// move is the lifecycle action asked for; nil for an Edit's status.
	move *Move
	// to is where the status goes; "" leaves it.
	to schematype.Status
	// priority is the new priority; "" leaves it.
	priority schematype.Priority
	// assign is the new assignee; unassign leaves none.
	assign   *int
	unassign bool
	// escalateTo is the new escalation level; manual marks it by hand.
	escalateTo *int
	manual     bool
	// auto: the product escalates on its own (a breach, the ladder):
	// past the region's last level, or without a table, nothing happens.
	auto    bool
	respond bool
}

func planOf(t Ticket, r Request) (plan, error) {
	var p plan
	if m, ok := MoveOf(r.Action); ok {
		p.move, p.to = &m, m.To
		if m.Action == Accept && r.Actor.IsAgent() && t.AssigneeID == nil {
			// The agent who accepts an unassigned ticket takes it; an
			// assigned ticket keeps its assignee.
			id := r.Actor.ID
			p.assign = &id
		}
		return p, nil
	}
	switch r.Action {
	case ChangePriority:
		p.priority = r.Priority
	case Assign:
		if r.AssigneeID == nil {
			return p, badInput("%s needs an agent", Assign)
		}
		p.assign = r.AssigneeID
	case Escalate:
		to := t.EscalationLevel + 1
		p.escalateTo, p.manual = &to, true
	case Respond:
		p.respond = true
	case Edit:
		if r.Status != "" && r.Status != t.Status {
			p.to = r.Status
		}
		p.priority, p.assign, p.escalateTo = r.Priority, r.AssigneeID, r.EscalationLevel
		p.unassign = r.Unassign && r.AssigneeID == nil
	default:
		return p, fmt.Errorf("ticketing: unknown action %q", r.Action)
	}
	return p, nil
}

// decision is one Decide in progress.
type decision struct {
	t     Ticket
	pol   sla.Policy
	r     Request
	p     plan
	now   time.Time
	after Ticket
	// recompute: a resumption or a priority change moves the due times.
	recompute bool
	// autoReason is the reason of an automatic escalation.
	autoReason string
	events     []Event
}

func (d *decision) record(kind EventKind, data any) {
	d.events = append(d.events, Event{Kind: kind, Data: data})
}

func (d *decision) at() *time.Time {
	now := d.now
	return &now
}

// status moves the ticket through the lifecycle.
func (d *decision) status() error {
	t, to := d.t, d.p.to
	if to == "" {
		return nil
	}
	if m := d.p.move; m != nil {
		if !m.Allows(t.Status) {
			return invalidTransition("%s needs a ticket in %s; this one is %s", m.Action, statusList(m.From), t.Status)
		}
		if m.NeedsReason && blank(d.r.Reason) && d.r.Actor.Kind != ActorSystem {
			return badInput("%s needs a non-empty %s", m.Action, m.Argument)
		}
	} else if !CanTransition(t.Status, to) {
		return invalidTransition("a %s ticket cannot become %s", t.Status, to)
	}
	if t.Status == schematype.StatusClosed && t.ClosedAt != nil {
		until := t.ClosedAt.Add(time.Duration(d.pol.ReopenWindowSeconds) * time.Second)
		if d.now.After(until) {
			return invalidTransition("the reopen window of this ticket ended at %s; open a new ticket", until.UTC().Format(time.RFC3339))
		}
	}
	a := &d.after
	a.Status = to
	if err := d.resolutionClock(to); err != nil {
		return err
	}
	switch to {
	case schematype.StatusResolved:
		a.ResolvedAt = d.at()
	case schematype.StatusClosed:
		a.ClosedAt = d.at()
	}
	if to == schematype.StatusInProgress && !IsOpen(t.Status) {
		a.ResolvedAt, a.ClosedAt = nil, nil
	}
	if to == schematype.StatusInProgress && !IsOpen(t.Status) && t.EscalationLevel > 0 {
		// A reopened ticket's escalation ladder waits its current level's
		// time again before the next.
		a.EscalatedAt = d.at()
	}
	if t.Status == schematype.StatusWaitingOnCustomer {
		// The next wait on the customer gets its own reminder.
		a.RemindedAt = nil
	}
	if t.FirstRespondedAt == nil && d.r.Actor.IsAgent() {
		a.FirstRespondedAt = d.at()
	}
	d.record(EventStatusChanged, StatusChangedData{From: t.Status, To: to, Reason: d.r.Reason})
	if to == schematype.StatusWaitingOnCustomer {
		d.record(EventInformationRequested, InformationRequestedData{Message: d.r.Reason})
	}
	return nil
}

// resolutionClock pauses and resumes the resolution clock as the ticket
// moves to status to. Entering a status that pauses it
// (PausesResolution) pauses it now. Leaving one resumes it, whatever the
// move; so does a reopen, which ends the span the clock stood stopped
// since the resolution: the clock runs again from where it stood. A
// resumption adds the business time of the span that ends to the paused
// time (which moves the due time, see deadlines) and records the span in
// Pauses.
func (d *decision) resolutionClock(to schematype.Status) error {
	t, a := d.t, &d.after
	if PausesResolution(to, d.pol) {
		a.SLAPaused, a.PausedAt = true, clocksOf(t).Pause(d.now).PausedAt
		return nil
	}
	a.SLAPaused, a.PausedAt = false, nil
	since := t.PausedAt
	if since == nil && !IsOpen(t.Status) && IsOpen(to) {
		since = t.ResolvedAt
	}
	if since == nil {
		return nil
	}
	c := clocksOf(t)
	c.PausedAt = since
	c, err := d.pol.Resume(c, d.now)
	if err != nil {
		return err
	}
	a.PausedSeconds, d.recompute = c.PausedSeconds, true
	a.Pauses = append(slices.Clone(t.Pauses), sla.Interval{Start: *since, End: d.at()})
	return nil
}

// priority changes the priority: not on a closed ticket, and with a reason.
func (d *decision) priority() error {
	t, pr := d.t, d.p.priority
	if pr == "" || pr == t.Priority {
		return nil
	}
	if t.Status == schematype.StatusClosed {
		return invalidTransition("the priority of a closed ticket does not change")
	}
	if blank(d.r.Reason) {
		return badInput("a reason is required to change the priority")
	}
	d.after.Priority, d.recompute = pr, true
	d.record(EventPriorityChanged, PriorityChangedData{From: t.Priority, To: pr, Reason: d.r.Reason})
	return nil
}

// deadlines recomputes the due times from creation after a resumption
// (the resolution clock's) or a priority change (both), paused time
// excluded.
func (d *decision) deadlines() error {
	if !d.recompute {
		return nil
	}
	a := &d.after
	dl, err := d.pol.Deadlines(sla.Clocks{Priority: a.Priority, Started: d.t.CreatedAt, PausedSeconds: a.PausedSeconds, PausedAt: a.PausedAt})
	if err != nil {
		return err
	}
	if a.Priority != d.t.Priority {
		a.FirstResponseDueAt = &dl.FirstResponse.DueAt
	}
	a.ResolutionDueAt = &dl.Resolution.DueAt
	return nil
}

// assignment gives the ticket to an active agent, or to nobody.
func (d *decision) assignment() error {
	t := d.t
	from := copyInt(t.AssigneeID)
	if d.p.unassign {
		if t.AssigneeID != nil {
			d.after.AssigneeID = nil
			d.record(EventAssigned, AssignedData{From: from})
		}
		return nil
	}
	to := d.p.assign
	if to == nil || t.AssigneeID != nil && *t.AssigneeID == *to {
		return nil
	}
	ag := d.r.Known.Agent
	if ag == nil || ag.ID != *to || !ag.Active {
		return badInput("agent %d is not an active agent", *to)
	}
	d.after.AssigneeID = copyInt(to)
	d.record(EventAssigned, AssignedData{Agent: ag.Name, From: from, To: copyInt(to)})
	return nil
}

// escalation goes one level up, never past the region's last level, on a
// ticket still open; by hand only with a reason.
func (d *decision) escalation() error {
	t := d.t
	if d.p.escalateTo == nil || *d.p.escalateTo == t.EscalationLevel {
		return nil
	}
	to := *d.p.escalateTo
	e := d.r.Known.Escalation
	if d.p.auto && (!IsOpen(t.Status) || e == nil || to > e.Levels) {
		return nil
	}
	if !IsOpen(t.Status) {
		return invalidTransition("a %s ticket is not escalated; reopen it first", t.Status)
	}
	if to != t.EscalationLevel+1 {
		return invalidTransition("escalation goes one level at a time (from %d, asked %d)", t.EscalationLevel, to)
	}
	if d.p.manual && blank(d.r.Reason) {
		return badInput("a reason is required to escalate")
	}
	if e != nil && to > e.Levels {
		return invalidTransition("the ticket is at the last escalation level (%d) of region %s", e.Levels, e.Region)
	}
	reason := d.r.Reason
	if d.p.auto {
		reason = d.autoReason
	}
	// The level engaged now waits its waitSeconds before the next.
	d.after.EscalationLevel, d.after.EscalatedAt = to, d.at()
	d.record(EventEscalated, EscalatedData{From: t.EscalationLevel, To: to, Reason: reason, Manual: d.p.manual})
	return nil
}

// respond records an agent's first public reply as the first response.
func (d *decision) respond() error {
	if d.p.respond && d.t.FirstRespondedAt == nil && d.r.Actor.IsAgent() {
		d.after.FirstRespondedAt = d.at()
	}
	return nil
}

// clocksOf is where t's SLA clocks stand.
func clocksOf(t Ticket) sla.Clocks {
	return sla.Clocks{Priority: t.Priority, Started: t.CreatedAt, PausedSeconds: t.PausedSeconds, PausedAt: t.PausedAt}
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func copyInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
