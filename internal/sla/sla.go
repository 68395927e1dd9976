// Package sla holds the SLA policy a ticket runs under and its two clocks
// (first response and resolution, SPEC §4): where they stand (Clocks:
// started, paused, resumed, re-prioritized), every deadline that follows
// from the policy — warning instants and due times — on the policy's
// business calendar, and how each clock stands at an instant (Explain:
// business time elapsed, pauses, met or breached). It is arithmetic only:
// the instants come from the caller.
//
// A ticket keeps a copy of the policy it opened under (Policy, stored as
// JSON on the ticket), so later edits of the policy apply to new tickets
// only.
package sla

import (
	"errors"
	"fmt"
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/bizhours"
)

// Default periods of a policy, in seconds.
const (
	// DefaultWarningPercent warns at three quarters of a target (SPEC §2).
	DefaultWarningPercent = 75
	// DefaultReminderSeconds reminds a silent customer after two days.
	DefaultReminderSeconds = 2 * 24 * 3600
	// DefaultAutoCloseSeconds closes a ticket left waiting on the customer,
	// or left resolved, after a week.
	DefaultAutoCloseSeconds = 7 * 24 * 3600
	// DefaultReopenWindowSeconds lets a customer reopen a closed ticket for
	// seven days (SPEC §3).
	DefaultReopenWindowSeconds = 7 * 24 * 3600
)

// ErrInvalid is wrapped by every validation error of a policy.
var ErrInvalid = errors.New("sla: invalid policy")

// lastYear is the last year a due time may fall in (UTC): RFC 3339, the
// API's time format, writes four-digit years.
const lastYear = 9999

// ErrOutOfRange is wrapped by the error for due times past lastYear.
var ErrOutOfRange = fmt.Errorf("sla: due time past the year %d", lastYear)

// Policy is an SLA policy as a ticket keeps it.
type Policy struct {
	PolicyID     int                     `json:"policyID,omitempty"`
	Version      int                     `json:"version,omitempty"`
	Name         string                  `json:"name"`
	Timezone     string                  `json:"timezone"`
	AlwaysOpen   bool                    `json:"alwaysOpen"`
	OpeningHours []bizhours.OpeningHours `json:"openingHours"`
	Holidays     []string                `json:"holidays"`
	// HolidayCountry is an ISO 3166-1 alpha-2 code (one of
	// bizhours.HolidayCountries) whose public holidays are closed too; ""
	// for none.
	HolidayCountry string `json:"holidayCountry,omitempty"`
	// RunsOnThirdParty keeps the resolution clock running while the ticket
	// waits on a third party: the API's pauseOnThirdParty, inverted so
	// that a ticket pinned before the field existed (and the zero Policy)
	// pauses, the default (SPEC §4).
	RunsOnThirdParty    bool                   `json:"runsOnThirdParty,omitempty"`
	Targets             []schematype.SLATarget `json:"targets"`
	WarningPercent      int                    `json:"warningPercent"`
	ReminderSeconds     int                    `json:"reminderSeconds"`
	AutoCloseSeconds    int                    `json:"autoCloseSeconds"`
	ReopenWindowSeconds int                    `json:"reopenWindowSeconds"`
}

// DefaultTargets are the installation's default targets (SPEC §2): LOW's
// "next business day" is one business day of business time, 9 h on the
// default calendar.
func DefaultTargets() []schematype.SLATarget {
	return []schematype.SLATarget{
		{Priority: schematype.PriorityCritical, FirstResponseSeconds: 3600, ResolutionSeconds: 4 * 3600},
		{Priority: schematype.PriorityHigh, FirstResponseSeconds: 2 * 3600, ResolutionSeconds: 24 * 3600},
		{Priority: schematype.PriorityMedium, FirstResponseSeconds: 4 * 3600, ResolutionSeconds: 48 * 3600},
		{Priority: schematype.PriorityLow, FirstResponseSeconds: 9 * 3600, ResolutionSeconds: 72 * 3600},
	}
}

