package bizhours

// The seed corpus of the fuzz tests (fuzz_test.go): named scenarios,
// written out readably and encoded into fuzz inputs.

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fuzzCal is a fuzzed calendar written out, for the seeds: bytes encodes it
// as fuzzConfig decodes it.
type fuzzCal struct {
	zone       string
	alwaysOpen bool
	country    string
	hours      []OpeningHours
	// holidays are days after the local date of the seed's start,
	// increasing.
	holidays []int
}

func (s fuzzCal) bytes() []byte {
	zone := slices.Index(fuzzZones, s.zone)
	if zone < 0 {
		panic("fuzz seed: zone " + s.zone + " is not in fuzzZones")
	}
	hs := slices.Clone(s.hours)
	minutes := func(h OpeningHours) (int32, int32) {
		a, err := parseClock(h.Start, h.Weekday)
		if err != nil {
			panic(err)
		}
		b, err := parseClock(h.End, h.Weekday)
		if err != nil {
			panic(err)
		}
		return a, b
	}
	var flags byte
	if s.alwaysOpen {
		flags |= fuzzAlwaysOpen
	}
	for _, h := range hs {
		if a, b := minutes(h); a%15 != 0 || b%15 != 0 {
			flags |= fuzzMinutes
		}
	}
	out := []byte{byte(zone), 0}
	if s.country != "" {
		flags |= fuzzCountry
		i := slices.Index(countryCodes, s.country)
		if i < 0 {
			panic("fuzz seed: unknown holiday country " + s.country)
		}
		out = append(out, byte(i))
	}
	out[1] = flags
	slices.SortFunc(hs, func(a, b OpeningHours) int {
		if c := slices.Index(fuzzWeek, a.Weekday) - slices.Index(fuzzWeek, b.Weekday); c != 0 {
			return c
		}
		return strings.Compare(a.Start, b.Start)
	})
	for _, wd := range fuzzWeek {
		var day [][2]int32
		for _, h := range hs {
			if h.Weekday == wd {
				a, b := minutes(h)
				day = append(day, [2]int32{a, b})
			}
		}
		if len(day) > 3 {
			panic("fuzz seed: more than 3 windows on " + string(wd))
		}
		out = append(out, byte(len(day)))
		var cursor int32
		for _, w := range day {
			gap, length := w[0]-cursor, w[1]-w[0]
			if flags&fuzzMinutes != 0 {
				out = append(out, byte(gap>>8), byte(gap), byte((length-1)>>8), byte(length-1))
			} else {
				out = append(out, byte(gap/15), byte(length/15-1))
			}
			cursor = w[1]
		}
	}
	if len(s.holidays) > 7 {
		panic("fuzz seed: more than 7 holidays")
	}
	out = append(out, byte(len(s.holidays)))
	for i, d := range s.holidays {
		v := d + 32
		if i > 0 {
			v = d - s.holidays[i-1] - 1
		}
		if v < 0 || v > 255 {
			panic(fmt.Sprintf("fuzz seed: holiday %d days after the start cannot be encoded", d))
		}
		out = append(out, byte(v))
	}
	return out
}

// fuzzSeed is a named scenario of the seed corpus: a calendar, a start and
// two durations (Add's two durations, or Elapsed's two gaps t1→t2, t2→t3).
type fuzzSeed struct {
	name   string
	cal    fuzzCal
	at     string // local time in the zone, or RFC 3339 with an offset
	d1, d2 time.Duration
}

