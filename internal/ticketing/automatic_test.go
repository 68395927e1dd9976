package ticketing

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
	"helpdesk/internal/viewer"
)

// The product's own actions (SPEC §3–§4): which are pending on a ticket
// and when (Timers), and what each does when its timer fires (Decide) —
// only while that timer is still pending, else nothing (ErrNotDue).
//
// The tickets are those of decide_test.go: MEDIUM, created at t0 (a
// Monday 10:00 UTC), on allDay (4 h first response, 48 h resolution,
// warnings at 75 %, a reminder after 2 days, auto-resolve and auto-close
// after 7 days).

const week = 7 * 24 * time.Hour

func warnTimer(c sla.Clock, at time.Time) Timer   { return Timer{Action: Warn, Clock: c, At: at} }
func breachTimer(c sla.Clock, at time.Time) Timer { return Timer{Action: Breach, Clock: c, At: at} }
func ladder(level int, at time.Time) Timer        { return Timer{Action: EscalateNext, Level: level, At: at} }

// responded is a ticket in status s whose first response came at t0+1m.
func responded(s schematype.Status) Ticket {
	return with(ticketIn(s), func(t *Ticket) { t.FirstRespondedAt = at(t0.Add(time.Minute)) })
}

// TestTimersListWhatIsPending: Timers lists the automatic actions pending
// on a ticket under its policy, each at the instant it falls due, earliest
// first.
func TestTimersListWhatIsPending(t *testing.T) {
	t.Parallel()
	fr, res := sla.FirstResponse, sla.Resolution
	newT := ticketIn(schematype.StatusNew)
	inProgress := responded(schematype.StatusInProgress)
	waiting := responded(schematype.StatusWaitingOnCustomer) // since t0+1h
	bothBreached := with(inProgress, func(t *Ticket) { t.ResolutionBreached = true })
	atLevel := func(n int) Ticket {
		return with(bothBreached, func(t *Ticket) { t.EscalationLevel, t.EscalatedAt = n, at(t0.Add(30*time.Minute)) })
	}
	// friday is a MEDIUM ticket of Friday 17:00 on office hours
	// (Mon–Fri 09:00–18:00 UTC), with the due times it opened with.
	friday := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)
	fridayT := with(newT, func(t *Ticket) {
		t.CreatedAt, t.UpdatedAt = friday, friday
		t.FirstResponseDueAt = at(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)) // 1 h Friday, 3 h Monday
		t.ResolutionDueAt = at(time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC))     // 1 h, five days of 9 h, 2 h
	})
	// early warns at 25 %: CRITICAL's resolution warning (25 % of 4 h)
	// falls at its first response's due time (1 h).
	early := allDay
	early.WarningPercent = 25
	critical := with(newT, func(t *Ticket) {
		t.Priority, t.FirstResponseDueAt, t.ResolutionDueAt = schematype.PriorityCritical, at(t0.Add(time.Hour)), at(t0.Add(4*time.Hour))
	})
	tests := []struct {
		name   string
		ticket Ticket
		policy sla.Policy // allDay when zero
		waits  []int
		want   []Timer
	}{
		{
			name: "a new ticket: the warning and the breach of both clocks, earliest first", ticket: newT,
			want: []Timer{warnTimer(fr, t0.Add(3*time.Hour)), breachTimer(fr, t0.Add(4*time.Hour)),
				warnTimer(res, t0.Add(36*time.Hour)), breachTimer(res, t0.Add(48*time.Hour))},
		},
		{
			name: "a clock warned is not warned again; its breach stays",
			ticket: with(newT, func(t *Ticket) {
				t.FirstResponseWarnedAt, t.ResolutionWarnedAt = at(t0.Add(3*time.Hour)), at(t0.Add(36*time.Hour))
			}),
			want: []Timer{breachTimer(fr, t0.Add(4*time.Hour)), breachTimer(res, t0.Add(48*time.Hour))},
		},
		{
			name: "a clock breached has nothing pending: neither warning nor breach",
			ticket: with(newT, func(t *Ticket) {
				t.FirstResponseBreached, t.FirstResponseBreachedAt = true, at(t0.Add(4*time.Hour))
			}),
			want: []Timer{warnTimer(res, t0.Add(36*time.Hour)), breachTimer(res, t0.Add(48*time.Hour))},
		},
		{
			name: "the first-response clock stops at the first response", ticket: inProgress,
			want: []Timer{warnTimer(res, t0.Add(36*time.Hour)), breachTimer(res, t0.Add(48*time.Hour))},
		},
		{
			name: "the resolution clock's warning and due time move by the paused time that ended",
			ticket: with(inProgress, func(t *Ticket) {
				t.PausedSeconds, t.ResolutionDueAt = 3600, at(t0.Add(49*time.Hour))
			}),
			want: []Timer{warnTimer(res, t0.Add(37*time.Hour)), breachTimer(res, t0.Add(49*time.Hour))},
		},
		{
			name: "waiting on the customer: no resolution clock; a reminder and the auto-resolve, counted from the wait's start", ticket: waiting,
			want: []Timer{{Action: Remind, At: t0.Add(time.Hour + 48*time.Hour)}, {Action: AutoResolve, At: t0.Add(time.Hour + week)}},
		},
		{
			name:   "waiting on the customer, unanswered: the first-response clock runs on",
			ticket: ticketIn(schematype.StatusWaitingOnCustomer),
			want: []Timer{warnTimer(fr, t0.Add(3*time.Hour)), breachTimer(fr, t0.Add(4*time.Hour)),
				{Action: Remind, At: t0.Add(49 * time.Hour)}, {Action: AutoResolve, At: t0.Add(time.Hour + week)}},
		},
		{
			name:   "the reminder is sent once a wait; the auto-resolve stays",
			ticket: with(waiting, func(t *Ticket) { t.RemindedAt = at(t0.Add(49 * time.Hour)) }),
			want:   []Timer{{Action: AutoResolve, At: t0.Add(time.Hour + week)}},
		},
		{
			name: "a resolved ticket has only its auto-close, whatever its clocks and level",
			ticket: with(ticketIn(schematype.StatusResolved), func(t *Ticket) {
				t.EscalationLevel, t.EscalatedAt = 1, at(t0.Add(30*time.Minute))
			}),
			waits: []int{600, 600},
			want:  []Timer{{Action: AutoClose, At: t0.Add(time.Hour + week)}},
		},
		{
			name: "a closed ticket has nothing pending", ticket: ticketIn(schematype.StatusClosed), waits: []int{600, 600},
		},
		{
			name: "the ladder: at level 1 of 2, level 2 follows level 1's wait after it was engaged", ticket: atLevel(1),
			waits: []int{600, 900},
			want:  []Timer{ladder(1, t0.Add(40*time.Minute))},
		},
		{
			name: "the ladder: at level 2 of 3, level 3 follows level 2's wait", ticket: atLevel(2),
			waits: []int{600, 900, 60},
			want:  []Timer{ladder(2, t0.Add(45*time.Minute))},
		},
		{
			name: "the ladder ends at the last level", ticket: atLevel(2), waits: []int{600, 900},
		},
		{
			name: "no ladder without an escalation table", ticket: atLevel(1),
		},
		{
			name: "no ladder at level 0", ticket: bothBreached, waits: []int{600, 900},
		},
		{
			name: "no ladder at a level without the instant it was engaged", waits: []int{600, 900},
			ticket: with(bothBreached, func(t *Ticket) { t.EscalationLevel = 1 }),
		},
		{
			name:   "business time: on office hours, a Friday 17:00 ticket's warning at 75 % of its 4 h target falls on Monday",
			ticket: fridayT, policy: office,
			want: []Timer{
				warnTimer(fr, time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)), // 1 h Friday, 2 h Monday
				breachTimer(fr, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)),
				warnTimer(res, time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)), // 36 h: 1 h, three days of 9 h, 8 h
				breachTimer(res, time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)),
			},
		},
		{
			name: "a warning comes before a breach due at the same instant", ticket: critical, policy: early,
			want: []Timer{warnTimer(fr, t0.Add(15*time.Minute)), warnTimer(res, t0.Add(time.Hour)),
				breachTimer(fr, t0.Add(time.Hour)), breachTimer(res, t0.Add(4*time.Hour))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pol := tt.policy
			if pol.Name == "" {
				pol = allDay
			}
			got, err := Timers(tt.ticket, pol, tt.waits)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("timers:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestAutomaticActionsRecordWhatTheyDid: each automatic action, asked by
// the product for a timer still pending, changes the ticket and records
// its events as SPEC §3–§4 say.
func TestAutomaticActionsRecordWhatTheyDid(t *testing.T) {
	t.Parallel()
	fr, res := sla.FirstResponse, sla.Resolution
	sys := System()
	newT := ticketIn(schematype.StatusNew)
	inProgress := responded(schematype.StatusInProgress)
	waiting := with(responded(schematype.StatusWaitingOnCustomer), func(t *Ticket) { t.RemindedAt = at(t0.Add(49 * time.Hour)) })
	two := &Escalation{Region: "EU", Levels: 2, Waits: []int{600, 900}}
	frDue := t0.Add(4 * time.Hour)
	late := frDue.Add(300 * time.Millisecond) // a breach is recorded just after its due time
	atOne := with(inProgress, func(t *Ticket) {
		t.ResolutionBreached, t.EscalationLevel, t.EscalatedAt = true, 1, at(t0.Add(30*time.Minute))
	})
	runRules(t, []rule{
		{
			name:   "SLA_WARNING of the first-response clock records the clock and its due time; the clock is warned",
			ticket: newT, at: t0.Add(3 * time.Hour),
			req:    Request{Action: Warn, Actor: sys, Timer: &Timer{Action: Warn, Clock: fr, At: t0.Add(3 * time.Hour)}},
			want:   with(newT, func(t *Ticket) { t.FirstResponseWarnedAt = at(t0.Add(3 * time.Hour)) }),
			events: []Event{{Kind: EventSLAWarning, Data: ClockData{Clock: fr, DueAt: frDue}}},
		},
		{
			name:   "SLA_WARNING of the resolution clock records its due time",
			ticket: inProgress, at: t0.Add(36 * time.Hour),
			req:    Request{Action: Warn, Actor: sys, Timer: &Timer{Action: Warn, Clock: res, At: t0.Add(36 * time.Hour)}},
			want:   with(inProgress, func(t *Ticket) { t.ResolutionWarnedAt = at(t0.Add(36 * time.Hour)) }),
			events: []Event{{Kind: EventSLAWarning, Data: ClockData{Clock: res, DueAt: t0.Add(48 * time.Hour)}}},
		},
		{
			name:   "SLA_WARNING of a ticket opened before due times were stored carries the due time of its policy",
			ticket: with(newT, func(t *Ticket) { t.FirstResponseDueAt, t.ResolutionDueAt = nil, nil }), at: t0.Add(3 * time.Hour),
			req: Request{Action: Warn, Actor: sys, Timer: &Timer{Action: Warn, Clock: fr, At: t0.Add(3 * time.Hour)}},
			want: with(newT, func(t *Ticket) {
				t.FirstResponseDueAt, t.ResolutionDueAt, t.FirstResponseWarnedAt = nil, nil, at(t0.Add(3*time.Hour))
			}),
			events: []Event{{Kind: EventSLAWarning, Data: ClockData{Clock: fr, DueAt: frDue}}},
		},
		{
			name:   "SLA_BREACHED marks the clock breached at its instant and escalates one level, not by hand",
			ticket: newT, at: late,
			req: Request{Action: Breach, Actor: sys, Timer: &Timer{Action: Breach, Clock: fr, At: frDue}, Known: Known{Escalation: two}},
			want: with(newT, func(t *Ticket) {
				t.FirstResponseBreached, t.FirstResponseBreachedAt = true, at(late)
				t.EscalationLevel, t.EscalatedAt = 1, at(late)
			}),
			events: []Event{{Kind: EventSLABreached, Data: ClockData{Clock: fr, DueAt: frDue}},
				{Kind: EventEscalated, Data: EscalatedData{From: 0, To: 1, Manual: false,
					Reason: "the FIRST_RESPONSE clock breached its due time 2026-11-23T14:00:00Z"}}},
		},
		{
			name:   "SLA_BREACHED of the resolution clock escalates from the level the ticket is at",
			ticket: with(inProgress, func(t *Ticket) { t.EscalationLevel = 1 }), at: t0.Add(48 * time.Hour),
			req: Request{Action: Breach, Actor: sys, Timer: &Timer{Action: Breach, Clock: res, At: t0.Add(48 * time.Hour)}, Known: Known{Escalation: two}},
			want: with(inProgress, func(t *Ticket) {
				t.ResolutionBreached, t.ResolutionBreachedAt = true, at(t0.Add(48*time.Hour))
				t.EscalationLevel, t.EscalatedAt = 2, at(t0.Add(48*time.Hour))
			}),
			events: []Event{{Kind: EventSLABreached, Data: ClockData{Clock: res, DueAt: t0.Add(48 * time.Hour)}},
				{Kind: EventEscalated, Data: EscalatedData{From: 1, To: 2, Manual: false,
					Reason: "the RESOLUTION clock breached its due time 2026-11-25T10:00:00Z"}}},
		},
		{
			name:   "a breach at the last level escalates nothing",
			ticket: with(newT, func(t *Ticket) { t.EscalationLevel, t.EscalatedAt = 2, at(t0) }), at: late,
			req: Request{Action: Breach, Actor: sys, Timer: &Timer{Action: Breach, Clock: fr, At: frDue}, Known: Known{Escalation: two}},
			want: with(newT, func(t *Ticket) {
				t.EscalationLevel, t.EscalatedAt = 2, at(t0)
				t.FirstResponseBreached, t.FirstResponseBreachedAt = true, at(late)
			}),
			events: []Event{{Kind: EventSLABreached, Data: ClockData{Clock: fr, DueAt: frDue}}},
		},
		{
			name:   "a breach in a region without an escalation table escalates nothing",
			ticket: newT, at: late,
			req:    Request{Action: Breach, Actor: sys, Timer: &Timer{Action: Breach, Clock: fr, At: frDue}},
			want:   with(newT, func(t *Ticket) { t.FirstResponseBreached, t.FirstResponseBreachedAt = true, at(late) }),
			events: []Event{{Kind: EventSLABreached, Data: ClockData{Clock: fr, DueAt: frDue}}},
		},
		{
			name:   "REMINDER_SENT records since when the ticket waits on the customer",
			ticket: with(waiting, func(t *Ticket) { t.RemindedAt = nil }), at: t0.Add(49 * time.Hour),
			req:    Request{Action: Remind, Actor: sys, Timer: &Timer{Action: Remind, At: t0.Add(49 * time.Hour)}},
			want:   with(waiting, func(t *Ticket) { t.RemindedAt = at(t0.Add(49 * time.Hour)) }),
			events: []Event{{Kind: EventReminderSent, Data: ReminderData{WaitingSince: t0.Add(time.Hour)}}},
		},
		{
			name:   "auto-resolve: the product resolves a ticket the customer left unanswered, with a reason; the clock resumes",
			ticket: waiting, at: t0.Add(time.Hour + week),
			req: Request{Action: AutoResolve, Actor: sys, Timer: &Timer{Action: AutoResolve, At: t0.Add(time.Hour + week)}},
			want: with(waiting, func(t *Ticket) {
				t.Status, t.ResolvedAt, t.RemindedAt = schematype.StatusResolved, at(t0.Add(time.Hour+week)), nil
				t.SLAPaused, t.PausedAt, t.PausedSeconds = false, nil, int(week/time.Second)
				t.ResolutionDueAt = at(t0.Add(48*time.Hour + week))
				t.Pauses = []sla.Interval{{Start: t0.Add(time.Hour), End: at(t0.Add(time.Hour + week))}}
			}),
			events: []Event{statusChanged(schematype.StatusWaitingOnCustomer, schematype.StatusResolved,
				"resolved automatically: no reply from the customer within 7 days")},
		},
		{
			name:   "auto-close: the product closes a ticket left resolved, with a reason",
			ticket: ticketIn(schematype.StatusResolved), at: t0.Add(time.Hour + week),
			req: Request{Action: AutoClose, Actor: sys, Timer: &Timer{Action: AutoClose, At: t0.Add(time.Hour + week)}},
			want: with(ticketIn(schematype.StatusResolved), func(t *Ticket) {
				t.Status, t.ClosedAt = schematype.StatusClosed, at(t0.Add(time.Hour+week))
			}),
			events: []Event{statusChanged(schematype.StatusResolved, schematype.StatusClosed,
				"closed automatically: resolved 7 days ago and not reopened")},
		},
		{
			name:   "the ladder engages the next level after the current level's wait, now",
			ticket: atOne, at: t0.Add(40*time.Minute + time.Millisecond),
			req: Request{Action: EscalateNext, Actor: sys, Timer: &Timer{Action: EscalateNext, Level: 1, At: t0.Add(40 * time.Minute)}, Known: Known{Escalation: two}},
			want: with(atOne, func(t *Ticket) {
				t.EscalationLevel, t.EscalatedAt = 2, at(t0.Add(40*time.Minute+time.Millisecond))
			}),
			events: []Event{{Kind: EventEscalated, Data: EscalatedData{From: 1, To: 2, Manual: false,
				Reason: "level 1 waited 10 minutes with the ticket unresolved"}}},
		},
	})
}

// TestStaleTimersRecordNothing: a timer armed for a state the ticket has
// left — its clock stopped, its due time moved, its action done, its
// level left — is no longer due: Decide returns ErrNotDue and records
// nothing.
func TestStaleTimersRecordNothing(t *testing.T) {
	t.Parallel()
	fr, res := sla.FirstResponse, sla.Resolution
	sys := System()
	two := &Escalation{Region: "EU", Levels: 2, Waits: []int{600, 900}}
	newT := ticketIn(schematype.StatusNew)
	inProgress := responded(schematype.StatusInProgress)
	atLevel := func(n int, since time.Time) Ticket {
		return with(inProgress, func(t *Ticket) {
			t.ResolutionBreached, t.EscalationLevel, t.EscalatedAt = true, n, at(since)
		})
	}
	stale := func(name string, tk Ticket, tm Timer, when time.Time) rule {
		return rule{name: name, ticket: tk, at: when, err: ErrNotDue,
			req: Request{Action: tm.Action, Actor: sys, Timer: &tm, Known: Known{Escalation: two}}}
	}
	runRules(t, []rule{
		stale("a first-response warning after the first response", inProgress, warnTimer(fr, t0.Add(3*time.Hour)), t0.Add(3*time.Hour)),
		stale("a first-response breach after the first response", inProgress, breachTimer(fr, t0.Add(4*time.Hour)), t0.Add(4*time.Hour)),
		stale("a first-response breach on a ticket accepted a millisecond before its due time",
			with(newT, func(t *Ticket) {
				t.Status, t.FirstRespondedAt = schematype.StatusAccepted, at(t0.Add(4*time.Hour-time.Millisecond))
			}), breachTimer(fr, t0.Add(4*time.Hour)), t0.Add(4*time.Hour)),
		stale("a resolution breach on a resolved ticket", ticketIn(schematype.StatusResolved), breachTimer(res, t0.Add(48*time.Hour)), t0.Add(48*time.Hour)),
		stale("a resolution breach on a closed ticket", ticketIn(schematype.StatusClosed), breachTimer(res, t0.Add(48*time.Hour)), t0.Add(48*time.Hour)),
		stale("a resolution warning while the clock is paused", responded(schematype.StatusWaitingOnCustomer),
			warnTimer(res, t0.Add(36*time.Hour)), t0.Add(36*time.Hour)),
		stale("a resolution breach while the clock is paused", responded(schematype.StatusWaitingOnCustomer),
			breachTimer(res, t0.Add(48*time.Hour)), t0.Add(48*time.Hour)),
		stale("a resolution breach armed before a pause moved the due time",
			with(inProgress, func(t *Ticket) { t.PausedSeconds, t.ResolutionDueAt = 3600, at(t0.Add(49*time.Hour)) }),
			breachTimer(res, t0.Add(48*time.Hour)), t0.Add(48*time.Hour)),
		stale("a breach armed for the due time a priority change moved",
			with(newT, func(t *Ticket) {
				t.Priority, t.FirstResponseDueAt, t.ResolutionDueAt = schematype.PriorityLow, at(t0.Add(9*time.Hour)), at(t0.Add(72*time.Hour))
			}), breachTimer(fr, t0.Add(4*time.Hour)), t0.Add(4*time.Hour)),
		stale("a warning armed for the instant a priority change moved",
			with(newT, func(t *Ticket) {
				t.Priority, t.FirstResponseDueAt, t.ResolutionDueAt = schematype.PriorityCritical, at(t0.Add(time.Hour)), at(t0.Add(4*time.Hour))
			}), warnTimer(fr, t0.Add(3*time.Hour)), t0.Add(3*time.Hour)),
		stale("a reminder once the customer replied", inProgress, Timer{Action: Remind, At: t0.Add(49 * time.Hour)}, t0.Add(49*time.Hour)),
		stale("a reminder armed for an earlier wait",
			with(responded(schematype.StatusWaitingOnCustomer), func(t *Ticket) { t.PausedAt = at(t0.Add(5 * time.Hour)) }),
			Timer{Action: Remind, At: t0.Add(49 * time.Hour)}, t0.Add(49*time.Hour)),
		stale("an auto-resolve once the customer replied", inProgress, Timer{Action: AutoResolve, At: t0.Add(time.Hour + week)}, t0.Add(time.Hour+week)),
		stale("an auto-close of a reopened ticket", inProgress, Timer{Action: AutoClose, At: t0.Add(time.Hour + week)}, t0.Add(time.Hour+week)),
		stale("an auto-close armed for an earlier resolution",
			with(ticketIn(schematype.StatusResolved), func(t *Ticket) { t.ResolvedAt = at(t0.Add(3 * time.Hour)) }),
			Timer{Action: AutoClose, At: t0.Add(time.Hour + week)}, t0.Add(time.Hour+week)),
		stale("the ladder's timer of a level the ticket has left", atLevel(2, t0.Add(35*time.Minute)), ladder(1, t0.Add(40*time.Minute)), t0.Add(40*time.Minute)),
		stale("the ladder's timer armed before a reopen restarted the wait", atLevel(1, t0.Add(2*time.Hour)), ladder(1, t0.Add(40*time.Minute)), t0.Add(40*time.Minute)),
		stale("the ladder's timer on a resolved ticket",
			with(ticketIn(schematype.StatusResolved), func(t *Ticket) { t.EscalationLevel, t.EscalatedAt = 1, at(t0.Add(30*time.Minute)) }),
			ladder(1, t0.Add(40*time.Minute)), t0.Add(40*time.Minute)),
		stale("a timer of another action at the same instant", newT, Timer{Action: Breach, Clock: fr, At: t0.Add(3 * time.Hour)}, t0.Add(3*time.Hour)),
	})
}

// TestAnAutomaticActionIsDoneOnce: the same timer asked again of the
// ticket its first action left (a retried activity whose first attempt
// committed) is no longer due: nothing is recorded twice.
func TestAnAutomaticActionIsDoneOnce(t *testing.T) {
	t.Parallel()
	two := &Escalation{Region: "EU", Levels: 2, Waits: []int{600, 900}}
	inProgress := responded(schematype.StatusInProgress)
	tests := []struct {
		name   string
		ticket Ticket
		timer  Timer
	}{
		{"a warning", ticketIn(schematype.StatusNew), warnTimer(sla.FirstResponse, t0.Add(3*time.Hour))},
		{"a breach", ticketIn(schematype.StatusNew), breachTimer(sla.FirstResponse, t0.Add(4*time.Hour))},
		{"a breach at the last level", with(inProgress, func(t *Ticket) { t.EscalationLevel = 2 }), breachTimer(sla.Resolution, t0.Add(48*time.Hour))},
		{"a reminder", responded(schematype.StatusWaitingOnCustomer), Timer{Action: Remind, At: t0.Add(49 * time.Hour)}},
		{"an auto-resolve", responded(schematype.StatusWaitingOnCustomer), Timer{Action: AutoResolve, At: t0.Add(time.Hour + week)}},
		{"an auto-close", ticketIn(schematype.StatusResolved), Timer{Action: AutoClose, At: t0.Add(time.Hour + week)}},
		{"a step of the ladder", with(inProgress, func(t *Ticket) {
			t.ResolutionBreached, t.EscalationLevel, t.EscalatedAt = true, 1, at(t0.Add(30*time.Minute))
		}), ladder(1, t0.Add(40*time.Minute))},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is done once", func(t *testing.T) {
			t.Parallel()
			tm := tt.timer
			r := Request{Action: tm.Action, Actor: System(), Timer: &tm, Known: Known{Escalation: two}}
			first, err := Decide(tt.ticket, allDay, r, tm.At)
			if err != nil || len(first.Events) == 0 {
				t.Fatalf("first attempt: %v, events %s", err, show(first.Events))
			}
			again, err := Decide(first.Ticket, allDay, r, tm.At.Add(time.Second))
			if !errors.Is(err, ErrNotDue) {
				t.Fatalf("second attempt: err %v, events %s; want ErrNotDue", err, show(again.Events))
			}
		})
	}
}

// TestOnlyTheProductAsksForAnAutomaticAction: a person asking for one of
// the product's own actions is forbidden, by Authorize and by Decide.
func TestOnlyTheProductAsksForAnAutomaticAction(t *testing.T) {
	t.Parallel()
	tk := ticketIn(schematype.StatusNew)
	tm := breachTimer(sla.FirstResponse, t0.Add(4*time.Hour))
	for _, a := range []Action{Warn, Breach, Remind, AutoResolve, AutoClose, EscalateNext} {
		for _, who := range []Actor{agent, master, requester} {
			r := Request{Action: a, Actor: who, Timer: &tm}
			if err := Authorize(tk, r); !errors.Is(err, viewer.ErrForbidden) {
				t.Errorf("Authorize %s by %+v: %v, want forbidden", a, who, err)
			}
			if _, err := Decide(tk, allDay, r, tm.At); !errors.Is(err, viewer.ErrForbidden) {
				t.Errorf("Decide %s by %+v: %v, want forbidden", a, who, err)
			}
		}
	}
	if err := Authorize(tk, Request{Action: Breach, Actor: System(), Timer: &tm}); err != nil {
		t.Errorf("the product asking for a breach: %v", err)
	}
}

// TestAnAutomaticActionNeedsItsTimer: an automatic action asked without
// the timer it was armed as is refused, not done.
func TestAnAutomaticActionNeedsItsTimer(t *testing.T) {
	t.Parallel()
	tk := ticketIn(schematype.StatusNew)
	other := warnTimer(sla.FirstResponse, t0.Add(3*time.Hour))
	for _, r := range []Request{{Action: Breach, Actor: System()}, {Action: Breach, Actor: System(), Timer: &other}} {
		if out, err := Decide(tk, allDay, r, t0.Add(4*time.Hour)); err == nil || errors.Is(err, ErrNotDue) {
			t.Errorf("a breach with timer %+v: %v, events %s; want a refusal", r.Timer, err, show(out.Events))
		}
	}
}

// TestNeedsOfAutomaticActions: a breach and the ladder escalate, so they
// need the region's table; the other automatic actions need nothing.
func TestNeedsOfAutomaticActions(t *testing.T) {
	t.Parallel()
	tk := ticketIn(schematype.StatusNew)
	for a, want := range map[Action]bool{Warn: false, Breach: true, Remind: false, AutoResolve: false, AutoClose: false, EscalateNext: true} {
		if ag, e := Needs(tk, Request{Action: a, Actor: System()}); ag != 0 || e != want {
			t.Errorf("Needs(%s) = %d, %v; want 0, %v", a, ag, e, want)
		}
	}
}

// TestAutomaticReasonsNameThePinnedPolicysPeriods: a ticket older than
// pinning runs under the default policy, and its automatic resolve and
// close say that policy's period, as their timers were armed with.
func TestAutomaticReasonsNameThePinnedPolicysPeriods(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ticket Ticket
		timer  Timer
		reason string
	}{
		{responded(schematype.StatusWaitingOnCustomer), Timer{Action: AutoResolve, At: t0.Add(time.Hour + week)},
			"resolved automatically: no reply from the customer within 7 days"},
		{ticketIn(schematype.StatusResolved), Timer{Action: AutoClose, At: t0.Add(time.Hour + week)},
			"closed automatically: resolved 7 days ago and not reopened"},
	}
	for _, tt := range tests {
		out, err := Decide(tt.ticket, sla.Policy{}, Request{Action: tt.timer.Action, Actor: System(), Timer: &tt.timer}, tt.timer.At)
		if err != nil {
			t.Fatalf("%s: %v", tt.timer.Action, err)
		}
		if d, ok := out.Events[0].Data.(StatusChangedData); !ok || d.Reason != tt.reason {
			t.Errorf("%s recorded %s; want the reason %q", tt.timer.Action, show(out.Events), tt.reason)
		}
	}
}
