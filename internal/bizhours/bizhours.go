// Package bizhours is a business calendar: it computes SLA due times and
// elapsed times in business time for a service desk.
//
// A Calendar is an IANA time zone plus either weekly opening hours (zero or
// more windows per weekday, in local wall-clock time) and holidays (local
// dates closed all day, listed or a country's public holidays), or "always
// open" (24x7, which ignores hours and holidays). Time outside the opening
// hours and on holidays does not count.
//
// # Holiday countries
//
// A calendar may name a holiday country (ISO 3166-1 alpha-2, e.g. "DE"):
// that country's national public holidays, from github.com/rickar/cal/v2,
// are closed too, as local dates in the calendar's time zone, both on the
// day itself and on its observed (substitute) day. HolidayCountries lists
// the codes. A country's holidays of a year are computed when a walk first
// reaches that year and kept for every calendar naming the country.
//
// # Wall clock and DST
//
// Windows are local wall-clock times, so a 09:00–18:00 day is 9 h even on a
// day the clocks change, and a window that contains the skipped or repeated
// hour is as long as the real time that elapses in it (a 00:00–24:00 window
// is 23 h on a spring-forward day and 25 h on a fall-back day). A wall-clock
// time maps to the first instant at which the local clock shows that time or
// later: a time in a repeated hour maps to its first occurrence, and a time
// skipped by a spring-forward maps to the instant of the change. Windows
// therefore never overlap and never leave holes, whatever the time zone does.
//
// # Horizon
//
// Add and Elapsed walk the calendar day by day, with the opening windows of
// each weekday precomputed, so their cost is proportional to the number of
// calendar days covered, not to the duration. The walk is bounded by a
// horizon of 20 years (7305 days) after the local date of the starting
// instant. Past the horizon every instant counts as business time, as if the
// calendar were always open: a calendar that is (almost) never open, or an
// absurdly long duration, still gives an answer in bounded time, and
// Elapsed(start, Add(start, d)) == d holds everywhere.
package bizhours

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrInvalid is wrapped by every validation error of this package, so
// errors.Is(err, ErrInvalid) reports whether a calendar (or a weekday) was
// rejected as invalid.
var ErrInvalid = errors.New("bizhours: invalid calendar")

// invalidError is a validation error: its message starts with "bizhours: "
// and says what is wrong and what is expected; it wraps ErrInvalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return "bizhours: " + e.msg }
func (e *invalidError) Unwrap() error { return ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Weekday is a day of the week as the GraphQL enum spells it: "MONDAY" …
// "SUNDAY".
type Weekday string

// The days of the week.
const (
	Monday    Weekday = "MONDAY"
	Tuesday   Weekday = "TUESDAY"
	Wednesday Weekday = "WEDNESDAY"
	Thursday  Weekday = "THURSDAY"
	Friday    Weekday = "FRIDAY"
	Saturday  Weekday = "SATURDAY"
	Sunday    Weekday = "SUNDAY"
)

const weekdayList = "MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY"

// index returns the time.Weekday of w, and false if w is not a weekday.
func (w Weekday) index() (time.Weekday, bool) {
	switch w {
	case Monday:
		return time.Monday, true
	case Tuesday:
		return time.Tuesday, true
	case Wednesday:
		return time.Wednesday, true
	case Thursday:
		return time.Thursday, true
	case Friday:
		return time.Friday, true
	case Saturday:
		return time.Saturday, true
	case Sunday:
		return time.Sunday, true
	}
	return 0, false
}

// IsValid reports whether w is one of Monday … Sunday (upper case, as the
// GraphQL enum spells it).
func (w Weekday) IsValid() bool {
	_, ok := w.index()
	return ok
}

// MarshalGQL writes w as a GraphQL enum value: its name, quoted (gqlgen
// enum marshaling).
func (w Weekday) MarshalGQL(out io.Writer) {
	_, _ = io.WriteString(out, strconv.Quote(string(w)))
}

// UnmarshalGQL sets w from a GraphQL enum value, which must be a string
// naming a valid weekday ("MONDAY" … "SUNDAY"). The error wraps ErrInvalid.
func (w *Weekday) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return invalidf("weekday %v (%T): want a string, one of %s", v, v, weekdayList)
	}
	if !Weekday(s).IsValid() {
		return invalidf("weekday %q: want one of %s", s, weekdayList)
	}
	*w = Weekday(s)
	return nil
}

