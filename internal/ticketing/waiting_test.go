package ticketing

import (
	"testing"
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
)

// runsOnThirdParty is allDay with pauseOnThirdParty false.
var runsOnThirdParty = func() sla.Policy {
	p := allDay
	p.RunsOnThirdParty = true
	return p
}()

// TestStatusesThatPauseTheResolutionClock: waiting on the customer always
// pauses it; waiting on a third party when the policy says so (the
// default); no other status does (SPEC §4).
func TestStatusesThatPauseTheResolutionClock(t *testing.T) {
	t.Parallel()
	for _, s := range []schematype.Status{schematype.StatusNew, schematype.StatusAccepted, schematype.StatusInProgress,
		schematype.StatusWaitingOnCustomer, schematype.StatusWaitingOnThirdParty, schematype.StatusResolved, schematype.StatusClosed} {
		wantDefault := s == schematype.StatusWaitingOnCustomer || s == schematype.StatusWaitingOnThirdParty
		if got := PausesResolution(s, allDay); got != wantDefault {
			t.Errorf("%s under the default policy: pauses %v, want %v", s, got, wantDefault)
		}
		wantRuns := s == schematype.StatusWaitingOnCustomer
		if got := PausesResolution(s, runsOnThirdParty); got != wantRuns {
			t.Errorf("%s with pauseOnThirdParty false: pauses %v, want %v", s, got, wantRuns)
		}
	}
	// A ticket pinned before pinning (the zero policy) runs under the
	// default, which pauses.
	if !PausesResolution(schematype.StatusWaitingOnThirdParty, sla.Policy{}) {
		t.Error("the zero policy does not pause on a third party")
	}
}

