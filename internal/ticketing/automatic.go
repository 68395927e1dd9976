package ticketing

// The product's own actions (SPEC §3–§4): what a ticket's workflow does
// when one of its timers fires. Timers lists what is pending on a ticket
// and when; the workflow arms one timer for the earliest and, when it
// fires, asks for that Timer's action through the one entry point
// (internal/tickets) as the system actor. Decide then acts only if the
// timer is still pending on the ticket as it is now — the same action,
// clock and level at the same instant — so a timer armed for a state the
// ticket has left (accepted, resolved, paused a millisecond earlier; a
// retried activity whose first attempt committed) records nothing and
// returns ErrNotDue.

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
)

// The automatic actions: only the product asks for them (ActorSystem).
const (
	// Warn records SLA_WARNING: a clock reached the policy's
	// warningPercent of its target.
	Warn Action = "SLA warning"
	// Breach marks a clock breached, records SLA_BREACHED and escalates
	// one level.
	Breach Action = "SLA breach"
	// Remind records REMINDER_SENT: the customer has not answered within
	// the policy's reminderSeconds.
	Remind Action = "reminder"
	// AutoResolve resolves a ticket the customer left unanswered for the
	// policy's autoCloseSeconds.
	AutoResolve Action = "auto-resolve"
	// AutoClose closes a ticket left resolved for the policy's
	// autoCloseSeconds.
	AutoClose Action = "auto-close"
	// EscalateNext engages the next level of the escalation table once
	// the current level's waitSeconds have passed with the ticket open.
	EscalateNext Action = "escalation ladder"
)

// ErrNotDue is returned for an automatic action that is no longer due:
// the ticket changed since its timer was armed, or the action was done
// already. Nothing changes; it is not a failure.
var ErrNotDue = errors.New("ticketing: the automatic action is no longer due")

// Timer is an automatic action pending on a ticket and the instant it
// falls due. Its JSON is part of the workflow's signal (recorded
// histories hold it): it changes only compatibly.
type Timer struct {
	Action Action `json:"action"`
	// Clock is the clock of a Warn or a Breach.
	Clock sla.Clock `json:"clock,omitempty"`
	// Level is, for EscalateNext, the level whose wait it ends.
	Level int       `json:"level,omitempty"`
	At    time.Time `json:"at"`
}

// Key names the timer: the same action, clock and level at the same
// instant is the same timer.
func (tm Timer) Key() string {
	return fmt.Sprintf("%s/%s/%d/%d", tm.Action, tm.Clock, tm.Level, tm.At.UnixMicro())
}

// sameAs reports whether tm and o are the same timer, to the microsecond
// (PostgreSQL keeps instants to the microsecond).
func (tm Timer) sameAs(o Timer) bool {
	return tm.Action == o.Action && tm.Clock == o.Clock && tm.Level == o.Level && tm.At.UnixMicro() == o.At.UnixMicro()
}

// IsAutomatic reports whether a is one of the product's own actions.
func IsAutomatic(a Action) bool {
	switch a {
	case Warn, Breach, Remind, AutoResolve, AutoClose, EscalateNext:
		return true
	}
	return false
}

// Timers lists the automatic actions pending on t under its pinned policy
// pol, earliest first (a warning first among those due at one instant);
// waits are the waitSeconds of the levels of the
// ticket's escalation table, in order (nil when its region has none):
//   - Warn and Breach of each clock while it runs: the first-response clock
//     until the first response on an open ticket; the resolution clock on
//     an open ticket while not paused. Once each: a clock warned (or
//     breached) is not warned again, a breached one not breached again.
//   - Remind and AutoResolve while the ticket waits on the customer,
//     reminderSeconds and autoCloseSeconds after the wait began.
//   - AutoClose autoCloseSeconds after the ticket was resolved.
//   - EscalateNext, on an open ticket at level n of N, n < N, level n's
//     waitSeconds after it was engaged.
func Timers(t Ticket, pol sla.Policy, waits []int) ([]Timer, error) {
	pol = pinned(pol)
	var out []Timer
	add := func(a Action, c sla.Clock, level int, at time.Time) {
		out = append(out, Timer{Action: a, Clock: c, Level: level, At: at})
	}
	open := IsOpen(t.Status)
	frRuns := open && t.FirstRespondedAt == nil && !t.FirstResponseBreached
	resRuns := open && !t.SLAPaused && !t.ResolutionBreached
	if frRuns || resRuns {
		dl, err := pol.Deadlines(clocksOf(t))
		if err != nil {
			return nil, err
		}
		if frRuns {
			if t.FirstResponseWarnedAt == nil {
				add(Warn, sla.FirstResponse, 0, dl.FirstResponse.WarnAt)
			}
			add(Breach, sla.FirstResponse, 0, orTime(t.FirstResponseDueAt, dl.FirstResponse.DueAt))
		}
		if resRuns {
			if t.ResolutionWarnedAt == nil {
				add(Warn, sla.Resolution, 0, dl.Resolution.WarnAt)
			}
			add(Breach, sla.Resolution, 0, orTime(t.ResolutionDueAt, dl.Resolution.DueAt))
		}
	}
	switch {
	case t.Status == schematype.StatusWaitingOnCustomer && t.PausedAt != nil:
		if t.RemindedAt == nil {
			add(Remind, "", 0, t.PausedAt.Add(seconds(pol.ReminderSeconds)))
		}
		add(AutoResolve, "", 0, t.PausedAt.Add(seconds(pol.AutoCloseSeconds)))
	case t.Status == schematype.StatusResolved && t.ResolvedAt != nil:
		add(AutoClose, "", 0, t.ResolvedAt.Add(seconds(pol.AutoCloseSeconds)))
	}
	if n := t.EscalationLevel; open && n >= 1 && n < len(waits) && t.EscalatedAt != nil {
		add(EscalateNext, "", n, t.EscalatedAt.Add(seconds(waits[n-1])))
	}
	// By instant; at the same instant a warning first (one clock's
	// warning may fall when the other clock breaches: the warning is the
	// notice, the breach what follows it), else in the order above.
	slices.SortStableFunc(out, func(a, b Timer) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(rank(a.Action), rank(b.Action))
	})
	return out, nil
}