func (s fuzzSeed) start() time.Time {
	if t, err := time.Parse(time.RFC3339, s.at); err == nil {
		return t
	}
	loc, err := loadLocation(s.cal.zone)
	if err != nil {
		panic(err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s.at, loc)
	if err != nil {
		panic(err)
	}
	return t
}

var fuzzSeeds = []fuzzSeed{
	// Clock changes in New York (02:00 → 03:00 on 8 March 2026, 02:00 → 01:00
	// on 1 November), with Sunday windows before, inside and after the gap.
	{"new-york-spring-forward", fuzzCal{zone: "America/New_York",
		hours: hours(weekdays+" 09:00-18:00", "SUNDAY 00:00-01:30", "SUNDAY 02:00-03:00", "SUNDAY 04:00-24:00")},
		"2026-03-08 00:45", 2 * time.Hour, 20 * time.Hour},
	{"new-york-fall-back", fuzzCal{zone: "America/New_York",
		hours: hours(weekdays+" 09:00-18:00", "SUNDAY 00:00-01:30", "SUNDAY 02:00-03:00", "SUNDAY 04:00-24:00")},
		"2026-11-01T00:45:00-04:00", 90 * time.Minute, 26 * time.Hour},
	// Amsterdam (02:00 → 03:00 on 29 March 2026, 03:00 → 02:00 on 25
	// October): touching windows across the gap, a 25-hour Sunday.
	{"amsterdam-spring-forward", fuzzCal{zone: "Europe/Amsterdam",
		hours: hours(weekdays+" 08:00-12:00", weekdays+" 13:00-17:00", "SATURDAY 22:00-24:00",
			"SUNDAY 00:00-02:00", "SUNDAY 02:00-03:00", "SUNDAY 03:00-05:00")},
		"2026-03-28 23:00", 90 * time.Minute, 5 * time.Hour},
	{"amsterdam-fall-back", fuzzCal{zone: "Europe/Amsterdam",
		hours: hours(weekdays+" 09:00-18:00", "SUNDAY 00:00-24:00")},
		"2026-10-25T01:30:00+02:00", time.Hour, 25 * time.Hour},
	// Santiago, southern DST at midnight (Saturday 24:00 → Sunday 01:00 on
	// 6 September 2026, Saturday 24:00 → 23:00 on 4 April).
	{"santiago-spring-forward", fuzzCal{zone: "America/Santiago",
		hours: hours(weekdays+" 09:00-18:00", "SATURDAY 22:00-24:00", "SUNDAY 00:00-01:00", "SUNDAY 01:00-03:00")},
		"2026-09-05 21:00", 2 * time.Hour, 4 * time.Hour},
	{"santiago-fall-back", fuzzCal{zone: "America/Santiago",
		hours: hours(weekdays+" 09:00-18:00", "SATURDAY 22:00-24:00", "SUNDAY 00:00-01:00", "SUNDAY 01:00-03:00")},
		"2026-04-04 21:00", 150 * time.Minute, 30 * time.Hour},
	// A lunch break: Monday 11:30 + 1h is 14:30.
	{"lunch-break", fuzzCal{zone: "America/Bogota",
		hours: hours(weekdays+" 08:00-12:00", weekdays+" 14:00-18:00", "SATURDAY 09:00-13:00")},
		"2026-06-08 11:30", time.Hour, 9 * time.Hour},
	// A holiday run over a weekend: Thursday 2 April 2026 17:00 + 2h, with
	// Friday, Monday and Tuesday holidays, is Wednesday 10:00.
	{"holiday-run-over-weekend", fuzzCal{zone: "Europe/Amsterdam", country: "NL",
		hours: hours(weekdays + " 09:00-18:00"), holidays: []int{1, 4, 5}},
		"2026-04-02 17:00", 2 * time.Hour, 9 * time.Hour},
	// Always open: hours, holidays and country are ignored, across Lord
	// Howe's 30-minute fall-back (02:00 → 01:30 on 5 April 2026).
	{"always-open", fuzzCal{zone: "Australia/Lord_Howe", alwaysOpen: true, country: "AU",
		hours: hours(weekdays + " 09:00-18:00"), holidays: []int{0, 1}},
		"2026-04-05 01:15", time.Hour, 48 * time.Hour},
	// Lord Howe's 30-minute spring-forward (02:00 → 02:30 on 4 October 2026).
	{"lord-howe-half-hour-dst", fuzzCal{zone: "Australia/Lord_Howe",
		hours: hours("SUNDAY 01:00-03:00", "MONDAY 09:00-10:00")},
		"2026-10-03 23:00", time.Hour, 3 * time.Hour},
	// Chatham, +12:45, springs forward at 02:45 (27 September 2026); windows
	// on odd minutes.
	{"chatham-odd-minutes", fuzzCal{zone: "Pacific/Chatham",
		hours: hours("SUNDAY 02:40-04:10", weekdays+" 08:50-17:05")},
		"2026-09-26 20:00", 30 * time.Minute, 10 * time.Hour},
	{"kolkata-odd-minutes", fuzzCal{zone: "Asia/Kolkata",
		hours: hours(weekdays+" 09:07-13:29", weekdays+" 14:01-17:53")},
		"2026-06-08 13:00", 45 * time.Minute, 30 * time.Hour},
	// Apia skipped Friday 30 December 2011.
	{"apia-skipped-day", fuzzCal{zone: "Pacific/Apia",
		hours: hours(weekdays + ",SATURDAY,SUNDAY 08:00-17:00")},
		"2011-12-29 16:00", 2 * time.Hour, 24 * time.Hour},
	// Casablanca leaves DST for Ramadan (03:00 → 02:00 on 15 February 2026)
	// and comes back (02:00 → 03:00 on 22 March).
	{"casablanca-ramadan", fuzzCal{zone: "Africa/Casablanca",
		hours: hours(weekdays+" 09:00-18:00", "SUNDAY 01:00-04:00")},
		"2026-02-15 01:30", 2 * time.Hour, 36 * 24 * time.Hour},
	// Havana springs forward at midnight (00:00 → 01:00 on 8 March 2026).
	{"havana-midnight", fuzzCal{zone: "America/Havana",
		hours: hours("SATURDAY 23:00-24:00", "SUNDAY 00:00-00:30", "SUNDAY 00:30-02:00")},
		"2026-03-07 22:00", time.Hour, 100 * time.Hour},
}

var updateFuzzSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/* from fuzzSeeds")

// TestFuzzSeedFilesAreTheNamedScenarios: every seed decodes to the
// calendar its scenario writes out, and the committed seed corpus files
// (testdata/fuzz/<fuzz test>/<scenario>) hold exactly the scenarios, so
// that their names say what they test (-update-fuzz-seeds rewrites them).
func TestFuzzSeedFilesAreTheNamedScenarios(t *testing.T) {
	for _, s := range fuzzSeeds {
		t.Run(s.name, func(t *testing.T) {
			got := fuzzConfig(s.cal.bytes(), s.start())
			want := Config{Timezone: s.cal.zone, AlwaysOpen: s.cal.alwaysOpen, HolidayCountry: s.cal.country}
			loc, _ := loadLocation(s.cal.zone)
			y, m, d := s.start().In(loc).Date()
			for _, h := range s.cal.holidays {
				want.Holidays = append(want.Holidays, time.Date(y, m, d+h, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
			}
			if fmt.Sprint(got.Timezone, got.AlwaysOpen, got.HolidayCountry, got.Holidays) !=
				fmt.Sprint(want.Timezone, want.AlwaysOpen, want.HolidayCountry, want.Holidays) {
				t.Errorf("decoded %+v, want %+v", got, want)
			}
			if !sameHours(got.OpeningHours, s.cal.hours) {
				t.Errorf("decoded hours %v, want %v", got.OpeningHours, s.cal.hours)
			}
			if _, err := NewFromConfig(got); err != nil {
				t.Errorf("NewFromConfig: %v", err)
			}

			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nint64(%d)\nint64(%d)\nint64(%d)\n",
				s.cal.bytes(), s.start().Unix(), int64(s.d1/time.Second), int64(s.d2/time.Second))
			for _, fuzzer := range []string{"FuzzAddElapsedInverse", "FuzzElapsedMonotonic"} {
				path := filepath.Join("testdata", "fuzz", fuzzer, s.name)
				if *updateFuzzSeeds {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if b, err := os.ReadFile(path); err != nil || string(b) != content {
					t.Errorf("%s is not the scenario (run go test -run TestFuzzSeedFiles -update-fuzz-seeds): %v\n%s", path, err, b)
				}
			}
		})
	}
}

// sameHours reports whether a and b are the same windows, in any order.
func sameHours(a, b []OpeningHours) bool {
	key := func(hs []OpeningHours) []string {
		var ks []string
		for _, h := range hs {
			ks = append(ks, fmt.Sprint(h.Weekday, h.Start, h.End))
		}
		slices.Sort(ks)
		return ks
	}
	return slices.Equal(key(a), key(b))
}
