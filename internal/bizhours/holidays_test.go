package bizhours

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rickar/cal/v2"
)

func mustNewCountry(tz, country string, hs []OpeningHours, holidays ...string) *Calendar {
	c, err := NewFromConfig(Config{Timezone: tz, OpeningHours: hs, Holidays: holidays, HolidayCountry: country})
	if err != nil {
		panic(err)
	}
	return c
}

// Calendars with a holiday country, Monday–Friday 09:00–18:00 unless named
// otherwise.
var (
	berlinDE      = mustNewCountry("Europe/Berlin", "DE", DefaultOpeningHours())
	berlinDEEves  = mustNewCountry("Europe/Berlin", "DE", DefaultOpeningHours(), "2026-12-24", "2026-12-31", "2026-12-25")
	berlinDEDaily = mustNewCountry("Europe/Berlin", "DE", hours(weekdays+",SATURDAY,SUNDAY 00:00-24:00"))
	madridES      = mustNewCountry("Europe/Madrid", "ES", DefaultOpeningHours())
	newYorkUS     = mustNewCountry("America/New_York", "US", DefaultOpeningHours())
	londonGB      = mustNewCountry("Europe/London", "GB", DefaultOpeningHours())
	sydneyAU      = mustNewCountry("Australia/Sydney", "AU", DefaultOpeningHours())
	stockholmSE   = mustNewCountry("Europe/Stockholm", "SE", DefaultOpeningHours())
	berlinDE24x7  = func() *Calendar {
		c, err := NewFromConfig(Config{Timezone: "Europe/Berlin", AlwaysOpen: true, HolidayCountry: "DE"})
		if err != nil {
			panic(err)
		}
		return c
	}()
)

func TestAddHolidayCountry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cal   *Calendar
		start string
		d     time.Duration
		want  string
	}{
		{"DE: christmas 25 and 26 dec closed, thursday 24 dec 17:30 + 1h → monday 28 dec 09:30", berlinDE, "2026-12-24 17:30", time.Hour, "2026-12-28 09:30"},
		{"DE: christmas friday 25 dec 10:00 + 1h → monday 28 dec 10:00", berlinDE, "2026-12-25 10:00", time.Hour, "2026-12-28 10:00"},
		{"DE: saturday 26 dec closed on a calendar open every day, thursday 24 dec 23:30 + 1h → sunday 27 dec 00:30", berlinDEDaily, "2026-12-24 23:30", time.Hour, "2026-12-27 00:30"},
		{"DE: holidays are local dates, 24 dec 23:30 CET is 22:30 UTC, + 1h → 27 dec 00:30 CET", berlinDEDaily, "2026-12-24T22:30:00Z", time.Hour, "2026-12-26T23:30:00Z"},
		{"DE: easter weekend, thursday 2 apr 17:30 + 1h → tuesday 7 apr 09:30", berlinDE, "2026-04-02 17:30", time.Hour, "2026-04-07 09:30"},
		{"DE: a holiday on a saturday (3 oct) changes nothing, friday 2 oct 17:30 + 1h → monday 5 oct 09:30", berlinDE, "2026-10-02 17:30", time.Hour, "2026-10-05 09:30"},
		{"DE: 24 dec is no public holiday, wednesday 23 dec 17:30 + 1h → thursday 24 dec 09:30", berlinDE, "2026-12-23 17:30", time.Hour, "2026-12-24 09:30"},
		{"DE with explicit 24 and 31 dec: wednesday 23 dec 17:30 + 1h → monday 28 dec 09:30", berlinDEEves, "2026-12-23 17:30", time.Hour, "2026-12-28 09:30"},
		{"DE with explicit 24 and 31 dec: 72h over christmas, wednesday 23 dec 10:00 → friday 8 jan 10:00", berlinDEEves, "2026-12-23 10:00", 72 * time.Hour, "2027-01-08 10:00"},
		{"ES: epiphany tuesday 6 jan closed, monday 5 jan 17:30 + 1h → wednesday 7 jan 09:30", madridES, "2026-01-05 17:30", time.Hour, "2026-01-07 09:30"},
		{"US: thanksgiving thursday 26 nov closed, wednesday 25 nov 17:30 + 1h → friday 27 nov 09:30", newYorkUS, "2026-11-25 17:30", time.Hour, "2026-11-27 09:30"},
		{"US: independence day on a saturday is observed friday 3 jul, thursday 2 jul 17:30 + 1h → monday 6 jul 09:30", newYorkUS, "2026-07-02 17:30", time.Hour, "2026-07-06 09:30"},
		{"US: new year's day 2028 on a saturday is observed friday 31 dec 2027, thursday 30 dec 17:30 + 1h → monday 3 jan 09:30", newYorkUS, "2027-12-30 17:30", time.Hour, "2028-01-03 09:30"},
		{"US: a year outside the cache still counts, thanksgiving thursday 22 nov 2300 closed", newYorkUS, "2300-11-21 17:30", time.Hour, "2300-11-23 09:30"},
		{"GB: easter weekend, thursday 2 apr 17:30 + 1h → tuesday 7 apr 09:30", londonGB, "2026-04-02 17:30", time.Hour, "2026-04-07 09:30"},
		{"GB: christmas 2027 on a weekend, substitute days 27 and 28 dec, friday 24 dec 17:30 + 1h → wednesday 29 dec 09:30", londonGB, "2027-12-24 17:30", time.Hour, "2027-12-29 09:30"},
		{"AU: australia day monday 26 jan closed, friday 23 jan 17:30 + 1h → tuesday 27 jan 09:30", sydneyAU, "2026-01-23 17:30", time.Hour, "2026-01-27 09:30"},
		{"AU: a state holiday (melbourne cup, victoria) is no national holiday, tuesday 3 nov 10:00 + 1h → 11:00", sydneyAU, "2026-11-03 10:00", time.Hour, "2026-11-03 11:00"},
		{"SE: midsummer eve (an observance, not a public holiday) is open, friday 19 jun 10:00 + 1h → 11:00", stockholmSE, "2026-06-19 10:00", time.Hour, "2026-06-19 11:00"},
		{"24x7 ignores the holiday country: friday 25 dec 10:00 + 1h → 11:00", berlinDE24x7, "2026-12-25 10:00", time.Hour, "2026-12-25 11:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start, want := at(t, tt.cal, tt.start), at(t, tt.cal, tt.want)
			got := tt.cal.Add(start, tt.d)
			if !got.Equal(want) {
				t.Errorf("Add(%v, %v) = %v, want %v", start, tt.d, got, want.In(tt.cal.Location()))
			}
			if e := tt.cal.Elapsed(start, got); e != tt.d {
				t.Errorf("Elapsed(%v, %v) = %v, want %v", start, got, e, tt.d)
			}
		})
	}
}

