package bizhours

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Calendars of the Latin American holiday countries, Monday–Friday
// 09:00–18:00.
var (
	mexicoMX     = mustNewCountry("America/Mexico_City", "MX", DefaultOpeningHours())
	bogotaCO     = mustNewCountry("America/Bogota", "CO", DefaultOpeningHours())
	santiagoCL   = mustNewCountry("America/Santiago", "CL", DefaultOpeningHours())
	limaPE       = mustNewCountry("America/Lima", "PE", DefaultOpeningHours())
	montevideoUY = mustNewCountry("America/Montevideo", "UY", DefaultOpeningHours())
)

// isClosedDay reports whether date (YYYY-MM-DD) is a holiday of country.
func isClosedDay(t *testing.T, country, date string) bool {
	t.Helper()
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		t.Fatalf("bad date %q", date)
	}
	return countries[country].year(d.Year()).has(dayOf(d.Date()))
}

func TestLatinAmericanHolidayRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string // "<country> <date> <rule> is closed|open"
	}{
		// Mexico: Ley Federal del Trabajo, art. 74.
		{"MX 2026-01-01 New Year's Day is closed"},
		{"MX 2026-02-02 Constitution Day on the first Monday of February is closed"},
		{"MX 2026-02-05 Constitution Day's date itself is open"},
		{"MX 2027-02-01 Constitution Day on the first Monday of February is closed"},
		{"MX 2026-03-16 Benito Juárez on the third Monday of March is closed"},
		{"MX 2026-03-21 Benito Juárez's birthday itself is open"},
		{"MX 2027-03-15 Benito Juárez on the third Monday of March is closed"},
		{"MX 2026-04-03 Good Friday (customary, not statutory) is open"},
		{"MX 2026-05-01 Labour Day is closed"},
		{"MX 2026-09-16 Independence Day is closed"},
		{"MX 2027-09-16 Independence Day is closed"},
		{"MX 2026-11-16 Revolution Day on the third Monday of November is closed"},
		{"MX 2026-11-20 Revolution Day's date itself is open"},
		{"MX 2027-11-15 Revolution Day on the third Monday of November is closed"},
		{"MX 2026-12-25 Christmas is closed"},
		{"MX 2024-10-01 the presidential inauguration of 2024 is closed"},
		{"MX 2030-10-01 the presidential inauguration six years on is closed"},
		{"MX 2026-10-01 no inauguration in 2026 is open"},
		{"MX 2027-10-01 no inauguration in 2027 is open"},
		{"MX 2018-12-01 the inauguration before the 2024 reform on 1 December is closed"},
		{"MX 2005-03-21 Benito Juárez before the Monday rule (2006) on its date is closed"},
		// Colombia: Ley Emiliani.
		{"CO 2026-01-06 Epiphany's date itself is open"},
		{"CO 2026-01-12 Epiphany moved to Monday is closed"},
		{"CO 2027-01-11 Epiphany moved to Monday is closed"},
		{"CO 2026-03-23 Saint Joseph moved to Monday is closed"},
		{"CO 2027-03-22 Saint Joseph moved to Monday is closed"},
		{"CO 2026-04-02 Holy Thursday (not moved) is closed"},
		{"CO 2026-04-03 Good Friday (not moved) is closed"},
		{"CO 2027-03-25 Holy Thursday (not moved) is closed"},
		{"CO 2027-03-26 Good Friday (not moved) is closed"},
		{"CO 2026-05-14 Ascension's Thursday is open"},
		{"CO 2026-05-18 Ascension moved to Monday is closed"},
		{"CO 2027-05-10 Ascension moved to Monday is closed"},
		{"CO 2026-06-08 Corpus Christi moved to Monday is closed"},
		{"CO 2027-05-31 Corpus Christi moved to Monday is closed"},
		{"CO 2026-06-15 Sacred Heart moved to Monday is closed"},
		{"CO 2027-06-07 Sacred Heart moved to Monday is closed"},
		{"CO 2026-06-29 Saint Peter and Paul on a Monday stays and is closed"},
		{"CO 2027-06-29 Saint Peter and Paul's date itself is open"},
		{"CO 2027-07-05 Saint Peter and Paul moved to Monday is closed"},
		{"CO 2026-07-20 Independence Day (not moved) is closed"},
		{"CO 2027-07-20 Independence Day (not moved) on a Tuesday is closed"},
		{"CO 2026-08-07 Battle of Boyacá (not moved) is closed"},
		{"CO 2026-08-17 Assumption moved to Monday is closed"},
		{"CO 2027-08-16 Assumption moved to Monday is closed"},
		{"CO 2026-10-12 Columbus Day on a Monday stays and is closed"},
		{"CO 2027-10-18 Columbus Day moved to Monday is closed"},
		{"CO 2027-10-12 Columbus Day's date itself is open"},
		{"CO 2026-11-02 All Saints moved to Monday is closed"},
		{"CO 2027-11-01 All Saints on a Monday stays and is closed"},
		{"CO 2026-11-16 Independence of Cartagena moved to Monday is closed"},
		{"CO 2026-11-11 Independence of Cartagena's date itself is open"},
		{"CO 2027-11-15 Independence of Cartagena moved to Monday is closed"},
		{"CO 2026-12-08 Immaculate Conception (not moved) is closed"},
		{"CO 2027-12-08 Immaculate Conception (not moved) is closed"},
		// Chile.
		{"CL 2026-01-02 2 January on a Friday is open"},
		{"CL 2023-01-02 2 January on a Monday is closed"},
		{"CL 2026-04-03 Good Friday is closed"},
		{"CL 2026-04-04 Holy Saturday is closed"},
		{"CL 2027-03-26 Good Friday is closed"},
		{"CL 2026-04-02 Holy Thursday is open"},
		{"CL 2026-05-21 Navy Day is closed"},
		{"CL 2027-05-21 Navy Day is closed"},
		{"CL 2026-06-21 Indigenous Peoples' Day on the solstice (08:24 UTC) is closed"},
		{"CL 2027-06-21 Indigenous Peoples' Day on the solstice (14:10 UTC) is closed"},
		{"CL 2025-06-20 Indigenous Peoples' Day on the solstice (02:42 UTC, 22:42 in Chile) is closed"},
		{"CL 2025-06-21 the day after the solstice in Chile is open"},
		{"CL 2021-06-21 Indigenous Peoples' Day of the law's first year is closed"},
		{"CL 2026-06-29 Saint Peter and Paul on a Monday stays and is closed"},
		{"CL 2027-06-28 Saint Peter and Paul on a Tuesday moved to that week's Monday is closed"},
		{"CL 2027-06-29 Saint Peter and Paul's date itself is open"},
		{"CL 2025-06-30 Saint Peter and Paul on a Sunday stays, the Monday after is open"},
		{"CL 2026-07-16 Our Lady of Mount Carmel is closed"},
		{"CL 2027-07-16 Our Lady of Mount Carmel is closed"},
		{"CL 2026-09-18 Independence Day is closed"},
		{"CL 2027-09-17 17 September on a Friday is open"},
		{"CL 2029-09-17 17 September on a Monday is closed"},
		{"CL 2024-09-20 20 September on a Friday is closed"},
		{"CL 2026-10-12 Meeting of Two Worlds on a Monday stays and is closed"},
		{"CL 2027-10-11 Meeting of Two Worlds on a Tuesday moved to that week's Monday is closed"},
		{"CL 2027-10-12 Meeting of Two Worlds' date itself is open"},
		{"CL 2024-10-14 Meeting of Two Worlds on a Saturday stays, the Monday after is open"},
		{"CL 2025-10-13 Meeting of Two Worlds on a Sunday stays, the Monday after is open"},
		{"CL 2030-10-14 Meeting of Two Worlds on a Saturday stays and the Monday is open"},
		{"CL 2029-10-15 Meeting of Two Worlds on a Friday moved to the next Monday is closed"},
		{"CL 2028-10-27 Evangelical Churches Day on a Tuesday moved to the Friday before is closed"},
		{"CL 2028-10-31 Evangelical Churches Day's date itself is open"},
		{"CL 2029-11-02 Evangelical Churches Day on a Wednesday moved to the Friday after is closed"},
		{"CL 2030-10-31 Evangelical Churches Day on a Thursday stays and is closed"},
		{"CL 2026-12-08 Immaculate Conception is closed"},
		{"CL 2027-12-08 Immaculate Conception is closed"},
		// Peru: no holiday moves.
		{"PE 2026-04-02 Holy Thursday is closed"},
		{"PE 2027-03-25 Holy Thursday is closed"},
		{"PE 2026-06-29 Saint Peter and Paul is closed"},
		{"PE 2027-06-29 Saint Peter and Paul on a Tuesday (not moved) is closed"},
		{"PE 2027-06-07 Battle of Arica and Flag Day is closed"},
		{"PE 2026-07-23 Air Force Day is closed"},
		{"PE 2027-07-23 Air Force Day is closed"},
		{"PE 2026-07-28 Independence Day is closed"},
		{"PE 2026-07-29 the second day of the Fiestas Patrias is closed"},
		{"PE 2027-07-29 the second day of the Fiestas Patrias is closed"},
		{"PE 2026-08-06 Battle of Junín is closed"},
		{"PE 2027-08-30 Saint Rose of Lima is closed"},
		{"PE 2026-10-08 Battle of Angamos is closed"},
		{"PE 2027-10-08 Battle of Angamos is closed"},
		{"PE 2026-12-09 Battle of Ayacucho is closed"},
		{"PE 2027-12-09 Battle of Ayacucho is closed"},
		{"PE 2021-12-09 Battle of Ayacucho before its law (2022) is open"},
		// Uruguay: the feriados no laborables, Carnival and Holy Week.
		{"UY 2026-02-16 Carnival Monday is closed"},
		{"UY 2026-02-17 Carnival Tuesday is closed"},
		{"UY 2027-02-08 Carnival Monday is closed"},
		{"UY 2027-02-09 Carnival Tuesday is closed"},
		{"UY 2026-04-02 Holy Thursday of Tourism Week is closed"},
		{"UY 2026-04-03 Holy Friday of Tourism Week is closed"},
		{"UY 2027-03-25 Holy Thursday of Tourism Week is closed"},
		{"UY 2027-03-26 Holy Friday of Tourism Week is closed"},
		{"UY 2026-03-30 the Monday of Tourism Week is open"},
		{"UY 2026-05-01 Workers' Day is closed"},
		{"UY 2026-08-25 Independence Day is closed"},
		{"UY 2027-08-25 Independence Day is closed"},
		{"UY 2026-01-06 Epiphany (a feriado laborable) is open"},
		{"UY 2026-06-19 Artigas' birthday (a feriado laborable) is open"},
		{"UY 2026-10-12 Cultural Diversity Day (a feriado laborable) is open"},
		{"UY 2026-11-02 All Souls' Day (a feriado laborable) is open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := strings.Fields(tt.name)
			country, date, state := f[0], f[1], f[len(f)-1]
			if state != "closed" && state != "open" {
				t.Fatalf("test name must end in closed or open")
			}
			if got := isClosedDay(t, country, date); got != (state == "closed") {
				t.Errorf("%s %s closed = %v", country, date, got)
			}
		})
	}
}

