package bizhours

// Fuzz tests: Add ("the instant d of business time after t") and Elapsed
// ("the business time between t1 and t2") are inverses and monotonic, on
// random calendars in time zones that change their clocks both ways, and
// both agree with a plain reference definition of business time.
//
// A fuzz input names a calendar as bytes (fuzzConfig decodes any byte
// string into a Config, valid unless it never opens), an instant as Unix seconds folded into
// 2000–2100, and durations as seconds folded into 0..400 days. The seeds
// are the named scenarios of fuzzSeeds; they run with every `go test`,
// both from f.Add and from the committed files in testdata/fuzz, which
// TestFuzzSeedFilesAreTheNamedScenarios keeps equal to the scenarios
// (fuzz_seeds_test.go). To fuzz, one at a time:
//
//	go test -run=XXX -fuzz=FuzzAddElapsedInverse -fuzztime=3m ./internal/bizhours/
//	go test -run=XXX -fuzz=FuzzElapsedMonotonic -fuzztime=3m ./internal/bizhours/
//
// A failing input is written to testdata/fuzz/<fuzz test>/; commit it with
// the fix, and `go test` runs it from then on.

import (
	"errors"
	"testing"
	"time"
)

// fuzzZones are the time zones of the fuzzed calendars. A calendar names
// one by its index (modulo the length), so append, do not reorder.
var fuzzZones = []string{
	"UTC",
	"America/New_York",    // northern DST at 02:00
	"Europe/Amsterdam",    // the EU rule: 02:00 → 03:00, 03:00 → 02:00
	"America/Santiago",    // southern DST, changing at midnight
	"Australia/Lord_Howe", // +10:30, a DST of 30 minutes
	"America/Bogota",      // -05:00, no DST
	"Asia/Kolkata",        // +05:30, no DST
	"Pacific/Chatham",     // +12:45, DST at 02:45
	"America/St_Johns",    // -03:30 with DST (at 00:01 until 2011)
	"Asia/Kathmandu",      // +05:45
	"America/Havana",      // DST at midnight: 00:00 → 01:00, 01:00 → 00:00
	"Africa/Casablanca",   // DST suspended each Ramadan
	"Pacific/Apia",        // skipped 30 December 2011 (crossed the date line)
	"Europe/Dublin",       // winter is the "negative DST" in the zone database
	"Antarctica/Troll",    // a DST of two hours
}

// The flags byte of a fuzzed calendar.
const (
	// fuzzAlwaysOpen: all three bits set, so one random input in eight is
	// a 24x7 calendar (whose Add and Elapsed are plain arithmetic).
	fuzzAlwaysOpen = 0x07
	// fuzzCountry: a byte follows naming a holiday country.
	fuzzCountry = 0x08
	// fuzzMinutes: window times are any minute (two bytes each) instead
	// of quarter hours (one byte each), where clock changes fall.
	fuzzMinutes = 0x10
)

// fuzzWeek is the order in which a fuzzed calendar lists its days.
var fuzzWeek = []Weekday{Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday}

// fuzzBytes reads a fuzz input; past its end it reads zeros, so that every
// input decodes.
type fuzzBytes []byte

func (b *fuzzBytes) next() int {
	if len(*b) == 0 {
		return 0
	}
	v := (*b)[0]
	*b = (*b)[1:]
	return int(v)
}

func (b *fuzzBytes) next16() int { return b.next()<<8 | b.next() }