func TestElapsedHolidayCountry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cal      *Calendar
		from, to string
		want     time.Duration
	}{
		{"DE: 2026 has 261 weekdays, 7 of them public holidays: 254 days of 9h", berlinDE, "2026-01-01 00:00", "2027-01-01 00:00", 254 * 9 * time.Hour},
		{"DE: christmas week 21–28 dec 2026 is 4 days of 9h", berlinDE, "2026-12-21 00:00", "2026-12-28 00:00", 4 * 9 * time.Hour},
		{"DE with explicit 24 dec: christmas week is 3 days of 9h", berlinDEEves, "2026-12-21 00:00", "2026-12-28 00:00", 3 * 9 * time.Hour},
		{"US: thanksgiving week 23–30 nov 2026 is 4 days of 9h", newYorkUS, "2026-11-23 00:00", "2026-11-30 00:00", 4 * 9 * time.Hour},
		{"24x7 ignores the holiday country: christmas day is 24h", berlinDE24x7, "2026-12-25 00:00", "2026-12-26 00:00", 24 * time.Hour},
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

// TestHolidayCountryDaysAreTheLibrarysHolidays checks the precomputed years
// of every single-list country against the library's own Calendar.IsHoliday
// (actual or observed), without the observances that are not days off;
// for our own lists (holidays_latam.go) the library evaluates our rules.
func TestHolidayCountryDaysAreTheLibrarysHolidays(t *testing.T) {
	t.Parallel()
	for _, code := range countryCodes {
		c := countries[code]
		if len(c.lists) != 1 {
			continue
		}
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			var oracle cal.Calendar
			for _, h := range c.lists[0] {
				if h.Type != cal.ObservanceOther {
					oracle.AddHoliday(h)
				}
			}
			for year := 2020; year <= 2040; year++ {
				y := c.year(year)
				n := 0
				for d := time.Date(year, 1, 1, 0, 0, 0, 0, cal.DefaultLoc); d.Year() == year; d = d.AddDate(0, 0, 1) {
					actual, observed, _ := oracle.IsHoliday(d)
					day := dayOf(d.Date())
					if got := y.has(day); got != (actual || observed) {
						t.Fatalf("%s: closed = %v, the library says actual %v, observed %v", d.Format(time.DateOnly), got, actual, observed)
					}
					if y.has(day) {
						n++
					}
				}
				if n < 5 {
					t.Errorf("%d: %d closed days, want at least 5", year, n)
				}
			}
		})
	}
}

func TestAustraliaIsTheDaysClosedInEveryState(t *testing.T) {
	t.Parallel()
	y := countries["AU"].year(2026)
	var got []string
	for d := y.first; d < y.end; d++ {
		if y.has(d) {
			got = append(got, time.Unix(d*secondsPerDay, 0).UTC().Format(time.DateOnly))
		}
	}
	// New Year, Australia Day, Good Friday, Easter Monday, Anzac Day,
	// Christmas, Boxing Day and its substitute Monday.
	want := []string{"2026-01-01", "2026-01-26", "2026-04-03", "2026-04-06", "2026-04-25", "2026-12-25", "2026-12-26", "2026-12-28"}
	if !slices.Equal(got, want) {
		t.Errorf("AU 2026 = %v, want %v", got, want)
	}
}