// TestLatinAmericanHolidaysOfTheYear is each country's whole list of
// closed days of 2026 and 2027: no day more, none less.
func TestLatinAmericanHolidaysOfTheYear(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country string
		year    int
		want    string // MM-DD, space separated
	}{
		{"MX", 2026, "01-01 02-02 03-16 05-01 09-16 11-16 12-25"},
		{"MX", 2027, "01-01 02-01 03-15 05-01 09-16 11-15 12-25"},
		{"CO", 2026, "01-01 01-12 03-23 04-02 04-03 05-01 05-18 06-08 06-15 06-29 07-20 08-07 08-17 10-12 11-02 11-16 12-08 12-25"},
		{"CO", 2027, "01-01 01-11 03-22 03-25 03-26 05-01 05-10 05-31 06-07 07-05 07-20 08-07 08-16 10-18 11-01 11-15 12-08 12-25"},
		{"CL", 2026, "01-01 04-03 04-04 05-01 05-21 06-21 06-29 07-16 08-15 09-18 09-19 10-12 10-31 11-01 12-08 12-25"},
		{"CL", 2027, "01-01 03-26 03-27 05-01 05-21 06-21 06-28 07-16 08-15 09-18 09-19 10-11 10-31 11-01 12-08 12-25"},
		{"PE", 2026, "01-01 04-02 04-03 05-01 06-07 06-29 07-23 07-28 07-29 08-06 08-30 10-08 11-01 12-08 12-09 12-25"},
		{"PE", 2027, "01-01 03-25 03-26 05-01 06-07 06-29 07-23 07-28 07-29 08-06 08-30 10-08 11-01 12-08 12-09 12-25"},
		{"UY", 2026, "01-01 02-16 02-17 04-02 04-03 05-01 07-18 08-25 12-25"},
		{"UY", 2027, "01-01 02-08 02-09 03-25 03-26 05-01 07-18 08-25 12-25"},
	}
	for _, tt := range tests {
		y := countries[tt.country].year(tt.year)
		var got []string
		for d := y.first; d < y.end; d++ {
			if y.has(d) {
				got = append(got, time.Unix(d*secondsPerDay, 0).UTC().Format("01-02"))
			}
		}
		if want := strings.Fields(tt.want); !slices.Equal(got, want) {
			t.Errorf("%s %d = %v\nwant %v", tt.country, tt.year, got, want)
		}
	}
}