// OpeningHours is one opening window of a weekday, in local wall-clock
// time: Start and End are "HH:MM" (24-hour clock), Start before End; End may
// be "24:00", meaning midnight at the end of the day.
type OpeningHours struct {
	Weekday Weekday `json:"weekday"`
	Start   string  `json:"start"`
	End     string  `json:"end"`
}

// DefaultOpeningHours returns the default opening hours, Monday–Friday
// 09:00–18:00, as a new slice.
func DefaultOpeningHours() []OpeningHours {
	days := []Weekday{Monday, Tuesday, Wednesday, Thursday, Friday}
	hours := make([]OpeningHours, len(days))
	for i, d := range days {
		hours[i] = OpeningHours{Weekday: d, Start: "09:00", End: "18:00"}
	}
	return hours
}

// Calendar is a business calendar. Build one with New; it is immutable and
// safe for concurrent use. The zero Calendar is always open, in UTC.
type Calendar struct {
	loc *time.Location
	// timed is true when opening hours and holidays apply (not 24x7).
	timed bool
	// week holds the windows of each weekday, indexed by time.Weekday,
	// sorted, with touching windows merged.
	week [7][]window
	// holidays are local dates, as days since 1970-01-01, sorted, unique.
	holidays []int64
	// countryCode and country are the holiday country; country is nil
	// when there is none or the calendar is always open.
	countryCode string
	country     *country
}

// window is an opening window in minutes since local midnight, start < end
// <= 1440.
type window struct{ start, end int32 }

const (
	secondsPerDay = 86400
	// horizonDays bounds every walk over the calendar: 20 years.
	horizonDays = 20*365 + 5
	// maxOffset bounds the UTC offset of any time zone, local mean times
	// included (real ones stay within ±16 h).
	maxOffset = 18 * 3600
	// Instants standing for "the zone period has no start / no end".
	minInstant = math.MinInt64 / 4
	maxInstant = math.MaxInt64 / 4
)

// locations caches loaded time zones by name (only names that loaded, so
// it is bounded by the zone database). Loading a zone reads and parses a
// file, and New runs whenever a due time is computed.
var locations sync.Map // string -> *time.Location

func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

// Config describes a calendar for NewFromConfig.
type Config struct {
	// Timezone is an IANA time zone name, e.g. "Europe/Berlin".
	Timezone string
	// AlwaysOpen makes the calendar open 24x7: it ignores the other fields
	// (they are still validated).
	AlwaysOpen bool
	// OpeningHours are the weekly opening windows; at least one unless
	// always open.
	OpeningHours []OpeningHours
	// Holidays are local dates "YYYY-MM-DD" closed all day (duplicates are
	// fine).
	Holidays []string
	// HolidayCountry, if not empty, is an ISO 3166-1 alpha-2 code in upper
	// case (one of HolidayCountries): that country's public holidays are
	// closed all day too.
	HolidayCountry string
}

// New builds a calendar in the IANA time zone timezone (e.g.
// "Europe/Berlin") with no holiday country: it is
// NewFromConfig(Config{timezone, alwaysOpen, hours, holidays, ""}).
func New(timezone string, alwaysOpen bool, hours []OpeningHours, holidays []string) (*Calendar, error) {
	return NewFromConfig(Config{Timezone: timezone, AlwaysOpen: alwaysOpen, OpeningHours: hours, Holidays: holidays})
}

