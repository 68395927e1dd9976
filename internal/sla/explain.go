package sla

import "time"

// Record is what a ticket keeps of its clocks, as Explain reads it: where
// they stand (Clocks), the resolution clock's pauses that ended, when each
// clock stopped, and when the product marked each one breached.
type Record struct {
	Clocks
	// Pauses are the resolution clock's pauses that ended, in order.
	Pauses []Interval
	// FirstRespondedAt stops the first-response clock, ResolvedAt the
	// resolution clock; nil while the clock runs (a reopen clears
	// ResolvedAt, and the clock runs again).
	FirstRespondedAt, ResolvedAt *time.Time
	// FirstResponseBreachedAt and ResolutionBreachedAt are when the
	// product marked the clock breached (once per clock); nil until then.
	FirstResponseBreachedAt, ResolutionBreachedAt *time.Time
}

// Explanation is one clock of a ticket, explained: why its due time is
// what it is, and how it stands (the API's SLAClock).
type Explanation struct {
	Clock Clock
	// PolicyVersion is the version of the policy the ticket pinned (0 for
	// a ticket older than pinning, which runs under the default policy).
	PolicyVersion int
	// Target is the clock's target of the ticket's priority, in business
	// time.
	Target time.Duration
	// Elapsed is the business time the clock has counted, in whole
	// seconds: from the start to when it stopped, or to now while it
	// runs, every pause excluded.
	Elapsed time.Duration
	// Paused are the clock's pauses: those that ended, in order, then the
	// one in course (End nil). Never nil.
	Paused []Interval
	// WarnAt and DueAt are the clock's warning instant and due time (see
	// Deadlines).
	WarnAt, DueAt time.Time
	// MetAt is when the clock stopped in time; BreachedAt when it was
	// breached. At most one of them is set.
	MetAt, BreachedAt *time.Time
}

// Explain explains both clocks of record r under the policy, at now:
// first response, then resolution.
//
// The first-response clock counts the business time from the start to
// the first response, or to now without one; it never pauses.
//
// The resolution clock counts the business time from the start to the
// resolution, or to now while unresolved, minus every pause: the paused
// time of the pauses that ended (Clocks.PausedSeconds, the figure its due
// time is computed from) and the business time of the pause in course.
// While it is paused, its warning and due instants are those it would
// have if it resumed now, so a portal can say how much time remains;
// they move on as long as the pause lasts (the ticket's own due time
// stays where the last resumption put it until the clock resumes).
//
// A clock is met at the instant it stopped if that is no later than its
// due time. It is breached at the instant the product marked it breached
// (Record's *BreachedAt): that is when it escalated and recorded
// SLA_BREACHED, and it stays, as a breach is recorded once, even if a
// later priority change moved the due time. Until the product marked it
// — its timer may fire a moment after the due time, or be yet to fire —
// a clock that stopped after its due time, or runs (or is paused) past
// it, is breached at its due time, the instant the breach happened.
func (p Policy) Explain(r Record, now time.Time) ([]Explanation, error) {
	cal, err := p.Calendar()
	if err != nil {
		return nil, err
	}
	// The first response: its deadlines do not depend on the pauses.
	firstStop := stop(r.FirstRespondedAt, now)
	fd, err := p.deadlines(cal, Clocks{Priority: r.Priority, Started: r.Started})
	if err != nil {
		return nil, err
	}
	first := Explanation{Clock: FirstResponse, PolicyVersion: p.Version, Target: fd.FirstResponse.Target,
		Elapsed: wholeSeconds(seconds(cal.Elapsed(r.Started, firstStop))), Paused: []Interval{},
		WarnAt: fd.FirstResponse.WarnAt, DueAt: fd.FirstResponse.DueAt}
	first.MetAt, first.BreachedAt = outcome(r.FirstRespondedAt, firstStop, first.DueAt, r.FirstResponseBreachedAt)

	// The resolution: the pause in course counts as if it ended when the
	// clock stopped, or now.
	resStop := stop(r.ResolvedAt, now)
	paused := append(make([]Interval, 0, len(r.Pauses)+1), r.Pauses...)
	if r.PausedAt != nil {
		paused = append(paused, Interval{Start: *r.PausedAt})
	}
	c := resume(cal, r.Clocks, resStop)
	rd, err := p.deadlines(cal, c)
	if err != nil {
		return nil, err
	}
	res := Explanation{Clock: Resolution, PolicyVersion: p.Version, Target: rd.Resolution.Target,
		Elapsed: wholeSeconds(seconds(cal.Elapsed(r.Started, resStop)) - c.PausedSeconds), Paused: paused,
		WarnAt: rd.Resolution.WarnAt, DueAt: rd.Resolution.DueAt}
	res.MetAt, res.BreachedAt = outcome(r.ResolvedAt, resStop, res.DueAt, r.ResolutionBreachedAt)
	return []Explanation{first, res}, nil
}

// stop is where a clock that stopped at stopped (nil: it runs) has
// counted to at now.
func stop(stopped *time.Time, now time.Time) time.Time {
	if stopped != nil {
		return *stopped
	}
	return now
}

// outcome is whether a clock that counted to until (and stopped there,
// unless stopped is nil) was met or breached, given its due time and the
// breach the product recorded, if any.
func outcome(stopped *time.Time, until, due time.Time, recorded *time.Time) (met, breached *time.Time) {
	switch {
	case recorded != nil:
		at := *recorded
		return nil, &at
	case until.After(due):
		return nil, &due
	case stopped != nil:
		at := *stopped
		return &at, nil
	}
	return nil, nil
}

func wholeSeconds(n int) time.Duration { return time.Duration(max(n, 0)) * time.Second }