// TestWaitingOnAThirdPartyRules: waitOnThirdParty, the resolution clock
// while the ticket waits on a third party, and what ends the wait (SPEC
// §3, §4).
func TestWaitingOnAThirdPartyRules(t *testing.T) {
	t.Parallel()
	accepted := ticketIn(schematype.StatusAccepted)
	inProgress := ticketIn(schematype.StatusInProgress)
	waiting := ticketIn(schematype.StatusWaitingOnThirdParty) // paused since t0+1h
	running := with(waiting, func(t *Ticket) { t.SLAPaused, t.PausedAt = false, nil })
	const reason = "Carrier ticket C-77 opened"
	runRules(t, []rule{
		{
			name:   "waitOnThirdParty pauses the resolution clock and records the reason",
			ticket: inProgress, req: Request{Action: WaitOnThirdParty, Actor: agent, Reason: reason},
			want: with(inProgress, func(t *Ticket) {
				t.Status, t.SLAPaused, t.PausedAt, t.FirstRespondedAt = schematype.StatusWaitingOnThirdParty, true, at(now), at(now)
			}),
			events: []Event{statusChanged(schematype.StatusInProgress, schematype.StatusWaitingOnThirdParty, reason)},
		},
		{
			name:   "waitOnThirdParty starts from ACCEPTED too",
			ticket: with(accepted, func(t *Ticket) { t.FirstRespondedAt = at(t0) }), req: Request{Action: WaitOnThirdParty, Actor: agent, Reason: reason},
			want: with(accepted, func(t *Ticket) {
				t.Status, t.SLAPaused, t.PausedAt, t.FirstRespondedAt = schematype.StatusWaitingOnThirdParty, true, at(now), at(t0)
			}),
			events: []Event{statusChanged(schematype.StatusAccepted, schematype.StatusWaitingOnThirdParty, reason)},
		},
		{
			name:   "waitOnThirdParty under a policy that does not pause on a third party leaves the clock running",
			policy: runsOnThirdParty,
			ticket: inProgress, req: Request{Action: WaitOnThirdParty, Actor: agent, Reason: reason},
			want: with(inProgress, func(t *Ticket) {
				t.Status, t.FirstRespondedAt = schematype.StatusWaitingOnThirdParty, at(now)
			}),
			events: []Event{statusChanged(schematype.StatusInProgress, schematype.StatusWaitingOnThirdParty, reason)},
		},
		{
			name:   "waitOnThirdParty needs a non-empty reason",
			ticket: inProgress, req: Request{Action: WaitOnThirdParty, Actor: agent, Reason: " \t"},
			err: ErrBadInput, msg: "waitOnThirdParty needs a non-empty reason",
		},
		{
			name:   "waitOnThirdParty on a ticket waiting on the customer is an invalid transition",
			ticket: ticketIn(schematype.StatusWaitingOnCustomer), req: Request{Action: WaitOnThirdParty, Actor: agent, Reason: reason},
			err: ErrInvalidTransition, msg: "waitOnThirdParty needs a ticket in ACCEPTED or IN_PROGRESS; this one is WAITING_ON_CUSTOMER",
		},
		{
			name:   "startWork ends the wait and resumes the clock: its due time moves by the business time paused",
			ticket: waiting, req: Request{Action: StartWork, Actor: agent},
			want: with(waiting, func(t *Ticket) {
				t.Status, t.SLAPaused, t.PausedAt, t.PausedSeconds = schematype.StatusInProgress, false, nil, 3600
				t.ResolutionDueAt, t.FirstRespondedAt = at(t0.Add(49*time.Hour)), at(now)
				t.Pauses = []sla.Interval{{Start: t0.Add(time.Hour), End: at(now)}}
			}),
			events: []Event{statusChanged(schematype.StatusWaitingOnThirdParty, schematype.StatusInProgress, "")},
		},
		{
			name:   "startWork ends a wait whose clock ran: nothing moves, no pause is recorded",
			policy: runsOnThirdParty,
			ticket: running, req: Request{Action: StartWork, Actor: agent},
			want: with(running, func(t *Ticket) {
				t.Status, t.FirstRespondedAt = schematype.StatusInProgress, at(now)
			}),
			events: []Event{statusChanged(schematype.StatusWaitingOnThirdParty, schematype.StatusInProgress, "")},
		},
		{
			name:   "resolveTicket ends the wait and resumes the clock",
			ticket: waiting, req: Request{Action: Resolve, Actor: agent, Reason: "Carrier fixed it"},
			want: with(waiting, func(t *Ticket) {
				t.Status, t.ResolvedAt, t.SLAPaused, t.PausedAt, t.PausedSeconds = schematype.StatusResolved, at(now), false, nil, 3600
				t.ResolutionDueAt, t.FirstRespondedAt = at(t0.Add(49*time.Hour)), at(now)
				t.Pauses = []sla.Interval{{Start: t0.Add(time.Hour), End: at(now)}}
			}),
			events: []Event{statusChanged(schematype.StatusWaitingOnThirdParty, schematype.StatusResolved, "Carrier fixed it")},
		},
		{
			name:   "the paused time of a wait on a third party is business time: over a night, the opening hours only",
			policy: office,
			ticket: with(waiting, func(t *Ticket) { t.PausedAt = at(t0.Add(7 * time.Hour)) }), // Monday 17:00
			at:     t0.Add(24 * time.Hour),                                                    // Tuesday 10:00
			req:    Request{Action: StartWork, Actor: agent},
			want: with(waiting, func(t *Ticket) {
				t.Status, t.SLAPaused, t.PausedAt, t.PausedSeconds = schematype.StatusInProgress, false, nil, 7200
				t.ResolutionDueAt = at(time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)) // 48 h + 2 h of office time
				t.FirstRespondedAt = at(t0.Add(24 * time.Hour))
				t.Pauses = []sla.Interval{{Start: t0.Add(7 * time.Hour), End: at(t0.Add(24 * time.Hour))}}
			}),
			events: []Event{statusChanged(schematype.StatusWaitingOnThirdParty, schematype.StatusInProgress, "")},
		},
		{
			name: "every resumption appends its pause after the pauses that ended before",
			ticket: with(waiting, func(t *Ticket) {
				t.PausedSeconds = 600
				t.Pauses = []sla.Interval{{Start: t0.Add(10 * time.Minute), End: at(t0.Add(20 * time.Minute))}}
			}),
			req: Request{Action: StartWork, Actor: agent},
			want: with(waiting, func(t *Ticket) {
				t.Status, t.SLAPaused, t.PausedAt, t.PausedSeconds = schematype.StatusInProgress, false, nil, 600+3600
				t.ResolutionDueAt, t.FirstRespondedAt = at(t0.Add(49*time.Hour+10*time.Minute)), at(now)
				t.Pauses = []sla.Interval{{Start: t0.Add(10 * time.Minute), End: at(t0.Add(20 * time.Minute))}, {Start: t0.Add(time.Hour), End: at(now)}}
			}),
			events: []Event{statusChanged(schematype.StatusWaitingOnThirdParty, schematype.StatusInProgress, "")},
		},
		{
			name:   "a priority change while waiting on a third party keeps the clock paused",
			ticket: waiting, req: Request{Action: ChangePriority, Actor: agent, Priority: schematype.PriorityLow, Reason: "can wait"},
			want: with(waiting, func(t *Ticket) {
				t.Priority, t.FirstResponseDueAt, t.ResolutionDueAt = schematype.PriorityLow, at(t0.Add(9*time.Hour)), at(t0.Add(72*time.Hour))
			}),
			events: []Event{{Kind: EventPriorityChanged, Data: PriorityChangedData{From: schematype.PriorityMedium, To: schematype.PriorityLow, Reason: "can wait"}}},
		},
		{
			name:   "an edit to WAITING_ON_THIRD_PARTY pauses the clock as the move does, with no reason",
			ticket: inProgress, req: Request{Action: Edit, Actor: System(), Status: schematype.StatusWaitingOnThirdParty},
			want: with(inProgress, func(t *Ticket) {
				t.Status, t.SLAPaused, t.PausedAt = schematype.StatusWaitingOnThirdParty, true, at(now)
			}),
			events: []Event{statusChanged(schematype.StatusInProgress, schematype.StatusWaitingOnThirdParty, "")},
		},
		{
			name:   "reopening a resolved ticket: the span since its resolution is paused business time",
			policy: office,
			ticket: with(ticketIn(schematype.StatusResolved), func(t *Ticket) { t.ResolvedAt = at(t0.Add(7 * time.Hour)) }), // Monday 17:00
			at:     t0.Add(24 * time.Hour),                                                                                  // Tuesday 10:00
			req:    Request{Action: Reopen, Actor: requester, Reason: "Down again"},
			want: with(ticketIn(schematype.StatusResolved), func(t *Ticket) {
				t.Status, t.ResolvedAt, t.PausedSeconds = schematype.StatusInProgress, nil, 7200
				t.ResolutionDueAt = at(time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC))
				t.Pauses = []sla.Interval{{Start: t0.Add(7 * time.Hour), End: at(t0.Add(24 * time.Hour))}}
			}),
			events: []Event{statusChanged(schematype.StatusResolved, schematype.StatusInProgress, "Down again")},
		},
	})
}