// NewFromConfig builds the calendar cfg describes. If cfg.AlwaysOpen is
// true the calendar is open 24x7 and ignores hours and holidays (they are
// still validated).
//
// Every error wraps ErrInvalid and says what is wrong and what is expected:
// an empty or unknown time zone, an invalid weekday, a time that is not
// HH:MM or out of range, a window whose start is not before its end,
// overlapping windows on one day (touching ones are fine), a holiday that
// is not a YYYY-MM-DD date, an unknown holiday country, or no window at all
// on a calendar that is not always open.
func NewFromConfig(cfg Config) (*Calendar, error) {
	timezone, alwaysOpen, hours, holidays := cfg.Timezone, cfg.AlwaysOpen, cfg.OpeningHours, cfg.Holidays
	const wantZone = `want an IANA time zone name such as "Europe/Berlin"`
	if timezone == "" {
		return nil, invalidf("time zone is empty: %s", wantZone)
	}
	if timezone == "Local" {
		// time.LoadLocation("Local") is the server's zone, not an IANA name.
		return nil, invalidf("time zone %q: %s", timezone, wantZone)
	}
	loc, err := loadLocation(timezone)
	if err != nil {
		return nil, invalidf("unknown time zone %q: %s", timezone, wantZone)
	}
	c := &Calendar{loc: loc, timed: !alwaysOpen}

	var perDay [7][]window
	for _, h := range hours {
		wd, ok := h.Weekday.index()
		if !ok {
			return nil, invalidf("opening hours weekday %q: want one of %s", string(h.Weekday), weekdayList)
		}
		start, err := parseClock(h.Start, h.Weekday)
		if err != nil {
			return nil, err
		}
		end, err := parseClock(h.End, h.Weekday)
		if err != nil {
			return nil, err
		}
		if start >= end {
			return nil, invalidf("opening hours %s-%s for %s: want the start before the end", h.Start, h.End, h.Weekday)
		}
		perDay[wd] = append(perDay[wd], window{start, end})
	}
	total := 0
	for wd := range perDay {
		ws := perDay[wd]
		slices.SortFunc(ws, func(a, b window) int { return int(a.start - b.start) })
		var merged []window
		for i, w := range ws {
			if i > 0 && w.start < ws[i-1].end {
				return nil, invalidf("opening hours %s-%s and %s-%s for %s overlap: want windows that do not overlap",
					clock(ws[i-1].start), clock(ws[i-1].end), clock(w.start), clock(w.end), weekdayName(time.Weekday(wd)))
			}
			if n := len(merged); n > 0 && merged[n-1].end == w.start {
				merged[n-1].end = w.end
				continue
			}
			merged = append(merged, w)
		}
		c.week[wd] = merged
		total += len(merged)
	}

	for _, s := range holidays {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, invalidf("holiday %q: want a date YYYY-MM-DD", s)
		}
		c.holidays = append(c.holidays, floorDiv(t.Unix(), secondsPerDay))
	}
	slices.Sort(c.holidays)
	c.holidays = slices.Compact(c.holidays)

	if cfg.HolidayCountry != "" {
		country, err := lookupCountry(cfg.HolidayCountry)
		if err != nil {
			return nil, err
		}
		c.countryCode = cfg.HolidayCountry
		if !alwaysOpen {
			c.country = country
		}
	}

	if !alwaysOpen && total == 0 {
		return nil, invalidf("no opening hours: want at least one window (e.g. MONDAY 09:00-18:00), or an always open calendar")
	}
	return c, nil
}

// parseClock parses "HH:MM" (00:00 … 24:00) into minutes since midnight.
func parseClock(s string, wd Weekday) (int32, error) {
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[3]) || !isDigit(s[4]) {
		return 0, invalidf("opening hours %q for %s: want HH:MM", s, wd)
	}
	h := int32(s[0]-'0')*10 + int32(s[1]-'0')
	m := int32(s[3]-'0')*10 + int32(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, invalidf("opening hours %q for %s: want a time from 00:00 to 24:00", s, wd)
	}
	return h*60 + m, nil
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// clock formats minutes since midnight as HH:MM.
func clock(m int32) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func weekdayName(wd time.Weekday) Weekday { return Weekday(strings.ToUpper(wd.String())) }