func TestAddLatinAmericanHolidayCountry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cal   *Calendar
		start string
		d     time.Duration
		want  string
	}{
		{"MX: Revolution Day on monday 16 nov, friday 13 nov 17:30 + 1h → tuesday 17 nov 09:30", mexicoMX, "2026-11-13 17:30", time.Hour, "2026-11-17 09:30"},
		{"MX: 20 nov 2026 is a working friday, 10:00 + 1h → 11:00", mexicoMX, "2026-11-20 10:00", time.Hour, "2026-11-20 11:00"},
		{"CO: Epiphany moved to monday 12 jan, friday 9 jan 17:30 + 1h → tuesday 13 jan 09:30", bogotaCO, "2026-01-09 17:30", time.Hour, "2026-01-13 09:30"},
		{"CO: holy week, wednesday 1 apr 17:30 + 1h → monday 6 apr 09:30", bogotaCO, "2026-04-01 17:30", time.Hour, "2026-04-06 09:30"},
		{"CO: tuesday 6 jan 2026 is a working day, 10:00 + 1h → 11:00", bogotaCO, "2026-01-06 10:00", time.Hour, "2026-01-06 11:00"},
		{"CL: Saint Peter and Paul moved to monday 28 jun 2027, friday 25 jun 17:30 + 1h → tuesday 29 jun 09:30", santiagoCL, "2027-06-25 17:30", time.Hour, "2027-06-29 09:30"},
		{"CL: fiestas patrias 2026, thursday 17 sep 17:30 + 1h → monday 21 sep 09:30", santiagoCL, "2026-09-17 17:30", time.Hour, "2026-09-21 09:30"},
		{"PE: fiestas patrias tuesday 28 and wednesday 29 jul, monday 27 jul 17:30 + 1h → thursday 30 jul 09:30", limaPE, "2026-07-27 17:30", time.Hour, "2026-07-30 09:30"},
		{"UY: carnival monday 16 and tuesday 17 feb, friday 13 feb 17:30 + 1h → wednesday 18 feb 09:30", montevideoUY, "2026-02-13 17:30", time.Hour, "2026-02-18 09:30"},
		{"UY: tourism week thursday 2 and friday 3 apr, wednesday 1 apr 17:30 + 10h → tuesday 7 apr 09:30", montevideoUY, "2026-04-01 17:30", 10 * time.Hour, "2026-04-07 09:30"},
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

// TestJuneSolsticeIsTheAstronomersInstant checks the computed solstice
// against published instants (UTC, to the minute).
func TestJuneSolsticeIsTheAstronomersInstant(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		year int
		want string
	}{
		{2021, "2021-06-21T03:32:00Z"},
		{2024, "2024-06-20T20:51:00Z"},
		{2025, "2025-06-21T02:42:00Z"},
		{2026, "2026-06-21T08:24:00Z"},
		{2027, "2027-06-21T14:11:00Z"},
	} {
		want, _ := time.Parse(time.RFC3339, tt.want)
		got := juneSolstice(tt.year)
		if diff := got.Sub(want); diff < -2*time.Minute || diff > 2*time.Minute {
			t.Errorf("June solstice %d = %v, want %v ± 2 min", tt.year, got, want)
		}
	}
}