// rank orders timers due at the same instant: warnings first.
func rank(a Action) int {
	if a == Warn {
		return 0
	}
	return 1
}

// decideAutomatic is Decide for the product's own actions: the timer
// r.Timer must still be pending on t.
func decideAutomatic(t Ticket, pol sla.Policy, r Request, now time.Time) (Outcome, error) {
	if r.Actor.Kind != ActorSystem {
		return Outcome{}, forbidden("only the product itself asks for an %s", r.Action)
	}
	if r.Timer == nil || r.Timer.Action != r.Action {
		return Outcome{}, fmt.Errorf("ticketing: %s without its timer", r.Action)
	}
	// The periods of the reasons are those the timers were armed with.
	pol = pinned(pol)
	var waits []int
	if e := r.Known.Escalation; e != nil {
		waits = e.Waits
	}
	pending, err := Timers(t, pol, waits)
	if err != nil {
		return Outcome{}, err
	}
	due := false
	for _, p := range pending {
		due = due || p.sameAs(*r.Timer)
	}
	if !due {
		return Outcome{}, ErrNotDue
	}
	tm := *r.Timer
	switch r.Action {
	case AutoResolve:
		return Decide(t, pol, Request{Action: Resolve, Actor: r.Actor, Known: r.Known,
			Reason: fmt.Sprintf("resolved automatically: no reply from the customer within %s", span(seconds(pol.AutoCloseSeconds)))}, now)
	case AutoClose:
		return Decide(t, pol, Request{Action: Close, Actor: r.Actor, Known: r.Known,
			Reason: fmt.Sprintf("closed automatically: resolved %s ago and not reopened", span(seconds(pol.AutoCloseSeconds)))}, now)
	}
	d := &decision{t: t, pol: pol, r: r, now: now, after: t}
	d.after.UpdatedAt = now
	a := &d.after
	switch r.Action {
	case Warn:
		if tm.Clock == sla.FirstResponse {
			a.FirstResponseWarnedAt = d.at()
		} else {
			a.ResolutionWarnedAt = d.at()
		}
		d.record(EventSLAWarning, ClockData{Clock: tm.Clock, DueAt: dueOf(pending, tm.Clock)})
	case Breach:
		if tm.Clock == sla.FirstResponse {
			a.FirstResponseBreached, a.FirstResponseBreachedAt = true, d.at()
		} else {
			a.ResolutionBreached, a.ResolutionBreachedAt = true, d.at()
		}
		d.record(EventSLABreached, ClockData{Clock: tm.Clock, DueAt: tm.At})
		to := t.EscalationLevel + 1
		d.p = plan{escalateTo: &to, auto: true}
		d.autoReason = fmt.Sprintf("the %s clock breached its due time %s", tm.Clock, tm.At.UTC().Format(time.RFC3339))
		if err := d.escalation(); err != nil {
			return Outcome{}, err
		}
	case Remind:
		a.RemindedAt = d.at()
		d.record(EventReminderSent, ReminderData{WaitingSince: *t.PausedAt})
	case EscalateNext:
		to := t.EscalationLevel + 1
		d.p = plan{escalateTo: &to, auto: true}
		d.autoReason = fmt.Sprintf("level %d waited %s with the ticket unresolved", t.EscalationLevel, span(tm.At.Sub(*t.EscalatedAt)))
		if err := d.escalation(); err != nil {
			return Outcome{}, err
		}
	}
	return Outcome{Ticket: d.after, Events: d.events}, nil
}

// dueOf is the due time of clock c among the pending timers: the instant
// of its breach, pending while the clock runs (so whenever its warning
// is).
func dueOf(pending []Timer, c sla.Clock) time.Time {
	for _, p := range pending {
		if p.Action == Breach && p.Clock == c {
			return p.At
		}
	}
	return time.Time{}
}

// span writes a period as people read it in a reason: "7 days",
// "2 hours", "90 minutes", "45 seconds".
func span(d time.Duration) string {
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return fmt.Sprintf("%d %ss", n, name)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(int64(d.Round(time.Second)/time.Second), "second")
}

func seconds(s int) time.Duration { return time.Duration(s) * time.Second }

func orTime(p *time.Time, def time.Time) time.Time {
	if p != nil {
		return *p
	}
	return def
}
