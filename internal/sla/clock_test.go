package sla

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"helpdesk/ent/schema/schematype"
)

func berlin(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// TestDeadlinesFromThePinnedPolicy: every deadline (warning instant and
// due time of both clocks) follows from the policy's calendar, targets and
// warningPercent, the clocks' start and their paused time.
func TestDeadlinesFromThePinnedPolicy(t *testing.T) {
	t.Parallel()
	office := Default("Europe/Berlin", false) // Mon–Fri 09:00–18:00
	allDay := Default("Europe/Berlin", true)
	half := allDay
	half.WarningPercent = 50
	tests := []struct {
		name   string
		policy Policy
		clocks Clocks
		want   Deadlines
	}{
		{
			name:   "CRITICAL on Friday 17:30 → first response warns Monday 09:15, due Monday 09:30; resolution due Monday 12:30",
			policy: office, clocks: Start(schematype.PriorityCritical, berlin(t, "2026-11-27 17:30:00")),
			want: Deadlines{
				FirstResponse: Deadline{Clock: FirstResponse, Target: time.Hour,
					WarnAt: berlin(t, "2026-11-30 09:15:00"), DueAt: berlin(t, "2026-11-30 09:30:00")},
				Resolution: Deadline{Clock: Resolution, Target: 4 * time.Hour,
					WarnAt: berlin(t, "2026-11-30 11:30:00"), DueAt: berlin(t, "2026-11-30 12:30:00")},
			},
		},
		{
			name:   "24x7 CRITICAL: warnings at 75 % of 1 h and 4 h, due at 1 h and 4 h",
			policy: allDay, clocks: Start(schematype.PriorityCritical, berlin(t, "2026-11-28 03:00:00")),
			want: Deadlines{
				FirstResponse: Deadline{Clock: FirstResponse, Target: time.Hour,
					WarnAt: berlin(t, "2026-11-28 03:45:00"), DueAt: berlin(t, "2026-11-28 04:00:00")},
				Resolution: Deadline{Clock: Resolution, Target: 4 * time.Hour,
					WarnAt: berlin(t, "2026-11-28 06:00:00"), DueAt: berlin(t, "2026-11-28 07:00:00")},
			},
		},
		{
			name:   "warningPercent 50 warns half way",
			policy: half, clocks: Start(schematype.PriorityHigh, berlin(t, "2026-11-28 00:00:00")),
			want: Deadlines{
				FirstResponse: Deadline{Clock: FirstResponse, Target: 2 * time.Hour,
					WarnAt: berlin(t, "2026-11-28 01:00:00"), DueAt: berlin(t, "2026-11-28 02:00:00")},
				Resolution: Deadline{Clock: Resolution, Target: 24 * time.Hour,
					WarnAt: berlin(t, "2026-11-28 12:00:00"), DueAt: berlin(t, "2026-11-29 00:00:00")},
			},
		},
		{
			name:   "paused time moves the resolution clock's warning and due time, not the first response's",
			policy: allDay,
			clocks: Clocks{Priority: schematype.PriorityCritical, Started: berlin(t, "2026-11-28 03:00:00"), PausedSeconds: 1800},
			want: Deadlines{
				FirstResponse: Deadline{Clock: FirstResponse, Target: time.Hour,
					WarnAt: berlin(t, "2026-11-28 03:45:00"), DueAt: berlin(t, "2026-11-28 04:00:00")},
				Resolution: Deadline{Clock: Resolution, Target: 4 * time.Hour,
					WarnAt: berlin(t, "2026-11-28 06:30:00"), DueAt: berlin(t, "2026-11-28 07:30:00")},
			},
		},
		{
			name:   "a paused resolution clock says so; its pause in course does not count yet",
			policy: allDay,
			clocks: Clocks{Priority: schematype.PriorityCritical, Started: berlin(t, "2026-11-28 03:00:00"), PausedAt: ptr(berlin(t, "2026-11-28 03:10:00"))},
			want: Deadlines{
				FirstResponse: Deadline{Clock: FirstResponse, Target: time.Hour,
					WarnAt: berlin(t, "2026-11-28 03:45:00"), DueAt: berlin(t, "2026-11-28 04:00:00")},
				Resolution: Deadline{Clock: Resolution, Target: 4 * time.Hour,
					WarnAt: berlin(t, "2026-11-28 06:00:00"), DueAt: berlin(t, "2026-11-28 07:00:00"), Paused: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.policy.Deadlines(tt.clocks)
			if err != nil {
				t.Fatal(err)
			}
			for _, pair := range [][2]Deadline{{got.FirstResponse, tt.want.FirstResponse}, {got.Resolution, tt.want.Resolution}} {
				g, w := pair[0], pair[1]
				if g.Clock != w.Clock || g.Target != w.Target || !g.WarnAt.Equal(w.WarnAt) || !g.DueAt.Equal(w.DueAt) || g.Paused != w.Paused {
					t.Errorf("%s clock: got %+v\nwant %+v", w.Clock, g, w)
				}
			}
		})
	}
}

// TestClocksPauseResumeAndPriorityChange: the resolution clock pauses and
// resumes in business time; a priority change recomputes both due times
// from creation with the new targets, paused time excluded.
func TestClocksPauseResumeAndPriorityChange(t *testing.T) {
	t.Parallel()
	office := Default("Europe/Berlin", false)
	allDay := Default("UTC", true)
	created := berlin(t, "2026-11-27 10:00:00") // a Friday
	tests := []struct {
		name string
		pol  Policy
		run  func(t *testing.T, c Clocks) Clocks
		want Clocks
		// wantResolutionDue, if set, is the resolution clock's due time after run.
		wantResolutionDue, wantFirstDue time.Time
	}{
		{
			name: "a pause over the weekend counts only its business hours (Friday 17:00 → Monday 10:00 is 2 h)",
			pol:  office,
			run: func(t *testing.T, c Clocks) Clocks {
				c = c.Pause(berlin(t, "2026-11-27 17:00:00"))
				c, err := office.Resume(c, berlin(t, "2026-11-30 10:00:00"))
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			want:              Clocks{Priority: schematype.PriorityCritical, Started: created, PausedSeconds: 7200},
			wantResolutionDue: berlin(t, "2026-11-27 16:00:00"), // 10:00 + 4 h + 2 h
			wantFirstDue:      berlin(t, "2026-11-27 11:00:00"),
		},
		{
			name: "a pause keeps whole seconds only (1.9 s paused is 1 s)",
			pol:  allDay,
			run: func(t *testing.T, c Clocks) Clocks {
				c = c.Pause(created.Add(time.Minute))
				c, err := allDay.Resume(c, created.Add(time.Minute+1900*time.Millisecond))
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			want:              Clocks{Priority: schematype.PriorityCritical, Started: created, PausedSeconds: 1},
			wantResolutionDue: created.Add(4*time.Hour + time.Second),
			wantFirstDue:      created.Add(time.Hour),
		},
		{
			name: "pausing a paused clock keeps the pause's start",
			pol:  allDay,
			run: func(t *testing.T, c Clocks) Clocks {
				return c.Pause(created.Add(time.Minute)).Pause(created.Add(time.Hour))
			},
			want:              Clocks{Priority: schematype.PriorityCritical, Started: created, PausedAt: ptr(created.Add(time.Minute))},
			wantResolutionDue: created.Add(4 * time.Hour),
			wantFirstDue:      created.Add(time.Hour),
		},
		{
			name: "resuming a running clock changes nothing",
			pol:  allDay,
			run: func(t *testing.T, c Clocks) Clocks {
				c, err := allDay.Resume(c, created.Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			want:              Clocks{Priority: schematype.PriorityCritical, Started: created},
			wantResolutionDue: created.Add(4 * time.Hour),
			wantFirstDue:      created.Add(time.Hour),
		},
		{
			name: "two pauses add up",
			pol:  allDay,
			run: func(t *testing.T, c Clocks) Clocks {
				var err error
				c, err = allDay.Resume(c.Pause(created.Add(time.Minute)), created.Add(11*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				c, err = allDay.Resume(c.Pause(created.Add(time.Hour)), created.Add(time.Hour+5*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			want:              Clocks{Priority: schematype.PriorityCritical, Started: created, PausedSeconds: 900},
			wantResolutionDue: created.Add(4*time.Hour + 15*time.Minute),
			wantFirstDue:      created.Add(time.Hour),
		},
		{
			name: "a priority change recomputes both due times from creation, paused time excluded",
			pol:  allDay,
			run: func(t *testing.T, c Clocks) Clocks {
				c, err := allDay.Resume(c.Pause(created.Add(time.Minute)), created.Add(31*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				return c.Reprioritize(schematype.PriorityLow)
			},
			want:              Clocks{Priority: schematype.PriorityLow, Started: created, PausedSeconds: 1800},
			wantResolutionDue: created.Add(72*time.Hour + 30*time.Minute),
			wantFirstDue:      created.Add(9 * time.Hour),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.run(t, Start(schematype.PriorityCritical, created))
			if got.Priority != tt.want.Priority || !got.Started.Equal(tt.want.Started) || got.PausedSeconds != tt.want.PausedSeconds ||
				(got.PausedAt == nil) != (tt.want.PausedAt == nil) || got.PausedAt != nil && !got.PausedAt.Equal(*tt.want.PausedAt) {
				t.Fatalf("clocks %+v, want %+v", got, tt.want)
			}
			d, err := tt.pol.Deadlines(got)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Resolution.DueAt.Equal(tt.wantResolutionDue) || !d.FirstResponse.DueAt.Equal(tt.wantFirstDue) {
				t.Fatalf("due first response %s, resolution %s; want %s, %s", d.FirstResponse.DueAt, d.Resolution.DueAt, tt.wantFirstDue, tt.wantResolutionDue)
			}
		})
	}
}

// TestDeadlinesPastTheYear9999AreRefused: a due time the API could not
// write is an error, not a wrong instant.
func TestDeadlinesPastTheYear9999AreRefused(t *testing.T) {
	t.Parallel()
	pol := Default("UTC", true)
	late := time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)
	if _, err := pol.Deadlines(Start(schematype.PriorityLow, late)); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("err %v, want ErrOutOfRange", err)
	}
	if _, err := pol.Due(schematype.PriorityLow, late, 0); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("Due: err %v, want ErrOutOfRange", err)
	}
}

// TestPolicyPinnedBeforePauseOnThirdPartyPauses: a policy snapshot pinned
// before pauseOnThirdParty existed reads as pausing (the default).
func TestPolicyPinnedBeforePauseOnThirdPartyPauses(t *testing.T) {
	var old Policy
	if err := json.Unmarshal([]byte(`{"name":"Old","timezone":"UTC","alwaysOpen":true}`), &old); err != nil {
		t.Fatal(err)
	}
	if !old.PausesOnThirdParty() {
		t.Error("an old snapshot does not pause on a third party")
	}
	b, _ := json.Marshal(Policy{RunsOnThirdParty: true})
	var back Policy
	if err := json.Unmarshal(b, &back); err != nil || back.PausesOnThirdParty() {
		t.Errorf("pauseOnThirdParty=false does not survive a round trip: %s", b)
	}
}