func TestHolidayCountryErrors(t *testing.T) {
	t.Parallel()
	want := func(code string) string {
		return `unknown holiday country "` + code + `": want an ISO 3166-1 alpha-2 code in upper case, one of ` + strings.Join(HolidayCountries(), ", ")
	}
	tests := []struct {
		name string
		cfg  Config
		want string // the whole message, after "bizhours: "
	}{
		{"unknown country code", Config{Timezone: "UTC", OpeningHours: DefaultOpeningHours(), HolidayCountry: "XX"}, want("XX")},
		{"lower case country code", Config{Timezone: "UTC", OpeningHours: DefaultOpeningHours(), HolidayCountry: "de"}, want("de")},
		{"alpha-3 country code", Config{Timezone: "UTC", OpeningHours: DefaultOpeningHours(), HolidayCountry: "DEU"}, want("DEU")},
		{"country name", Config{Timezone: "UTC", OpeningHours: DefaultOpeningHours(), HolidayCountry: "Germany"}, want("Germany")},
		{"country without a list (Venezuela)", Config{Timezone: "America/Caracas", OpeningHours: DefaultOpeningHours(), HolidayCountry: "VE"}, want("VE")},
		{"24x7 still validates the country", Config{Timezone: "UTC", AlwaysOpen: true, HolidayCountry: "XX"}, want("XX")},
		{"a country does not open a calendar without hours", Config{Timezone: "UTC", HolidayCountry: "DE"}, `no opening hours: want at least one window (e.g. MONDAY 09:00-18:00), or an always open calendar`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewFromConfig(tt.cfg)
			if err == nil {
				t.Fatalf("NewFromConfig = %v, want error %q", c, tt.want)
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

func TestHolidayCountryOfACalendar(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cal  *Calendar
		want string
	}{
		{"a calendar keeps its holiday country", berlinDE, "DE"},
		{"a 24x7 calendar keeps its holiday country", berlinDE24x7, "DE"},
		{"New gives no holiday country", berlin, ""},
	} {
		if got := tt.cal.HolidayCountry(); got != tt.want {
			t.Errorf("%s: HolidayCountry() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestHolidayCountries(t *testing.T) {
	t.Parallel()
	got := HolidayCountries()
	if !slices.IsSorted(got) || len(got) != len(countries) {
		t.Fatalf("HolidayCountries() = %v, want the %d codes sorted", got, len(countries))
	}
	for _, code := range []string{"AR", "AU", "CL", "CO", "DE", "ES", "GB", "MX", "NL", "PE", "US", "UY", "ZA"} {
		if !slices.Contains(got, code) {
			t.Errorf("HolidayCountries() lacks %s", code)
		}
	}
	for _, code := range got {
		if len(code) != 2 || strings.ToUpper(code) != code {
			t.Errorf("code %q is not ISO 3166-1 alpha-2 in upper case", code)
		}
		if _, err := NewFromConfig(Config{Timezone: "UTC", OpeningHours: DefaultOpeningHours(), HolidayCountry: code}); err != nil {
			t.Errorf("NewFromConfig with %s: %v", code, err)
		}
	}
	got[0] = "XX"
	if again := HolidayCountries(); again[0] == "XX" {
		t.Error("HolidayCountries() shares its slice")
	}
}

func BenchmarkAddHolidayCountry(b *testing.B) {
	start := time.Date(2026, 6, 3, 10, 0, 0, 0, berlin.Location())
	for _, bm := range []struct {
		name string
		cal  *Calendar
		d    time.Duration
	}{
		{"critical 4h, no country", berlin, 4 * time.Hour},
		{"critical 4h, DE", berlinDE, 4 * time.Hour},
		{"low 72h, no country", berlin, 72 * time.Hour},
		{"low 72h, DE", berlinDE, 72 * time.Hour},
		{"a year (2340h), no country", berlin, 2340 * time.Hour},
		{"a year (2340h), DE", berlinDE, 2340 * time.Hour},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				bm.cal.Add(start, bm.d)
			}
		})
	}
}

func BenchmarkElapsedHolidayCountry(b *testing.B) {
	from := time.Date(2026, 6, 5, 17, 30, 0, 0, berlin.Location())
	to := from.Add(7 * 24 * time.Hour)
	for _, bm := range []struct {
		name string
		cal  *Calendar
	}{{"a week, no country", berlin}, {"a week, DE", berlinDE}} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				bm.cal.Elapsed(from, to)
			}
		})
	}
}

// BenchmarkHolidayCountryYear is the cost of a year not cached yet: once
// per country and year for the whole process.
func BenchmarkHolidayCountryYear(b *testing.B) {
	for _, code := range []string{"DE", "US", "AU"} {
		b.Run(code, func(b *testing.B) {
			for b.Loop() {
				countries[code].compute(2026)
			}
		})
	}
}
