package bizhours

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the host's zone database
)

// hours builds opening hours from "MONDAY 09:00-18:00" specs; a spec may
// name several days: "MONDAY,TUESDAY 09:00-12:00".
func hours(specs ...string) []OpeningHours {
	var hs []OpeningHours
	for _, s := range specs {
		days, span, _ := strings.Cut(s, " ")
		start, end, _ := strings.Cut(span, "-")
		for d := range strings.SplitSeq(days, ",") {
			hs = append(hs, OpeningHours{Weekday: Weekday(d), Start: start, End: end})
		}
	}
	return hs
}

const weekdays = "MONDAY,TUESDAY,WEDNESDAY,THURSDAY,FRIDAY"

func mustNew(tz string, alwaysOpen bool, hs []OpeningHours, holidays ...string) *Calendar {
	c, err := New(tz, alwaysOpen, hs, holidays)
	if err != nil {
		panic(err)
	}
	return c
}

// Calendars of the tests. June 2026: Friday 5, Monday 8, Monday 15.
var (
	berlin        = mustNew("Europe/Berlin", false, DefaultOpeningHours())
	berlinHoliday = mustNew("Europe/Berlin", false, DefaultOpeningHours(), "2026-06-08", "2026-12-25", "2026-06-08")
	berlinSplit   = mustNew("Europe/Berlin", false, hours(weekdays+" 09:00-12:00", weekdays+" 13:00-18:00"))
	berlinNight   = mustNew("Europe/Berlin", false, hours("MONDAY 20:00-24:00", "TUESDAY 00:00-04:00", "FRIDAY 22:00-24:00"))
	berlin24x7    = mustNew("Europe/Berlin", true, nil, "2026-06-06", "2026-03-29")
	berlinSunday  = mustNew("Europe/Berlin", false, hours("SUNDAY 00:00-24:00"))
	berlinSunNite = mustNew("Europe/Berlin", false, hours("SUNDAY 01:00-05:00"))
	berlinSunGap  = mustNew("Europe/Berlin", false, hours("SUNDAY 02:30-04:00"))
	newYork       = mustNew("America/New_York", false, DefaultOpeningHours())
	newYork24x7   = mustNew("America/New_York", true, nil)
	newYorkSunday = mustNew("America/New_York", false, hours("SUNDAY 00:30-01:30", "SUNDAY 01:30-03:00"))
	newYorkSunEnd = mustNew("America/New_York", false, hours("SUNDAY 00:30-01:30"))
)

// at parses "2026-06-05 17:30" (optionally with seconds and fraction) in
// the calendar's zone, or an RFC 3339 time with its own offset.
func at(t testing.TB, c *Calendar, s string) time.Time {
	t.Helper()
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return v
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05.999999999"} {
		if v, err := time.ParseInLocation(layout, s, c.Location()); err == nil {
			return v
		}
	}
	t.Fatalf("bad time %q", s)
	return time.Time{}
}