// fuzzConfig decodes the calendar of a fuzz input; holidays are dates
// relative to the local date of near. The bytes are: the zone (an index
// into fuzzZones); the flags; with fuzzCountry, the holiday country (an
// index into HolidayCountries()); then for each day Monday … Sunday the
// number of windows (0..3, modulo 4) and for each window the gap since the
// end of the previous one (or since 00:00) and its length, in quarter hours
// (gap 0..96, length 1..96) or with fuzzMinutes in minutes (gap 0..1440,
// length 1..1440), a window ending at the latest at 24:00 and one that
// would start at 24:00 dropped; then the number of holidays (0..7, modulo
// 8), the first one byte-32 days after near's local date and each next one
// 1+byte days after the previous one. Windows never overlap; only a
// calendar that is not always open and has no window at all is invalid.
func fuzzConfig(data []byte, near time.Time) Config {
	b := fuzzBytes(data)
	cfg := Config{Timezone: fuzzZones[b.next()%len(fuzzZones)]}
	flags := b.next()
	cfg.AlwaysOpen = flags&fuzzAlwaysOpen == fuzzAlwaysOpen
	if flags&fuzzCountry != 0 {
		cfg.HolidayCountry = countryCodes[b.next()%len(countryCodes)]
	}
	for _, wd := range fuzzWeek {
		var cursor int32
		for range b.next() % 4 {
			var gap, length int32
			if flags&fuzzMinutes != 0 {
				gap, length = int32(b.next16()%1441), int32(b.next16()%1440+1)
			} else {
				gap, length = int32(b.next()%97)*15, int32(b.next()%96+1)*15
			}
			start := cursor + gap
			if start >= 1440 {
				continue
			}
			end := min(start+length, 1440)
			cfg.OpeningHours = append(cfg.OpeningHours, OpeningHours{Weekday: wd, Start: clock(start), End: clock(end)})
			cursor = end
		}
	}
	loc, err := loadLocation(cfg.Timezone)
	if err != nil {
		panic(err) // fuzzZones are all known zones
	}
	y, m, d := near.In(loc).Date()
	day := 0
	for i := range b.next() % 8 {
		if i == 0 {
			day = b.next() - 32
		} else {
			day += 1 + b.next()
		}
		cfg.Holidays = append(cfg.Holidays, time.Date(y, m, d+day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
	}
	return cfg
}

// fuzzCalendar builds the calendar of a fuzz input. The constructor must
// accept it unless it never opens, which it must reject as invalid (the
// API's BAD_USER_INPUT); such inputs are skipped.
func fuzzCalendar(t *testing.T, data []byte, near time.Time) (*Calendar, Config) {
	t.Helper()
	cfg := fuzzConfig(data, near)
	neverOpen := !cfg.AlwaysOpen && len(cfg.OpeningHours) == 0
	c, err := NewFromConfig(cfg)
	switch {
	case err != nil && neverOpen && errors.Is(err, ErrInvalid):
		t.Skip("a calendar that never opens is rejected")
	case err != nil:
		t.Fatalf("NewFromConfig(%+v): %v", cfg, err)
	case neverOpen:
		t.Fatalf("NewFromConfig(%+v) accepted a calendar that never opens", cfg)
	}
	return c, cfg
}

// Instants and durations of the fuzz inputs, in seconds.
var (
	fuzzFirst = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	fuzzEnd   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

const fuzzMaxDuration = 400 * secondsPerDay

// fuzzInstant folds Unix seconds into [2000, 2100): instants in that range
// stay as they are.
func fuzzInstant(sec int64) time.Time {
	if sec < fuzzFirst || sec >= fuzzEnd {
		n := fuzzEnd - fuzzFirst
		sec = fuzzFirst + (sec%n+n)%n
	}
	return time.Unix(sec, 0)
}

// fuzzDuration folds seconds into 0..400 days: durations in that range stay
// as they are.
func fuzzDuration(sec int64) time.Duration {
	if sec < 0 || sec > fuzzMaxDuration {
		n := int64(fuzzMaxDuration + 1)
		sec = (sec%n + n) % n
	}
	return time.Duration(sec) * time.Second
}

// referenceSpan bounds the spans compared with referenceElapsed (a week
// and a bit: a weekend, a clock change and a holiday or two).
const referenceSpan = 9 * 24 * time.Hour

// FuzzAddElapsedInverse: the due time Add(t, d) is not before t, exactly d
// of business time has elapsed at it, and at no earlier instant (so it may
// be a closing time, SPEC §4); a longer d is not due earlier.
func FuzzAddElapsedInverse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.cal.bytes(), s.start().Unix(), int64(s.d1/time.Second), int64(s.d2/time.Second))
	}
	f.Fuzz(func(t *testing.T, calendar []byte, start, d1, d2 int64) {
		from := fuzzInstant(start)
		c, cfg := fuzzCalendar(t, calendar, from)
		from = from.In(c.Location()) // for the messages
		short, long := fuzzDuration(d1), fuzzDuration(d2)
		if short > long {
			short, long = long, short
		}
		var due [2]time.Time
		for i, d := range []time.Duration{short, long} {
			due[i] = c.Add(from, d)
			if due[i].Before(from) {
				t.Fatalf("%+v: Add(%v, %v) = %v, before the start", cfg, from, d, due[i])
			}
			if e := c.Elapsed(from, due[i]); e != d {
				t.Fatalf("%+v: Elapsed(%v, Add(…, %v) = %v) = %v, want %v", cfg, from, d, due[i], e, d)
			}
			if d == 0 {
				continue
			}
			// The earliest instant: not even a nanosecond earlier (so not a
			// second earlier either).
			if e := c.Elapsed(from, due[i].Add(-1)); e >= d {
				t.Fatalf("%+v: Add(%v, %v) = %v is not the earliest: 1ns before, %v has elapsed", cfg, from, d, due[i], e)
			}
			if due[i].Sub(from) < (horizonDays-2)*24*time.Hour {
				if e := referenceElapsed(c, cfg, due[i].Add(-time.Second), due[i]); e != time.Second {
					t.Fatalf("%+v: Add(%v, %v) = %v, but only %v of the second before it is business time", cfg, from, d, due[i], e)
				}
			}
			if due[i].Sub(from) <= referenceSpan {
				if e := referenceElapsed(c, cfg, from, due[i]); e != d {
					t.Fatalf("%+v: Add(%v, %v) = %v, but the windows in between hold %v", cfg, from, d, due[i], e)
				}
			}
		}
		if due[1].Before(due[0]) {
			t.Fatalf("%+v: Add(%v, %v) = %v is before Add(…, %v) = %v", cfg, from, long, due[1], short, due[0])
		}
	})
}