// Location returns the calendar's time zone; Add returns times in it.
func (c *Calendar) Location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// AlwaysOpen reports whether the calendar is open 24x7.
func (c *Calendar) AlwaysOpen() bool { return !c.timed }

// HolidayCountry returns the calendar's holiday country (ISO 3166-1
// alpha-2), or "" if it has none.
func (c *Calendar) HolidayCountry() string { return c.countryCode }

// Add returns the due time of a span of d business time starting at start:
// the earliest instant at which d of business time has elapsed since start.
// That may be a closing time (Friday 17:30 + 30m is Friday 18:00, not
// Monday 09:00); a start outside the opening hours counts from the next
// opening. d <= 0 returns start. The result is in the calendar's location.
//
// Past the 20-year horizon (see the package documentation) time counts as
// business time, so Add always returns.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	loc := c.Location()
	if d <= 0 {
		return start.In(loc)
	}
	if !c.timed {
		return start.Add(d).In(loc)
	}
	w := c.walker(start)
	remaining := int64(d)
	var pos int64 // nanoseconds since start already walked
	for day := w.first; day <= w.last; day++ {
		if w.holiday(day) {
			continue
		}
		base := day * secondsPerDay
		for _, win := range c.week[weekdayOf(day)] {
			b := w.rel(w.zone.at(base + int64(win.end)*60))
			if b <= pos {
				continue
			}
			a := max(w.rel(w.zone.at(base+int64(win.start)*60)), pos)
			if b-a >= remaining {
				return start.Add(time.Duration(a + remaining)).In(loc)
			}
			remaining -= b - a
			pos = b
		}
	}
	// Past the horizon: everything counts.
	h := max(w.rel(w.zone.at((w.last+1)*secondsPerDay)), pos)
	return start.Add(time.Duration(h)).Add(time.Duration(remaining)).In(loc)
}

// Elapsed returns the business time between from and to: 0 if to is not
// after from. Past the 20-year horizon after from (see the package
// documentation) time counts as business time.
func (c *Calendar) Elapsed(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if !c.timed {
		return to.Sub(from)
	}
	w := c.walker(from)
	_, toOff := to.In(w.zone.loc).Zone()
	lastDay := min(floorDiv(to.Unix()+int64(toOff), secondsPerDay)+1, w.last)
	end := int64(to.Sub(from)) // saturates for very long spans
	var total int64
	for day := w.first; day <= lastDay; day++ {
		if w.holiday(day) {
			continue
		}
		base := day * secondsPerDay
		for _, win := range c.week[weekdayOf(day)] {
			a := w.rel(w.zone.at(base + int64(win.start)*60))
			if a >= end {
				return time.Duration(total)
			}
			b := min(w.rel(w.zone.at(base+int64(win.end)*60)), end)
			a = max(a, 0)
			if b > a {
				total += b - a
			}
		}
	}
	if lastDay == w.last {
		// Past the horizon: everything counts.
		h := w.rel(w.zone.at((w.last + 1) * secondsPerDay))
		if h < end {
			beyond := to.Sub(from.Add(time.Duration(max(h, 0))))
			if beyond > time.Duration(math.MaxInt64-total) {
				return math.MaxInt64
			}
			total += int64(beyond)
		}
	}
	return time.Duration(total)
}

// walker holds the state of one walk over the calendar.
type walker struct {
	zone        zoneCache
	s0, n0      int64 // start of the walk: Unix seconds and nanoseconds
	first, last int64 // days (since 1970-01-01, local) to walk
	holidays    []int64
	hi          int          // index of the first holiday not before the current day
	country     *country     // the holiday country, or nil
	cy          *holidayYear // its year last asked, or nil
}