func TestAdd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cal   *Calendar
		start string
		d     time.Duration
		want  string
	}{
		// The rules of the spec, on Monday–Friday 09:00–18:00 in Berlin.
		{"friday 17:30 + 1h → monday 09:30", berlin, "2026-06-05 17:30", time.Hour, "2026-06-08 09:30"},
		{"friday 17:30 + 1h, monday holiday → tuesday 09:30", berlinHoliday, "2026-06-05 17:30", time.Hour, "2026-06-09 09:30"},
		{"friday 17:30 + 30m → friday 18:00 (closing time)", berlin, "2026-06-05 17:30", 30 * time.Minute, "2026-06-05 18:00"},
		{"saturday 10:00 + 1h → monday 10:00", berlin, "2026-06-06 10:00", time.Hour, "2026-06-08 10:00"},
		{"saturday 10:00 + 1h, monday holiday → tuesday 10:00", berlinHoliday, "2026-06-06 10:00", time.Hour, "2026-06-09 10:00"},
		{"next business day: tuesday 10:00 + 9h → wednesday 10:00", berlin, "2026-06-09 10:00", 9 * time.Hour, "2026-06-10 10:00"},
		{"next business day: friday 10:00 + 9h → monday 10:00", berlin, "2026-06-05 10:00", 9 * time.Hour, "2026-06-08 10:00"},
		{"monday 09:00 (opening) + 1h → monday 10:00", berlin, "2026-06-08 09:00", time.Hour, "2026-06-08 10:00"},
		{"monday 08:00 (before opening) + 1h → monday 10:00", berlin, "2026-06-08 08:00", time.Hour, "2026-06-08 10:00"},
		{"monday 18:00 (closing) + 1h → tuesday 10:00", berlin, "2026-06-08 18:00", time.Hour, "2026-06-09 10:00"},
		{"monday 17:59 + 1m → monday 18:00 (closing time)", berlin, "2026-06-08 17:59", time.Minute, "2026-06-08 18:00"},
		{"monday 09:00 + 9h → monday 18:00 (a full day ends at closing)", berlin, "2026-06-08 09:00", 9 * time.Hour, "2026-06-08 18:00"},
		{"monday 09:00 + 1ns → monday 09:00:00.000000001", berlin, "2026-06-08 09:00", 1, "2026-06-08 09:00:00.000000001"},
		{"zero duration → start itself, even on a saturday", berlin, "2026-06-06 10:00", 0, "2026-06-06 10:00"},
		{"negative duration → start itself", berlin, "2026-06-08 10:00", -time.Hour, "2026-06-08 10:00"},
		{"sub-second start is kept: friday 17:30:00.25 + 1h → monday 09:30:00.25", berlin, "2026-06-05 17:30:00.25", time.Hour, "2026-06-08 09:30:00.25"},
		{"start in UTC → result in the calendar's zone", berlin, "2026-06-05T15:30:00Z", time.Hour, "2026-06-08 09:30"},

		// Default targets (CRITICAL 4h, HIGH 24h, MEDIUM 48h, LOW 72h) across weekends.
		{"critical 4h: friday 16:00 → monday 11:00", berlin, "2026-06-05 16:00", 4 * time.Hour, "2026-06-08 11:00"},
		{"critical 4h: monday 10:00 → monday 14:00", berlin, "2026-06-08 10:00", 4 * time.Hour, "2026-06-08 14:00"},
		{"24h: thursday 14:00 → tuesday 11:00", berlin, "2026-06-04 14:00", 24 * time.Hour, "2026-06-09 11:00"},
		{"24h: saturday 12:00 → wednesday 15:00", berlin, "2026-06-06 12:00", 24 * time.Hour, "2026-06-10 15:00"},
		{"48h: friday 12:00 → next friday 15:00", berlin, "2026-06-05 12:00", 48 * time.Hour, "2026-06-12 15:00"},
		{"72h: wednesday 10:00 → monday after next 10:00", berlin, "2026-06-03 10:00", 72 * time.Hour, "2026-06-15 10:00"},
		{"72h: wednesday 10:00, monday holiday → tuesday after next 10:00", berlinHoliday, "2026-06-03 10:00", 72 * time.Hour, "2026-06-16 10:00"},
		{"72h over christmas: wednesday 23 dec 10:00 → tuesday 5 jan 10:00", berlinHoliday, "2026-12-23 10:00", 72 * time.Hour, "2027-01-05 10:00"},

		// Split windows 09:00–12:00 and 13:00–18:00.
		{"split: monday 11:30 + 1h → monday 13:30 (lunch skipped)", berlinSplit, "2026-06-08 11:30", time.Hour, "2026-06-08 13:30"},
		{"split: monday 11:00 + 1h → monday 12:00 (closing for lunch)", berlinSplit, "2026-06-08 11:00", time.Hour, "2026-06-08 12:00"},
		{"split: monday 12:30 (lunch) + 1h → monday 14:00", berlinSplit, "2026-06-08 12:30", time.Hour, "2026-06-08 14:00"},
		{"split: monday 13:00 (reopening) + 1h → monday 14:00", berlinSplit, "2026-06-08 13:00", time.Hour, "2026-06-08 14:00"},
		{"split: monday 09:00 + 8h → monday 18:00 (an 8h day)", berlinSplit, "2026-06-08 09:00", 8 * time.Hour, "2026-06-08 18:00"},
		{"split: monday 09:00 + 9h → tuesday 10:00", berlinSplit, "2026-06-08 09:00", 9 * time.Hour, "2026-06-09 10:00"},

		// Windows ending 24:00 (Monday 20:00–24:00, Tuesday 00:00–04:00, Friday 22:00–24:00).
		{"24:00: monday 23:00 + 2h → tuesday 01:00 (open across midnight)", berlinNight, "2026-06-08 23:00", 2 * time.Hour, "2026-06-09 01:00"},
		{"24:00: friday 23:00 + 1h → saturday 00:00 (closing at midnight)", berlinNight, "2026-06-05 23:00", time.Hour, "2026-06-06 00:00"},
		{"24:00: tuesday 04:00 (closing) + 1h → friday 23:00", berlinNight, "2026-06-09 04:00", time.Hour, "2026-06-12 23:00"},
		{"24:00: saturday 00:00 + 4h → monday 24:00", berlinNight, "2026-06-06 00:00", 4 * time.Hour, "2026-06-09 00:00"},

		// 24x7.
		{"24x7 ignores holidays", berlin24x7, "2026-06-06 10:00", time.Hour, "2026-06-06 11:00"},
		{"24x7 ignores opening hours: friday 17:30 + 1h → friday 18:30", berlin24x7, "2026-06-05 17:30", time.Hour, "2026-06-05 18:30"},

		// DST in Europe/Berlin: 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00.
		{"berlin spring-forward weekend: friday 17:00 + 2h → monday 10:00 CEST", berlin, "2026-03-27T17:00:00+01:00", 2 * time.Hour, "2026-03-30T10:00:00+02:00"},
		{"berlin fall-back weekend: friday 17:00 + 2h → monday 10:00 CET", berlin, "2026-10-23T17:00:00+02:00", 2 * time.Hour, "2026-10-26T10:00:00+01:00"},
		{"berlin 24x7 across spring-forward: 24h is 24 real hours, saturday 12:00 → sunday 13:00", berlin24x7, "2026-03-28T12:00:00+01:00", 24 * time.Hour, "2026-03-29T13:00:00+02:00"},
		{"berlin 24x7 across fall-back: 24h is 24 real hours, saturday 12:00 → sunday 11:00", berlin24x7, "2026-10-24T12:00:00+02:00", 24 * time.Hour, "2026-10-25T11:00:00+01:00"},
		{"berlin 00:00-24:00 on spring-forward sunday is 23h: 00:00 + 23h → 24:00", berlinSunday, "2026-03-29T00:00:00+01:00", 23 * time.Hour, "2026-03-30T00:00:00+02:00"},
		{"berlin 00:00-24:00 on spring-forward sunday is 23h: 00:00 + 24h → next sunday 01:00", berlinSunday, "2026-03-29T00:00:00+01:00", 24 * time.Hour, "2026-04-05T01:00:00+02:00"},
		{"berlin 00:00-24:00 on fall-back sunday is 25h: 00:00 + 25h → 24:00", berlinSunday, "2026-10-25T00:00:00+02:00", 25 * time.Hour, "2026-10-26T00:00:00+01:00"},
		{"berlin 01:00-05:00 holding the skipped hour is 3h: 01:00 + 2h → 04:00 CEST", berlinSunNite, "2026-03-29T01:00:00+01:00", 2 * time.Hour, "2026-03-29T04:00:00+02:00"},
		{"berlin 01:00-05:00 holding the skipped hour is 3h: 01:00 + 3h → 05:00 CEST", berlinSunNite, "2026-03-29T01:00:00+01:00", 3 * time.Hour, "2026-03-29T05:00:00+02:00"},
		{"berlin 01:00-05:00 holding the repeated hour is 5h: 01:00 + 2h → second 02:00", berlinSunNite, "2026-10-25T01:00:00+02:00", 2 * time.Hour, "2026-10-25T02:00:00+01:00"},
		{"berlin 01:00-05:00 holding the repeated hour is 5h: 01:00 + 5h → 05:00 CET", berlinSunNite, "2026-10-25T01:00:00+02:00", 5 * time.Hour, "2026-10-25T05:00:00+01:00"},
		{"berlin window opening in the skipped hour (02:30) opens at 03:00 CEST", berlinSunGap, "2026-03-28T12:00:00+01:00", 30 * time.Minute, "2026-03-29T03:30:00+02:00"},

		// DST in America/New_York: 2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00.
		{"new york spring-forward weekend: friday 17:00 + 2h → monday 10:00 EDT", newYork, "2026-03-06T17:00:00-05:00", 2 * time.Hour, "2026-03-09T10:00:00-04:00"},
		{"new york fall-back weekend: friday 17:00 + 2h → monday 10:00 EST", newYork, "2026-10-30T17:00:00-04:00", 2 * time.Hour, "2026-11-02T10:00:00-05:00"},
		{"new york 24x7 across spring-forward: saturday 12:00 + 24h → sunday 13:00", newYork24x7, "2026-03-07T12:00:00-05:00", 24 * time.Hour, "2026-03-08T13:00:00-04:00"},
		{"new york 24x7 across fall-back: saturday 12:00 + 24h → sunday 11:00", newYork24x7, "2026-10-31T12:00:00-04:00", 24 * time.Hour, "2026-11-01T11:00:00-05:00"},
		{"new york 00:30-01:30 on fall-back sunday closes at the first 01:30", newYorkSunEnd, "2026-11-01T00:30:00-04:00", time.Hour, "2026-11-01T01:30:00-04:00"},
		{"new york 00:30-01:30: the second 01:15 is after closing → next sunday", newYorkSunEnd, "2026-11-01T01:15:00-05:00", 30 * time.Minute, "2026-11-08T01:00:00-05:00"},
		{"new york 01:30-03:00 on fall-back sunday is 2.5h: first 01:30 + 2.5h → 03:00 EST", newYorkSunday, "2026-11-01T01:30:00-04:00", 150 * time.Minute, "2026-11-01T03:00:00-05:00"},
		{"new york 00:30-03:00 on spring-forward sunday is 1.5h", newYorkSunday, "2026-03-08T00:30:00-05:00", 90 * time.Minute, "2026-03-08T03:00:00-04:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start, want := at(t, tt.cal, tt.start), at(t, tt.cal, tt.want)
			got := tt.cal.Add(start, tt.d)
			if !got.Equal(want) {
				t.Errorf("Add(%v, %v) = %v, want %v", start, tt.d, got, want.In(tt.cal.Location()))
			}
			if got.Location() != tt.cal.Location() {
				t.Errorf("Add(%v, %v) is in %v, want %v", start, tt.d, got.Location(), tt.cal.Location())
			}
			if d := max(tt.d, 0); tt.cal.Elapsed(start, got) != d {
				t.Errorf("Elapsed(%v, %v) = %v, want %v", start, got, tt.cal.Elapsed(start, got), d)
			}
		})
	}
}

