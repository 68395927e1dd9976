package sla

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"helpdesk/ent/schema/schematype"
)

// explained prints an explanation with its instants in UTC, so that two
// compare equal when they say the same.
func explained(e Explanation) string {
	p := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	var paused []string
	for _, iv := range e.Paused {
		paused = append(paused, p(&iv.Start)+"→"+p(iv.End))
	}
	return fmt.Sprintf("%s v%d target=%s elapsed=%s paused=[%s] warn=%s due=%s met=%s breached=%s",
		e.Clock, e.PolicyVersion, e.Target, e.Elapsed, strings.Join(paused, " "),
		p(&e.WarnAt), p(&e.DueAt), p(e.MetAt), p(e.BreachedAt))
}

// TestExplainingATicketsClocks: Ticket.slaClocks (SPEC §4): per clock the
// policy version, the target, the business time elapsed, the pauses, the
// warning and due instants, and when it was met or breached.
func TestExplainingATicketsClocks(t *testing.T) {
	t.Parallel()
	allDay := Default("UTC", true)
	allDay.Version = 3
	office := Default("Europe/Berlin", false)            // Mon–Fri 09:00–18:00
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // a Monday
	h := func(d float64) time.Time { return t0.Add(time.Duration(d * float64(time.Hour))) }
	critical := func(edit func(*Record)) Record {
		r := Record{Clocks: Start(schematype.PriorityCritical, t0)}
		if edit != nil {
			edit(&r)
		}
		return r
	}
	type clock struct {
		target, elapsed time.Duration
		paused          []Interval
		warn, due       time.Time
		met, breached   *time.Time
	}
	tests := []struct {
		name        string
		policy      Policy
		record      Record
		now         time.Time
		first, resn clock
	}{
		{
			name:   "a new ticket: both clocks run from creation under the pinned version, nothing paused, met or breached",
			policy: allDay, record: critical(nil), now: h(1.0 / 6),
			first: clock{target: time.Hour, elapsed: 10 * time.Minute, warn: h(0.75), due: h(1)},
			resn:  clock{target: 4 * time.Hour, elapsed: 10 * time.Minute, warn: h(3), due: h(4)},
		},
		{
			name:   "the first response stops the first-response clock, met when no later than its due time",
			policy: allDay, record: critical(func(r *Record) { r.FirstRespondedAt = ptr(h(0.5)) }), now: h(2),
			first: clock{target: time.Hour, elapsed: 30 * time.Minute, warn: h(0.75), due: h(1), met: ptr(h(0.5))},
			resn:  clock{target: 4 * time.Hour, elapsed: 2 * time.Hour, warn: h(3), due: h(4)},
		},
		{
			name:   "a first response at its due time is met",
			policy: allDay, record: critical(func(r *Record) { r.FirstRespondedAt = ptr(h(1)) }), now: h(2),
			first: clock{target: time.Hour, elapsed: time.Hour, warn: h(0.75), due: h(1), met: ptr(h(1))},
			resn:  clock{target: 4 * time.Hour, elapsed: 2 * time.Hour, warn: h(3), due: h(4)},
		},
		{
			name:   "a first response after its due time, not yet marked by the product, is breached at the due time",
			policy: allDay, record: critical(func(r *Record) { r.FirstRespondedAt = ptr(h(1.5)) }), now: h(2),
			first: clock{target: time.Hour, elapsed: 90 * time.Minute, warn: h(0.75), due: h(1), breached: ptr(h(1))},
			resn:  clock{target: 4 * time.Hour, elapsed: 2 * time.Hour, warn: h(3), due: h(4)},
		},
		{
			name:   "clocks still running past their due times are breached at them",
			policy: allDay, record: critical(nil), now: h(5),
			first: clock{target: time.Hour, elapsed: 5 * time.Hour, warn: h(0.75), due: h(1), breached: ptr(h(1))},
			resn:  clock{target: 4 * time.Hour, elapsed: 5 * time.Hour, warn: h(3), due: h(4), breached: ptr(h(4))},
		},
		{
			name:   "the breach the product recorded is the breach, and the clock is not met even if it stopped in time after a priority change",
			policy: allDay, now: h(5),
			record: critical(func(r *Record) {
				r.FirstRespondedAt = ptr(h(0.5))
				r.FirstResponseBreachedAt, r.ResolutionBreachedAt = ptr(h(0.4)), ptr(h(4).Add(300*time.Millisecond))
			}),
			first: clock{target: time.Hour, elapsed: 30 * time.Minute, warn: h(0.75), due: h(1), breached: ptr(h(0.4))},
			resn:  clock{target: 4 * time.Hour, elapsed: 5 * time.Hour, warn: h(3), due: h(4), breached: ptr(h(4).Add(300 * time.Millisecond))},
		},
		{
			name:   "elapsed is business time: Friday 17:30 to Monday 09:10 is 40 minutes on office hours",
			policy: office, now: berlin(t, "2026-11-30 09:10:00"),
			record: Record{Clocks: Start(schematype.PriorityCritical, berlin(t, "2026-11-27 17:30:00"))},
			first: clock{target: time.Hour, elapsed: 40 * time.Minute,
				warn: berlin(t, "2026-11-30 09:15:00"), due: berlin(t, "2026-11-30 09:30:00")},
			resn: clock{target: 4 * time.Hour, elapsed: 40 * time.Minute,
				warn: berlin(t, "2026-11-30 11:30:00"), due: berlin(t, "2026-11-30 12:30:00")},
		},
		{
			name:   "the resolution clock excludes every pause: those that ended, in order, then the one in course, which has no end",
			policy: allDay, now: h(1.5),
			record: critical(func(r *Record) {
				r.FirstRespondedAt = ptr(h(0.1))
				r.Pauses, r.PausedSeconds = []Interval{{Start: h(1.0 / 6), End: ptr(h(2.0 / 6))}}, 600
				r.PausedAt = ptr(h(1))
			}),
			first: clock{target: time.Hour, elapsed: 6 * time.Minute, warn: h(0.75), due: h(1), met: ptr(h(0.1))},
			// 90 min since creation, 10 paused before and 30 in course:
			// 50 counted; due (if it resumed now) 4 h + 40 min after creation.
			resn: clock{target: 4 * time.Hour, elapsed: 50 * time.Minute,
				paused: []Interval{{Start: h(1.0 / 6), End: ptr(h(2.0 / 6))}, {Start: h(1)}},
				warn:   h(3).Add(40 * time.Minute), due: h(4).Add(40 * time.Minute)},
		},
		{
			name:   "a paused clock falls due when it would if it resumed now: over a closed night its due time stays",
			policy: office, now: berlin(t, "2026-11-24 08:00:00"), // Tuesday, before opening
			record: Record{Clocks: Clocks{Priority: schematype.PriorityHigh, Started: berlin(t, "2026-11-23 10:00:00"),
				PausedAt: ptr(berlin(t, "2026-11-23 17:00:00"))}, FirstRespondedAt: ptr(berlin(t, "2026-11-23 10:30:00"))},
			first: clock{target: 2 * time.Hour, elapsed: 30 * time.Minute, met: ptr(berlin(t, "2026-11-23 10:30:00")),
				warn: berlin(t, "2026-11-23 11:30:00"), due: berlin(t, "2026-11-23 12:00:00")},
			// 7 h counted Monday; 1 h paused Monday evening; 24 h + 1 h of
			// office time from Monday 10:00 is Wednesday 17:00.
			resn: clock{target: 24 * time.Hour, elapsed: 7 * time.Hour,
				paused: []Interval{{Start: berlin(t, "2026-11-23 17:00:00")}},
				warn:   berlin(t, "2026-11-25 11:00:00"), due: berlin(t, "2026-11-25 17:00:00")},
		},
		{
			name:   "a resolution in time is met at the resolution, and its clock stops there",
			policy: allDay, now: h(10),
			record: critical(func(r *Record) { r.FirstRespondedAt, r.ResolvedAt = ptr(h(0.25)), ptr(h(3)) }),
			first:  clock{target: time.Hour, elapsed: 15 * time.Minute, warn: h(0.75), due: h(1), met: ptr(h(0.25))},
			resn:   clock{target: 4 * time.Hour, elapsed: 3 * time.Hour, warn: h(3), due: h(4), met: ptr(h(3))},
		},
		{
			name:   "a resolution after the due time is breached at the due time",
			policy: allDay, now: h(10),
			record: critical(func(r *Record) { r.FirstRespondedAt, r.ResolvedAt = ptr(h(0.25)), ptr(h(5)) }),
			first:  clock{target: time.Hour, elapsed: 15 * time.Minute, warn: h(0.75), due: h(1), met: ptr(h(0.25))},
			resn:   clock{target: 4 * time.Hour, elapsed: 5 * time.Hour, warn: h(3), due: h(4), breached: ptr(h(4))},
		},
		{
			name:   "a reopened ticket's clock runs again from where it stood: the span it stood resolved is a pause",
			policy: allDay, now: h(8.5),
			record: critical(func(r *Record) {
				r.FirstRespondedAt = ptr(h(0.25))
				r.Pauses, r.PausedSeconds = []Interval{{Start: h(3), End: ptr(h(8))}}, 5*3600
			}),
			first: clock{target: time.Hour, elapsed: 15 * time.Minute, warn: h(0.75), due: h(1), met: ptr(h(0.25))},
			resn: clock{target: 4 * time.Hour, elapsed: 3*time.Hour + 30*time.Minute,
				paused: []Interval{{Start: h(3), End: ptr(h(8))}}, warn: h(8), due: h(9)},
		},
		{
			name:   "elapsed counts whole seconds",
			policy: allDay, record: critical(nil), now: h(0).Add(1900 * time.Millisecond),
			first: clock{target: time.Hour, elapsed: time.Second, warn: h(0.75), due: h(1)},
			resn:  clock{target: 4 * time.Hour, elapsed: time.Second, warn: h(3), due: h(4)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.policy.Explain(tt.record, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d clocks, want first response then resolution", len(got))
			}
			for i, w := range []struct {
				kind Clock
				c    clock
			}{{FirstResponse, tt.first}, {Resolution, tt.resn}} {
				paused := w.c.paused
				if paused == nil {
					paused = []Interval{}
				}
				want := Explanation{Clock: w.kind, PolicyVersion: tt.policy.Version, Target: w.c.target, Elapsed: w.c.elapsed,
					Paused: paused, WarnAt: w.c.warn, DueAt: w.c.due, MetAt: w.c.met, BreachedAt: w.c.breached}
				if g, w := explained(got[i]), explained(want); g != w {
					t.Errorf("\n got %s\nwant %s", g, w)
				}
				if got[i].Paused == nil {
					t.Errorf("%s: paused intervals are nil, not empty", w.kind)
				}
			}
		})
	}
}
