package sla

import (
	"fmt"
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/bizhours"
)

// Clock names one of a ticket's two SLA clocks (SPEC §4), as events and
// the API spell it.
type Clock string

// The clocks.
const (
	// FirstResponse runs from creation to the first agent response.
	FirstResponse Clock = "FIRST_RESPONSE"
	// Resolution runs from creation to RESOLVED, paused while the ticket
	// waits on the customer, and on a third party when the policy says so
	// (PausesOnThirdParty).
	Resolution Clock = "RESOLUTION"
)

// Clocks is where a ticket's clocks stand, as the ticket keeps them: the
// priority whose targets they run to, when they started, the business time
// the resolution clock spent in pauses that ended, and the pause in course.
type Clocks struct {
	Priority schematype.Priority
	// Started is when both clocks started: the ticket's creation.
	Started time.Time
	// PausedSeconds is the business time, in whole seconds, of the
	// resolution clock's pauses that ended.
	PausedSeconds int
	// PausedAt is when the pause in course began; nil while the
	// resolution clock runs.
	PausedAt *time.Time
}

// Paused reports whether the resolution clock is paused.
func (c Clocks) Paused() bool { return c.PausedAt != nil }

// Start starts both clocks of a ticket of priority pr at at.
func Start(pr schematype.Priority, at time.Time) Clocks {
	return Clocks{Priority: pr, Started: at}
}

// Pause pauses the resolution clock at at; a paused clock stays paused
// since its pause began.
func (c Clocks) Pause(at time.Time) Clocks {
	if c.PausedAt == nil {
		c.PausedAt = &at
	}
	return c
}

// Resume restarts the resolution clock at at: the business time of the
// pause, in whole seconds (a partial second is not counted), joins the
// paused time, which moves its due time. A running clock is unchanged.
func (p Policy) Resume(c Clocks, at time.Time) (Clocks, error) {
	if c.PausedAt == nil {
		return c, nil
	}
	cal, err := p.Calendar()
	if err != nil {
		return c, err
	}
	return resume(cal, c, at), nil
}

func resume(cal *bizhours.Calendar, c Clocks, at time.Time) Clocks {
	if c.PausedAt != nil {
		c.PausedSeconds += seconds(cal.Elapsed(*c.PausedAt, at))
		c.PausedAt = nil
	}
	return c
}

// seconds is d in whole seconds (a partial second is not counted).
func seconds(d time.Duration) int { return int(d / time.Second) }

// Reprioritize runs both clocks to the targets of pr from their start: a
// priority change recomputes both due times from creation (SPEC §4).
func (c Clocks) Reprioritize(pr schematype.Priority) Clocks {
	c.Priority = pr
	return c
}

// Deadline is when one clock warns and when it falls due.
type Deadline struct {
	Clock Clock
	// Target is the clock's target, in business time.
	Target time.Duration
	// WarnAt is the instant the clock reaches the policy's warningPercent
	// of its target; DueAt the instant it reaches the target: the
	// earliest instants at which that much business time has elapsed
	// since the start, the pauses that ended excluded.
	WarnAt, DueAt time.Time
	// Paused: the clock is paused, so both instants move on when it
	// resumes (by the business time of the pause).
	Paused bool
}

// Deadlines are a ticket's deadlines, one per clock.
type Deadlines struct {
	FirstResponse, Resolution Deadline
}

// Deadlines computes every deadline of clocks c on the policy's calendar.
// The instants of a paused resolution clock are those it would have if it
// resumed now (its pause in course not counted yet). A due time past the
// year 9999 is an error wrapping ErrOutOfRange.
func (p Policy) Deadlines(c Clocks) (Deadlines, error) {
	cal, err := p.Calendar()
	if err != nil {
		return Deadlines{}, err
	}
	return p.deadlines(cal, c)
}

func (p Policy) deadlines(cal *bizhours.Calendar, c Clocks) (Deadlines, error) {
	t, err := p.Target(c.Priority)
	if err != nil {
		return Deadlines{}, err
	}
	paused := time.Duration(c.PausedSeconds) * time.Second
	deadline := func(clock Clock, seconds int, paused time.Duration) Deadline {
		target := time.Duration(seconds) * time.Second
		// A whole second is a multiple of 100 ns: target/100 is exact,
		// and multiplying after dividing cannot overflow.
		warn := target / 100 * time.Duration(p.WarningPercent)
		return Deadline{Clock: clock, Target: target,
			WarnAt: cal.Add(c.Started, warn+paused), DueAt: cal.Add(c.Started, target+paused)}
	}
	d := Deadlines{
		FirstResponse: deadline(FirstResponse, t.FirstResponseSeconds, 0),
		Resolution:    deadline(Resolution, t.ResolutionSeconds, paused),
	}
	d.Resolution.Paused = c.Paused()
	if y := max(d.FirstResponse.DueAt.UTC().Year(), d.Resolution.DueAt.UTC().Year()); y > lastYear {
		return Deadlines{}, fmt.Errorf("%w: the %s targets from %s fall due in the year %d; give an earlier time",
			ErrOutOfRange, c.Priority, c.Started.UTC().Format(time.RFC3339), y)
	}
	return d, nil
}

// Interval is a span of time, such as a pause of the resolution clock;
// End is nil while it lasts.
type Interval struct {
	Start time.Time  `json:"start"`
	End   *time.Time `json:"end,omitempty"`
}