func TestElapsed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cal      *Calendar
		from, to string
		want     time.Duration
	}{
		{"friday 17:00 → monday 10:00 is 2h", berlin, "2026-06-05 17:00", "2026-06-08 10:00", 2 * time.Hour},
		{"friday 17:00 → tuesday 10:00, monday holiday, is 2h", berlinHoliday, "2026-06-05 17:00", "2026-06-09 10:00", 2 * time.Hour},
		{"to before from is 0", berlin, "2026-06-08 12:00", "2026-06-08 10:00", 0},
		{"same instant is 0", berlin, "2026-06-08 12:00", "2026-06-08 12:00", 0},
		{"weekend is 0: saturday 10:00 → monday 08:00", berlin, "2026-06-06 10:00", "2026-06-08 08:00", 0},
		{"inside one window: monday 10:00 → 10:00:01.5 is 1.5s", berlin, "2026-06-08 10:00", "2026-06-08 10:00:01.5", 1500 * time.Millisecond},
		{"a week is 45h", berlin, "2026-06-08 00:00", "2026-06-15 00:00", 45 * time.Hour},
		{"a week with a holiday is 36h", berlinHoliday, "2026-06-08 00:00", "2026-06-15 00:00", 36 * time.Hour},
		{"a year is 261 days of 9h", berlin, "2026-01-01 00:00", "2027-01-01 00:00", 261 * 9 * time.Hour},
		{"split: lunch does not count, monday 11:00 → 14:00 is 2h", berlinSplit, "2026-06-08 11:00", "2026-06-08 14:00", 2 * time.Hour},
		{"24:00: monday 23:00 → tuesday 01:00 is 2h", berlinNight, "2026-06-08 23:00", "2026-06-09 01:00", 2 * time.Hour},
		{"24x7 ignores holidays: saturday → sunday is 24h", berlin24x7, "2026-06-06 00:00", "2026-06-07 00:00", 24 * time.Hour},
		{"24x7 across berlin spring-forward: saturday 12:00 → sunday 12:00 is 23h", berlin24x7, "2026-03-28 12:00", "2026-03-29 12:00", 23 * time.Hour},
		{"24x7 across new york fall-back: saturday 12:00 → sunday 12:00 is 25h", newYork24x7, "2026-10-31 12:00", "2026-11-01 12:00", 25 * time.Hour},
		{"berlin spring-forward weekend: friday 17:00 → monday 10:00 is 2h", berlin, "2026-03-27 17:00", "2026-03-30 10:00", 2 * time.Hour},
		{"berlin spring-forward sunday 00:00-24:00 is 23h", berlinSunday, "2026-03-28 00:00", "2026-03-31 00:00", 23 * time.Hour},
		{"berlin fall-back sunday 00:00-24:00 is 25h", berlinSunday, "2026-10-24 00:00", "2026-10-27 00:00", 25 * time.Hour},
		{"berlin spring-forward sunday 02:30-04:00 is 1h", berlinSunGap, "2026-03-28 00:00", "2026-03-31 00:00", time.Hour},
		{"new york fall-back sunday 00:30-03:00 is 3.5h", newYorkSunday, "2026-10-31 00:00", "2026-11-02 00:00", 210 * time.Minute},
		{"new york spring-forward sunday 00:30-03:00 is 1.5h", newYorkSunday, "2026-03-07 00:00", "2026-03-09 00:00", 90 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			from, to := at(t, tt.cal, tt.from), at(t, tt.cal, tt.to)
			if got := tt.cal.Elapsed(from, to); got != tt.want {
				t.Errorf("Elapsed(%v, %v) = %v, want %v", from, to, got, tt.want)
			}
		})
	}
}

