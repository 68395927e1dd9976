package bizhours

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ar"
	calat "github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/mw"
	"github.com/rickar/cal/v2/nc"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/ru"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/ua"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"
)

// countries are the holiday countries a calendar may name, by ISO 3166-1
// alpha-2 code: every country github.com/rickar/cal/v2 ships, each with its
// national list (the package's Holidays), not its regional ones. Australia
// has only state and territory lists there; its national holidays are the
// days closed in all eight of them. (The library's "aa" (common holidays)
// and "ecb" (the European Central Bank's TARGET days) are not countries.)
// Chile, Colombia, Mexico, Peru and Uruguay, which the library lacks, have
// our own lists on its types (holidays_latam.go).
var countries = map[string]*country{
	"AR": {lists: [][]*cal.Holiday{ar.Holidays}},
	"AT": {lists: [][]*cal.Holiday{calat.Holidays}},
	"AU": {lists: [][]*cal.Holiday{au.HolidaysACT, au.HolidaysNSW, au.HolidaysNT, au.HolidaysQLD,
		au.HolidaysSA, au.HolidaysTAS, au.HolidaysVIC, au.HolidaysWA}},
	"BE": {lists: [][]*cal.Holiday{be.Holidays}},
	"BG": {lists: [][]*cal.Holiday{bg.Holidays}},
	"BR": {lists: [][]*cal.Holiday{br.Holidays}},
	"CA": {lists: [][]*cal.Holiday{ca.Holidays}},
	"CH": {lists: [][]*cal.Holiday{ch.Holidays}},
	"CL": {lists: [][]*cal.Holiday{holidaysCL}},
	"CO": {lists: [][]*cal.Holiday{holidaysCO}},
	"CZ": {lists: [][]*cal.Holiday{cz.Holidays}},
	"DE": {lists: [][]*cal.Holiday{de.Holidays}},
	"DK": {lists: [][]*cal.Holiday{dk.Holidays}},
	"ES": {lists: [][]*cal.Holiday{es.Holidays}},
	"FR": {lists: [][]*cal.Holiday{fr.Holidays}},
	"GB": {lists: [][]*cal.Holiday{gb.Holidays}},
	"GR": {lists: [][]*cal.Holiday{gr.Holidays}},
	"HR": {lists: [][]*cal.Holiday{hr.Holidays}},
	"IE": {lists: [][]*cal.Holiday{ie.Holidays}},
	"IT": {lists: [][]*cal.Holiday{it.Holidays}},
	"JP": {lists: [][]*cal.Holiday{jp.Holidays}},
	"LT": {lists: [][]*cal.Holiday{lt.Holidays}},
	"LV": {lists: [][]*cal.Holiday{lv.Holidays}},
	"MX": {lists: [][]*cal.Holiday{holidaysMX}},
	"MW": {lists: [][]*cal.Holiday{mw.Holidays}},
	"NC": {lists: [][]*cal.Holiday{nc.Holidays}},
	"NL": {lists: [][]*cal.Holiday{nl.Holidays}},
	"NO": {lists: [][]*cal.Holiday{no.Holidays}},
	"NZ": {lists: [][]*cal.Holiday{nz.Holidays}},
	"PE": {lists: [][]*cal.Holiday{holidaysPE}},
	"PL": {lists: [][]*cal.Holiday{pl.Holidays}},
	"RO": {lists: [][]*cal.Holiday{ro.Holidays}},
	"RU": {lists: [][]*cal.Holiday{ru.Holidays}},
	"SE": {lists: [][]*cal.Holiday{se.Holidays}},
	"SI": {lists: [][]*cal.Holiday{si.Holidays}},
	"SK": {lists: [][]*cal.Holiday{sk.Holidays}},
	"UA": {lists: [][]*cal.Holiday{ua.Holidays}},
	"US": {lists: [][]*cal.Holiday{us.Holidays}},
	"UY": {lists: [][]*cal.Holiday{holidaysUY}},
	"ZA": {lists: [][]*cal.Holiday{za.Holidays}},
}

// countryCodes is the sorted list of the keys of countries.
var countryCodes = slices.Sorted(maps.Keys(countries))

// HolidayCountries returns the ISO 3166-1 alpha-2 codes a calendar's
// holiday country may be, sorted, as a new slice.
func HolidayCountries() []string { return slices.Clone(countryCodes) }

// lookupCountry returns the holiday country of code, or an error wrapping
// ErrInvalid that lists the codes expected.
func lookupCountry(code string) (*country, error) {
	if c, ok := countries[code]; ok {
		return c, nil
	}
	return nil, invalidf("unknown holiday country %q: want an ISO 3166-1 alpha-2 code in upper case, one of %s",
		code, strings.Join(countryCodes, ", "))
}

// A country's holidays for a year are computed on first use and kept, for
// the years from cacheFirstYear to cacheLastYear: they cover every ticket's
// due times (a walk spans at most 20 years after its start) and bound the
// cache to about 35 countries × 300 years × 64 bytes. Other years are
// computed on each use (still correct, only slower).
const (
	cacheFirstYear = 1950
	cacheLastYear  = 2249
)

// country is a holiday country: a day is closed when it is a holiday of
// every one of lists (a single list for most countries).
type country struct {
	lists [][]*cal.Holiday
	years sync.Map // int (year) -> *holidayYear
}

// holidayYear is the set of a country's closed days of one year.
type holidayYear struct {
	first, end int64 // the year's days [first, end), since 1970-01-01
	bits       [6]uint64
}

// has reports whether day, which must lie in [y.first, y.end), is closed.
func (y *holidayYear) has(day int64) bool {
	i := day - y.first
	return y.bits[i>>6]&(1<<(i&63)) != 0
}

// year returns the closed days of year.
func (c *country) year(year int) *holidayYear {
	cacheable := cacheFirstYear <= year && year <= cacheLastYear
	if cacheable {
		if y, ok := c.years.Load(year); ok {
			return y.(*holidayYear)
		}
	}
	y := c.compute(year)
	if cacheable {
		c.years.Store(year, y)
	}
	return y
}

// compute builds the closed days of year: the actual and the observed
// (substitute) date of each holiday, as a day off is taken on both. A
// holiday of a neighbouring year may be observed in this one (New Year's
// Day on a Saturday is observed on 31 December in the United States), so
// those years are asked too. Holidays that the library marks as other
// observances (not days off, e.g. Sweden's Midsummer Eve) do not count.
func (c *country) compute(year int) *holidayYear {
	y := &holidayYear{first: dayOf(year, time.January, 1), end: dayOf(year+1, time.January, 1)}
	for i, list := range c.lists {
		var bits [6]uint64
		for _, h := range list {
			if h.Type == cal.ObservanceOther {
				continue
			}
			for yy := year - 1; yy <= year+1; yy++ {
				actual, observed := h.Calc(yy)
				for _, t := range [2]time.Time{actual, observed} {
					if t.IsZero() {
						continue
					}
					ty, tm, td := t.Date()
					if d := dayOf(ty, tm, td); y.first <= d && d < y.end {
						bits[(d-y.first)>>6] |= 1 << ((d - y.first) & 63)
					}
				}
			}
		}
		if i == 0 {
			y.bits = bits
			continue
		}
		for j := range y.bits {
			y.bits[j] &= bits[j]
		}
	}
	return y
}

// dayOf returns a date as days since 1970-01-01.
func dayOf(year int, month time.Month, day int) int64 {
	return floorDiv(time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix(), secondsPerDay)
}

// yearOf returns the year of a day counted since 1970-01-01.
func yearOf(day int64) int {
	return time.Unix(day*secondsPerDay, 0).UTC().Year()
}