// FuzzElapsedMonotonic: for t1 <= t2 <= t3, Elapsed(t1, t3) is
// Elapsed(t1, t2) + Elapsed(t2, t3); business time is never negative (and
// 0 backwards) nor more than the real time; Add(t1, Elapsed(t1, t2)) is not
// after t2; and Elapsed over a short span is the sum of the opening
// windows in it.
func FuzzElapsedMonotonic(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.cal.bytes(), s.start().Unix(), int64(s.d1/time.Second), int64(s.d2/time.Second))
	}
	f.Fuzz(func(t *testing.T, calendar []byte, start, gap12, gap23 int64) {
		c, cfg := fuzzCalendar(t, calendar, fuzzInstant(start))
		t1 := fuzzInstant(start).In(c.Location()) // in the zone, for the messages
		t2 := t1.Add(fuzzDuration(gap12))
		t3 := t2.Add(fuzzDuration(gap23))
		e12, e23, e13 := c.Elapsed(t1, t2), c.Elapsed(t2, t3), c.Elapsed(t1, t3)
		for _, e := range []struct {
			from, to time.Time
			got      time.Duration
		}{{t1, t2, e12}, {t2, t3, e23}, {t1, t3, e13}} {
			if e.got < 0 || e.got > e.to.Sub(e.from) {
				t.Fatalf("%+v: Elapsed(%v, %v) = %v, want 0..%v", cfg, e.from, e.to, e.got, e.to.Sub(e.from))
			}
			if back := c.Elapsed(e.to, e.from); back != 0 {
				t.Fatalf("%+v: Elapsed(%v, %v) = %v backwards, want 0", cfg, e.to, e.from, back)
			}
			if e.to.Sub(e.from) <= referenceSpan {
				if want := referenceElapsed(c, cfg, e.from, e.to); e.got != want {
					t.Fatalf("%+v: Elapsed(%v, %v) = %v, but the windows in between hold %v", cfg, e.from, e.to, e.got, want)
				}
			}
		}
		if e12+e23 != e13 {
			t.Fatalf("%+v: Elapsed(%v, %v) + Elapsed(…, %v) = %v + %v, but Elapsed of the whole is %v", cfg, t1, t2, t3, e12, e23, e13)
		}
		if due := c.Add(t1, e12); due.After(t2) {
			t.Fatalf("%+v: Add(%v, Elapsed(…, %v) = %v) = %v, after %v", cfg, t1, t2, e12, due, t2)
		}
	})
}

// referenceElapsed is the business time between from and to by the plain
// definition of the package documentation, without Calendar's walk: the
// sum, over the local dates around the span that are not holidays, of the
// part of the span inside each window of cfg, a window running from the
// first instant the local clock shows its start (or later) to the first
// instant it shows its end (or later). c only answers which days its
// holiday country closes.
func referenceElapsed(c *Calendar, cfg Config, from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if cfg.AlwaysOpen {
		return to.Sub(from)
	}
	loc := c.Location()
	localDay := func(t time.Time) int64 {
		_, off := t.In(loc).Zone()
		return floorDiv(t.Unix()+int64(off), secondsPerDay)
	}
	listed := map[int64]bool{}
	for _, h := range cfg.Holidays {
		d, _ := time.Parse(time.DateOnly, h)
		listed[d.Unix()/secondsPerDay] = true
	}
	var total time.Duration
	for day := localDay(from) - 2; day <= localDay(to)+2; day++ {
		if listed[day] || (c.country != nil && c.country.year(yearOf(day)).has(day)) {
			continue
		}
		wd := weekdayName(time.Unix(day*secondsPerDay, 0).UTC().Weekday())
		for _, h := range cfg.OpeningHours {
			if h.Weekday != wd {
				continue
			}
			start, _ := parseClock(h.Start, wd)
			end, _ := parseClock(h.End, wd)
			a := time.Unix(firstShowing(loc, day*secondsPerDay+int64(start)*60), 0)
			b := time.Unix(firstShowing(loc, day*secondsPerDay+int64(end)*60), 0)
			if a.Before(from) {
				a = from
			}
			if b.After(to) {
				b = to
			}
			if b.After(a) {
				total += b.Sub(a)
			}
		}
	}
	return total
}

// firstShowing returns the first instant (Unix seconds) at which the local
// clock of loc shows wall or later, wall being a local wall-clock time as
// seconds since 1970-01-01 00:00: it walks the zone's periods of constant
// offset from two days before, when the clock surely showed less.
func firstShowing(loc *time.Location, wall int64) int64 {
	i := wall - 2*secondsPerDay
	for {
		t := time.Unix(i, 0).In(loc)
		_, off := t.Zone()
		_, end := t.ZoneBounds()
		if i+int64(off) >= wall {
			return i // the clock jumped past wall as this period began
		}
		if at := wall - int64(off); end.IsZero() || at < end.Unix() {
			return at
		}
		i = end.Unix()
	}
}