// propertyCalendars are the calendars of the property tests: DST zones,
// split windows, windows at midnight and in the hours the clocks change.
var propertyCalendars = map[string]*Calendar{
	"berlin":                   berlin,
	"berlin holiday":           berlinHoliday,
	"berlin split":             berlinSplit,
	"berlin night":             berlinNight,
	"berlin sunday":            berlinSunday,
	"berlin 01-05":             berlinSunNite,
	"berlin gap":               berlinSunGap,
	"new york":                 newYork,
	"new york 24x7":            newYork24x7,
	"new york dst":             newYorkSunday,
	"new york end":             newYorkSunEnd,
	"new york US":              newYorkUS,
	"berlin DE, every day":     berlinDEDaily,
	"berlin DE, 24 and 31 dec": berlinDEEves,
	"sydney AU":                sydneyAU,
	"sydney": mustNew("Australia/Sydney", false,
		hours(weekdays+" 08:30-12:15", weekdays+" 12:45-17:00", "SUNDAY 01:00-04:00", "SATURDAY 00:00-24:00"),
		"2026-01-26", "2026-04-03", "2026-12-25"),
	"lord howe (30 min dst)": mustNew("Australia/Lord_Howe", false, hours("SUNDAY 01:00-03:00", "MONDAY 09:00-10:00")),
	"santiago (dst at midnight)": mustNew("America/Santiago", false,
		hours("SATURDAY 22:00-24:00", "SUNDAY 00:00-01:00", "SUNDAY 23:00-24:00", weekdays+" 00:00-00:30")),
}