func (c *Calendar) walker(start time.Time) walker {
	t := start.In(c.loc)
	_, off := t.Zone()
	zs, ze := t.ZoneBounds()
	s0 := t.Unix()
	// The walk starts on the local date of start: earlier days' windows end
	// by the first instant the clock shows that date, so not after start.
	day := floorDiv(s0+int64(off), secondsPerDay)
	w := walker{
		zone:     zoneCache{loc: c.loc, off: int64(off), lo: bound(zs, minInstant), hi: bound(ze, maxInstant)},
		s0:       s0,
		n0:       int64(t.Nanosecond()),
		first:    day,
		last:     day + horizonDays,
		holidays: c.holidays,
		country:  c.country,
	}
	if len(w.holidays) > 0 {
		w.hi, _ = slices.BinarySearch(w.holidays, w.first)
	}
	return w
}

// rel converts an instant in Unix seconds to nanoseconds since the start of
// the walk (instants within the horizon fit easily).
func (w *walker) rel(sec int64) int64 { return (sec-w.s0)*int64(time.Second) - w.n0 }

// holiday reports whether day is a holiday, listed or of the holiday
// country; days must be asked in increasing order.
func (w *walker) holiday(day int64) bool {
	for w.hi < len(w.holidays) && w.holidays[w.hi] < day {
		w.hi++
	}
	if w.hi < len(w.holidays) && w.holidays[w.hi] == day {
		return true
	}
	if w.country == nil {
		return false
	}
	if w.cy == nil || day < w.cy.first || day >= w.cy.end {
		w.cy = w.country.year(yearOf(day))
	}
	return w.cy.has(day)
}

func bound(t time.Time, none int64) int64 {
	if t.IsZero() {
		return none
	}
	return t.Unix()
}

// weekdayOf returns the weekday of a day counted since 1970-01-01, a
// Thursday.
func weekdayOf(day int64) time.Weekday {
	return time.Weekday((day%7 + 7 + int64(time.Thursday)) % 7)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// zoneCache converts local wall-clock times to instants, remembering the
// zone period (an interval of constant UTC offset) it last used so that
// most conversions are plain arithmetic.
type zoneCache struct {
	loc    *time.Location
	lo, hi int64 // the period [lo, hi), Unix seconds
	off    int64 // its UTC offset, seconds
}

// at returns the first instant (Unix seconds) at which the local clock shows
// wall or later. wall is a wall-clock time in seconds since 1970-01-01 00:00
// local time (the Unix time the wall clock would be in UTC).
func (z *zoneCache) at(wall int64) int64 {
	// wall-off is that first instant when it lies in the cached period far
	// enough from its start that the previous periods' clocks (offsets
	// differ by less than 2*maxOffset) cannot have shown wall already.
	if i := wall - z.off; i >= z.lo+2*maxOffset && i < z.hi {
		return i
	}
	t := time.Unix(wall-z.off, 0).In(z.loc)
	_, off := t.Zone()
	zs, ze := t.ZoneBounds()
	z.off, z.lo, z.hi = int64(off), bound(zs, minInstant), bound(ze, maxInstant)
	if i := wall - z.off; i >= z.lo+2*maxOffset && i < z.hi {
		return i
	}
	return firstAtOrAfter(z.loc, wall)
}

// firstAtOrAfter is the slow, exact form of zoneCache.at, for walls near a
// change of UTC offset: it scans the zone periods forward from an instant
// whose clock surely shows less than wall.
func firstAtOrAfter(loc *time.Location, wall int64) int64 {
	i := wall - maxOffset - 3600
	var off int64
	for range 16 {
		t := time.Unix(i, 0).In(loc)
		_, o := t.Zone()
		_, ze := t.ZoneBounds()
		off = int64(o)
		if i+off >= wall {
			// The clock jumped over wall at i, the start of this period
			// (all earlier clocks showed less).
			return i
		}
		if cand, end := wall-off, bound(ze, maxInstant); cand < end {
			return cand
		}
		i = bound(ze, maxInstant)
	}
	return wall - off // unreachable with real zones
}