// Default is the installation's default policy in the given time zone:
// Monday–Friday 09:00–18:00, or 24x7 for a premium plan.
func Default(timezone string, alwaysOpen bool) Policy {
	p := Policy{
		Name:                "Default",
		Timezone:            timezone,
		AlwaysOpen:          alwaysOpen,
		Targets:             DefaultTargets(),
		WarningPercent:      DefaultWarningPercent,
		ReminderSeconds:     DefaultReminderSeconds,
		AutoCloseSeconds:    DefaultAutoCloseSeconds,
		ReopenWindowSeconds: DefaultReopenWindowSeconds,
		Holidays:            []string{},
		OpeningHours:        []bizhours.OpeningHours{},
	}
	if !alwaysOpen {
		p.OpeningHours = bizhours.DefaultOpeningHours()
	}
	return p
}

// Validate checks the policy and returns an error wrapping ErrInvalid (or
// bizhours.ErrInvalid) that says what is wrong.
func (p Policy) Validate() error {
	if p.Name == "" {
		return fmt.Errorf("%w: name is empty", ErrInvalid)
	}
	if _, err := p.Calendar(); err != nil {
		return err
	}
	seen := map[schematype.Priority]bool{}
	for _, t := range p.Targets {
		if t.Priority.Rank() == 0 {
			return fmt.Errorf("%w: target priority %q is unknown", ErrInvalid, t.Priority)
		}
		if seen[t.Priority] {
			return fmt.Errorf("%w: priority %s has two targets", ErrInvalid, t.Priority)
		}
		seen[t.Priority] = true
		if t.FirstResponseSeconds <= 0 || t.ResolutionSeconds <= 0 {
			return fmt.Errorf("%w: targets of %s must be positive seconds", ErrInvalid, t.Priority)
		}
		if t.FirstResponseSeconds > t.ResolutionSeconds {
			return fmt.Errorf("%w: first response target of %s is longer than its resolution target", ErrInvalid, t.Priority)
		}
	}
	for _, pr := range []schematype.Priority{schematype.PriorityCritical, schematype.PriorityHigh, schematype.PriorityMedium, schematype.PriorityLow} {
		if !seen[pr] {
			return fmt.Errorf("%w: no target for priority %s (every priority needs one)", ErrInvalid, pr)
		}
	}
	if p.WarningPercent < 1 || p.WarningPercent > 99 {
		return fmt.Errorf("%w: warningPercent must be between 1 and 99, got %d", ErrInvalid, p.WarningPercent)
	}
	for name, v := range map[string]int{"reminderSeconds": p.ReminderSeconds, "autoCloseSeconds": p.AutoCloseSeconds, "reopenWindowSeconds": p.ReopenWindowSeconds} {
		if v <= 0 {
			return fmt.Errorf("%w: %s must be positive, got %d", ErrInvalid, name, v)
		}
	}
	return nil
}

// Calendar builds the policy's business calendar.
func (p Policy) Calendar() (*bizhours.Calendar, error) {
	return bizhours.NewFromConfig(bizhours.Config{Timezone: p.Timezone, AlwaysOpen: p.AlwaysOpen,
		OpeningHours: p.OpeningHours, Holidays: p.Holidays, HolidayCountry: p.HolidayCountry})
}

// PausesOnThirdParty reports whether the resolution clock pauses while the
// ticket waits on a third party (the API's pauseOnThirdParty).
func (p Policy) PausesOnThirdParty() bool { return !p.RunsOnThirdParty }

// Target returns the targets of a priority.
func (p Policy) Target(pr schematype.Priority) (schematype.SLATarget, error) {
	for _, t := range p.Targets {
		if t.Priority == pr {
			return t, nil
		}
	}
	return schematype.SLATarget{}, fmt.Errorf("%w: no target for priority %s", ErrInvalid, pr)
}

// DueTimes are the instants at which a ticket's targets are reached.
type DueTimes struct {
	FirstResponse time.Time
	Resolution    time.Time
}

// Due computes the due times of a ticket of priority pr created at created,
// whose resolution clock has been paused for paused of business time
// (whole seconds; see Deadlines).
func (p Policy) Due(pr schematype.Priority, created time.Time, paused time.Duration) (DueTimes, error) {
	d, err := p.Deadlines(Clocks{Priority: pr, Started: created, PausedSeconds: int(paused / time.Second)})
	if err != nil {
		return DueTimes{}, err
	}
	return DueTimes{FirstResponse: d.FirstResponse.DueAt, Resolution: d.Resolution.DueAt}, nil
}