func TestAddElapsedRoundTrip(t *testing.T) {
	t.Parallel()
	for name, c := range propertyCalendars {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(1, 2))
			lo := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
			hi := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
			for i := range 3000 {
				start := time.Unix(0, lo+rng.Int64N(hi-lo))
				var d time.Duration
				switch i % 4 {
				case 0:
					d = time.Duration(rng.Int64N(int64(4 * time.Hour)))
				case 1:
					d = time.Duration(rng.Int64N(200*60)) * time.Minute
				case 2:
					d = time.Duration(rng.Int64N(int64(100 * time.Hour)))
				case 3:
					start = start.Truncate(15 * time.Minute)
					d = time.Duration(rng.Int64N(4*24)) * 15 * time.Minute
				}
				got := c.Add(start, d)
				if got.Before(start) {
					t.Fatalf("Add(%v, %v) = %v, before the start", start, d, got)
				}
				if e := c.Elapsed(start, got); e != d {
					t.Fatalf("Elapsed(%v, Add(…, %v) = %v) = %v, want %v", start, d, got, e, d)
				}
				if d > 0 {
					if e := c.Elapsed(start, got.Add(-1)); e >= d {
						t.Fatalf("Add(%v, %v) = %v is not the earliest: 1ns before, %v has elapsed", start, d, got, e)
					}
				}
				// Additivity: Elapsed(a, c) == Elapsed(a, b) + Elapsed(b, c).
				mid := start.Add(time.Duration(rng.Int64N(int64(got.Sub(start)) + 1)))
				if a, b := c.Elapsed(start, mid), c.Elapsed(mid, got); a+b != d {
					t.Fatalf("Elapsed(%v, %v) + Elapsed(…, %v) = %v + %v, want %v", start, mid, got, a, b, d)
				}
			}
		})
	}
}

// TestElapsedMatchesMinuteByMinute checks Elapsed against the obvious
// (slow) definition, on calendars whose windows avoid the hours the clocks
// change (where "the local clock shows a time in a window" would count a
// repeated hour twice).
func TestElapsedMatchesMinuteByMinute(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]*Calendar{
		"berlin holiday": berlinHoliday, "berlin split": berlinSplit, "berlin night": berlinNight,
		"berlin sunday": berlinSunday, "new york": newYork,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			open := func(i time.Time) bool {
				l := i.In(c.Location())
				day := floorDiv(time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC).Unix(), secondsPerDay)
				if _, hol := slices.BinarySearch(c.holidays, day); hol {
					return false
				}
				m := int32(l.Hour()*60 + l.Minute())
				for _, w := range c.week[l.Weekday()] {
					if w.start <= m && m < w.end {
						return true
					}
				}
				return false
			}
			rng := rand.New(rand.NewPCG(3, 4))
			// Spans around the 2026 DST changes of Europe and the US.
			centres := []time.Time{
				time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC),
				time.Date(2026, 6, 8, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC),
				time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC),
			}
			for range 40 {
				centre := centres[rng.IntN(len(centres))]
				from := centre.Add(time.Duration(rng.Int64N(5*24*60)-3*24*60) * time.Minute)
				to := from.Add(time.Duration(rng.Int64N(6*24*60)) * time.Minute)
				var want time.Duration
				for i := from; i.Before(to); i = i.Add(time.Minute) {
					if open(i) {
						want += time.Minute
					}
				}
				if got := c.Elapsed(from, to); got != want {
					t.Fatalf("Elapsed(%v, %v) = %v, want %v (minute by minute)", from, to, got, want)
				}
			}
		})
	}
}

func TestHorizon(t *testing.T) {
	t.Parallel()
	// Open one hour a week, and every one of those hours is a holiday for
	// 40 years: Add must still return, counting real time past the 20-year
	// horizon.
	var holidays []string
	for d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2060; d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Wednesday {
			holidays = append(holidays, d.Format(time.DateOnly))
		}
	}
	never := mustNew("Europe/Berlin", false, hours("WEDNESDAY 10:00-11:00"), holidays...)
	start := at(t, never, "2026-06-08 12:00")

	tests := []struct {
		name  string
		cal   *Calendar
		start time.Time
		d     time.Duration
		check func(got time.Time) error
	}{
		{"open 1h a week, all holidays: 1h → 1h past the 20-year horizon", never, start, time.Hour, func(got time.Time) error {
			if lo, hi := start.AddDate(20, 0, 0), start.AddDate(20, 0, 3); got.Before(lo) || got.After(hi) {
				return fmt.Errorf("got %v, want between %v and %v", got, lo, hi)
			}
			return nil
		}},
		{"open 1h a week, after the last holiday: 1h → next wednesday 11:00", never, at(t, never, "2061-06-06 12:00"), time.Hour, func(got time.Time) error {
			if want := at(t, never, "2061-06-08 11:00"); !got.Equal(want) {
				return fmt.Errorf("got %v, want %v", got, want)
			}
			return nil
		}},
		{"a million hours of business time end past the horizon", berlin, start, 1e6 * time.Hour, func(got time.Time) error {
			if lo := start.AddDate(20, 0, 0); got.Before(lo) {
				return fmt.Errorf("got %v, want after %v", got, lo)
			}
			return nil
		}},
		{"the longest duration ends past the horizon", berlinHoliday, start, math.MaxInt64, func(got time.Time) error {
			if lo := start.AddDate(250, 0, 0); got.Before(lo) {
				return fmt.Errorf("got %v, want after %v", got, lo)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.cal.Add(tt.start, tt.d)
			if err := tt.check(got); err != nil {
				t.Error(err)
			}
			if e := tt.cal.Elapsed(tt.start, got); e != tt.d {
				t.Errorf("Elapsed(%v, %v) = %v, want %v", tt.start, got, e, tt.d)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	def := DefaultOpeningHours()
	tests := []struct {
		name       string
		timezone   string
		alwaysOpen bool
		hours      []OpeningHours
		holidays   []string
		want       string // the whole message, after "bizhours: "
	}{
		{"empty time zone", "", false, def, nil, `time zone is empty: want an IANA time zone name such as "Europe/Berlin"`},
		{"empty time zone, even 24x7", "", true, nil, nil, `time zone is empty: want an IANA time zone name such as "Europe/Berlin"`},
		{"unknown time zone", "Mars/Olympus_Mons", false, def, nil, `unknown time zone "Mars/Olympus_Mons": want an IANA time zone name such as "Europe/Berlin"`},
		{"time zone in the wrong case", "europe/berlin", false, def, nil, `unknown time zone "europe/berlin": want an IANA time zone name such as "Europe/Berlin"`},
		{"Local is not an IANA time zone", "Local", false, def, nil, `time zone "Local": want an IANA time zone name such as "Europe/Berlin"`},
		{"weekday not an enum value", "UTC", false, hours("monday 09:00-18:00"), nil, `opening hours weekday "monday": want one of MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY`},
		{"weekday empty", "UTC", false, hours(" 09:00-18:00"), nil, `opening hours weekday "": want one of MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY`},
		{"start not HH:MM", "UTC", false, hours("MONDAY 9:00-18:00"), nil, `opening hours "9:00" for MONDAY: want HH:MM`},
		{"end not HH:MM", "UTC", false, hours("TUESDAY 09:00-18h00"), nil, `opening hours "18h00" for TUESDAY: want HH:MM`},
		{"time with seconds", "UTC", false, hours("MONDAY 09:00:00-18:00"), nil, `opening hours "09:00:00" for MONDAY: want HH:MM`},
		{"empty time", "UTC", false, hours("MONDAY 09:00-"), nil, `opening hours "" for MONDAY: want HH:MM`},
		{"hour out of range", "UTC", false, hours("MONDAY 09:00-25:00"), nil, `opening hours "25:00" for MONDAY: want a time from 00:00 to 24:00`},
		{"minute out of range", "UTC", false, hours("MONDAY 09:60-18:00"), nil, `opening hours "09:60" for MONDAY: want a time from 00:00 to 24:00`},
		{"minute 60", "UTC", false, hours("MONDAY 09:00-12:60"), nil, `opening hours "12:60" for MONDAY: want a time from 00:00 to 24:00`},
		{"past 24:00", "UTC", false, hours("MONDAY 09:00-24:01"), nil, `opening hours "24:01" for MONDAY: want a time from 00:00 to 24:00`},
		{"start equal to end", "UTC", false, hours("MONDAY 09:00-09:00"), nil, `opening hours 09:00-09:00 for MONDAY: want the start before the end`},
		{"start after end", "UTC", false, hours("FRIDAY 18:00-09:00"), nil, `opening hours 18:00-09:00 for FRIDAY: want the start before the end`},
		{"window across midnight ends before its start", "UTC", false, hours("SATURDAY 22:00-02:00"), nil, `opening hours 22:00-02:00 for SATURDAY: want the start before the end`},
		{"start 24:00", "UTC", false, hours("FRIDAY 24:00-24:00"), nil, `opening hours 24:00-24:00 for FRIDAY: want the start before the end`},
		{"overlapping windows", "UTC", false, hours("MONDAY 13:00-18:00", "MONDAY 09:00-13:30"), nil, `opening hours 09:00-13:30 and 13:00-18:00 for MONDAY overlap: want windows that do not overlap`},
		{"window inside another", "UTC", false, hours("SUNDAY 09:00-18:00", "SUNDAY 12:00-13:00"), nil, `opening hours 09:00-18:00 and 12:00-13:00 for SUNDAY overlap: want windows that do not overlap`},
		{"overlap on one weekday among valid days", "UTC", false, hours(weekdays+" 09:00-12:00", "THURSDAY 11:00-14:00"), nil, `opening hours 09:00-12:00 and 11:00-14:00 for THURSDAY overlap: want windows that do not overlap`},
		{"the same window twice", "UTC", false, hours("WEDNESDAY 09:00-18:00", "WEDNESDAY 09:00-18:00"), nil, `opening hours 09:00-18:00 and 09:00-18:00 for WEDNESDAY overlap: want windows that do not overlap`},
		{"holiday not YYYY-MM-DD", "UTC", false, def, []string{"25.12.2026"}, `holiday "25.12.2026": want a date YYYY-MM-DD`},
		{"holiday without leading zeros", "UTC", false, def, []string{"2026-1-5"}, `holiday "2026-1-5": want a date YYYY-MM-DD`},
		{"holiday not a day of the month", "UTC", false, def, []string{"2026-02-29"}, `holiday "2026-02-29": want a date YYYY-MM-DD`},
		{"holiday with a time", "UTC", false, def, []string{"2026-12-25T00:00:00Z"}, `holiday "2026-12-25T00:00:00Z": want a date YYYY-MM-DD`},
		{"holiday empty", "UTC", false, def, []string{""}, `holiday "": want a date YYYY-MM-DD`},
		{"no opening hours, not always open", "UTC", false, nil, nil, `no opening hours: want at least one window (e.g. MONDAY 09:00-18:00), or an always open calendar`},
		{"only holidays, not always open", "UTC", false, []OpeningHours{}, []string{"2026-12-25"}, `no opening hours: want at least one window (e.g. MONDAY 09:00-18:00), or an always open calendar`},
		{"24x7 still validates hours", "UTC", true, hours("MONDAY 9-18"), nil, `opening hours "9" for MONDAY: want HH:MM`},
		{"24x7 still validates holidays", "UTC", true, nil, []string{"christmas"}, `holiday "christmas": want a date YYYY-MM-DD`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.timezone, tt.alwaysOpen, tt.hours, tt.holidays)
			if err == nil {
				t.Fatalf("New = %v, want error %q", c, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
			if want := "bizhours: " + tt.want; err.Error() != want {
				t.Errorf("error = %q\nwant    %q", err, want)
			}
		})
	}
}

func TestNewValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		timezone   string
		alwaysOpen bool
		hours      []OpeningHours
		holidays   []string
	}{
		{"default hours", "Europe/Berlin", false, DefaultOpeningHours(), nil},
		{"24x7 needs no hours", "America/New_York", true, nil, nil},
		{"UTC", "UTC", false, DefaultOpeningHours(), nil},
		{"touching windows", "UTC", false, hours("MONDAY 09:00-12:00", "MONDAY 12:00-18:00"), nil},
		{"the same times on different weekdays do not overlap", "UTC", false, hours("MONDAY 09:00-18:00", "TUESDAY 09:00-18:00"), nil},
		{"windows in any order", "UTC", false, hours("MONDAY 13:00-18:00", "MONDAY 09:00-12:00"), nil},
		{"00:00-24:00", "UTC", false, hours("SATURDAY 00:00-24:00"), nil},
		{"duplicate holidays", "UTC", false, DefaultOpeningHours(), []string{"2026-12-25", "2026-12-25"}},
		{"leap day holiday", "UTC", false, DefaultOpeningHours(), []string{"2028-02-29"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.timezone, tt.alwaysOpen, tt.hours, tt.holidays)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := c.Location().String(); got != tt.timezone {
				t.Errorf("Location() = %s, want %s", got, tt.timezone)
			}
			if c.AlwaysOpen() != tt.alwaysOpen {
				t.Errorf("AlwaysOpen() = %v, want %v", c.AlwaysOpen(), tt.alwaysOpen)
			}
		})
	}
}

func TestTouchingWindowsAreOneWindow(t *testing.T) {
	t.Parallel()
	c := mustNew("UTC", false, hours("MONDAY 12:00-18:00", "MONDAY 09:00-12:00", "MONDAY 18:00-19:00"))
	if want := []window{{9 * 60, 19 * 60}}; !slices.Equal(c.week[time.Monday], want) {
		t.Errorf("monday windows = %v, want %v", c.week[time.Monday], want)
	}
	start := time.Date(2026, 6, 8, 11, 30, 0, 0, time.UTC)
	if got, want := c.Add(start, time.Hour), start.Add(time.Hour); !got.Equal(want) {
		t.Errorf("Add(%v, 1h) = %v, want %v", start, got, want)
	}
}

func TestZeroCalendarIsAlwaysOpenInUTC(t *testing.T) {
	t.Parallel()
	var c Calendar
	start := time.Date(2026, 6, 6, 10, 0, 0, 0, time.UTC)
	if !c.AlwaysOpen() || c.Location() != time.UTC {
		t.Errorf("zero Calendar: AlwaysOpen() = %v, Location() = %v; want true, UTC", c.AlwaysOpen(), c.Location())
	}
	if got := c.Add(start, time.Hour); !got.Equal(start.Add(time.Hour)) {
		t.Errorf("Add = %v, want %v", got, start.Add(time.Hour))
	}
	if got := c.Elapsed(start, start.Add(time.Hour)); got != time.Hour {
		t.Errorf("Elapsed = %v, want 1h", got)
	}
}

func TestDefaultOpeningHours(t *testing.T) {
	t.Parallel()
	want := []OpeningHours{
		{Monday, "09:00", "18:00"}, {Tuesday, "09:00", "18:00"}, {Wednesday, "09:00", "18:00"},
		{Thursday, "09:00", "18:00"}, {Friday, "09:00", "18:00"},
	}
	got := DefaultOpeningHours()
	if !slices.Equal(got, want) {
		t.Fatalf("DefaultOpeningHours() = %v, want %v", got, want)
	}
	got[0].Start = "00:00"
	if again := DefaultOpeningHours(); !slices.Equal(again, want) {
		t.Errorf("DefaultOpeningHours() shares its slice: %v", again)
	}
}

func TestWeekday(t *testing.T) {
	t.Parallel()
	valid := []Weekday{Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday}
	for _, w := range valid {
		t.Run(string(w)+" is valid and round-trips through GraphQL", func(t *testing.T) {
			t.Parallel()
			if !w.IsValid() {
				t.Errorf("%s.IsValid() = false", w)
			}
			var buf bytes.Buffer
			w.MarshalGQL(&buf)
			if want := `"` + string(w) + `"`; buf.String() != want {
				t.Errorf("MarshalGQL wrote %s, want %s", buf.String(), want)
			}
			var got Weekday
			if err := got.UnmarshalGQL(string(w)); err != nil || got != w {
				t.Errorf("UnmarshalGQL(%q) = %q, %v", w, got, err)
			}
		})
	}
	for _, tt := range []struct {
		name string
		v    any
		want string
	}{
		{"lower case is invalid", "monday", `bizhours: weekday "monday": want one of MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY`},
		{"empty is invalid", "", `bizhours: weekday "": want one of MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY`},
		{"a number is invalid", 1, `bizhours: weekday 1 (int): want a string, one of MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY`},
		{"nil is invalid", nil, `bizhours: weekday <nil> (<nil>): want a string, one of MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if s, ok := tt.v.(string); ok && Weekday(s).IsValid() {
				t.Errorf("Weekday(%q).IsValid() = true", s)
			}
			w := Saturday
			err := w.UnmarshalGQL(tt.v)
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrInvalid) {
				t.Errorf("UnmarshalGQL(%#v) = %v, want %q wrapping ErrInvalid", tt.v, err, tt.want)
			}
			if w != Saturday {
				t.Errorf("UnmarshalGQL(%#v) changed the weekday to %q", tt.v, w)
			}
		})
	}
}

func BenchmarkAdd(b *testing.B) {
	holidays := []string{"2026-06-08", "2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31", "2027-01-01"}
	withHolidays := mustNew("Europe/Berlin", false, DefaultOpeningHours(), holidays...)
	benchmarks := []struct {
		name  string
		cal   *Calendar
		start time.Time
		d     time.Duration
	}{
		{"friday 17:30 + 1h", berlin, time.Date(2026, 6, 5, 17, 30, 0, 0, berlin.Location()), time.Hour},
		{"critical 4h", berlin, time.Date(2026, 6, 8, 10, 0, 0, 0, berlin.Location()), 4 * time.Hour},
		{"low 72h over a weekend and holiday", withHolidays, time.Date(2026, 6, 3, 10, 0, 0, 0, berlin.Location()), 72 * time.Hour},
		{"72h over the spring-forward weekend", berlin, time.Date(2026, 3, 25, 10, 0, 0, 0, berlin.Location()), 72 * time.Hour},
		{"split windows 24h", berlinSplit, time.Date(2026, 6, 5, 17, 30, 0, 0, berlin.Location()), 24 * time.Hour},
		{"24x7", berlin24x7, time.Date(2026, 6, 5, 17, 30, 0, 0, berlin.Location()), 72 * time.Hour},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				bm.cal.Add(bm.start, bm.d)
			}
		})
	}
}

func BenchmarkElapsed(b *testing.B) {
	from := time.Date(2026, 6, 5, 17, 30, 0, 0, berlin.Location())
	to := from.Add(7 * 24 * time.Hour)
	for b.Loop() {
		berlin.Elapsed(from, to)
	}
}

func BenchmarkNew(b *testing.B) {
	hs := DefaultOpeningHours()
	holidays := []string{"2026-12-24", "2026-12-25", "2026-12-26", "2026-12-31", "2027-01-01"}
	for b.Loop() {
		if _, err := New("Europe/Berlin", false, hs, holidays); err != nil {
			b.Fatal(err)
		}
	}
}
