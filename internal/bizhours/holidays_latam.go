package bizhours

import (
	"time"

	"github.com/rickar/cal/v2"
)

// The national public holidays of Latin American countries our customers
// are in and github.com/rickar/cal/v2 ships no list for: Chile, Colombia,
// Mexico, Peru and Uruguay. They are our own definitions on the library's
// types and rule helpers, so they go through the same precomputation as the
// library's lists.
//
// A moved holiday here is a holiday whose day off is another date by law
// (Colombia's Ley Emiliani, Mexico's Mondays, Chile's moves): the rule
// yields the day off itself as the holiday's date and no observed date, as
// the original date is then a working day (the library's Observed field
// would close both days).
//
// Days off that no rule fixes in advance are not listed: election days
// (Chile, Mexico), days declared by decree for one year (Chile's "feriados
// adicionales", Peru's "días no laborables" for the public sector) and
// regional holidays. A customer closed on them adds them as explicit dates.

// mondayAlt moves a holiday to the Monday of its week when it falls on a
// Tuesday, Wednesday or Thursday, and to the next Monday when it falls on a
// Friday (Chile's Ley 19.668 for 29 June and 12 October).
var mondayAlt = []cal.AltDay{
	{Day: time.Tuesday, Offset: -1},
	{Day: time.Wednesday, Offset: -2},
	{Day: time.Thursday, Offset: -3},
	{Day: time.Friday, Offset: 3},
}

// fridayAlt moves Chile's 31 October to the Friday before when it falls on
// a Tuesday and to the Friday after when it falls on a Wednesday.
var fridayAlt = []cal.AltDay{
	{Day: time.Tuesday, Offset: -4},
	{Day: time.Wednesday, Offset: 2},
}

// fixed is a holiday on the same date every year.
func fixed(name string, month time.Month, day int) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: month, Day: day, Func: cal.CalcDayOfMonth}
}

// easter is a holiday offset days from Easter Sunday (Gregorian).
func easter(name string, offset int) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Offset: offset, Func: cal.CalcEasterOffset}
}

// nextMonday is a holiday on the first Monday on or after month/day: the
// date itself when it is a Monday, else the Monday after.
func nextMonday(name string, month time.Month, day int) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: month, Day: day,
		Weekday: time.Monday, Offset: 1, Func: cal.CalcWeekdayFrom}
}

// nthMonday is a holiday on the nth Monday of month.
func nthMonday(name string, month time.Month, n int) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: month,
		Weekday: time.Monday, Offset: n, Func: cal.CalcWeekdayOffset}
}

// movedFixed is a holiday on month/day, moved by the first of alt that
// names its weekday.
func movedFixed(name string, month time.Month, day int, alt []cal.AltDay) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: month, Day: day,
		Func: func(h *cal.Holiday, year int) time.Time {
			t := cal.CalcDayOfMonth(h, year)
			for _, a := range alt {
				if a.Day == t.Weekday() {
					return t.AddDate(0, 0, a.Offset)
				}
			}
			return t
		}}
}

// fixedOn is a holiday on month/day only in the years it falls on weekday.
func fixedOn(name string, month time.Month, day int, weekday time.Weekday) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: month, Day: day,
		Func: func(h *cal.Holiday, year int) time.Time {
			if t := cal.CalcDayOfMonth(h, year); t.Weekday() == weekday {
				return t
			}
			return time.Time{}
		}}
}

// everySixYears is a holiday on month/day in the years that differ from
// base by a multiple of six (a Mexican presidential term).
func everySixYears(name string, month time.Month, day, base int) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: month, Day: day,
		Func: func(h *cal.Holiday, year int) time.Time {
			if (year-base)%6 != 0 {
				return time.Time{}
			}
			return cal.CalcDayOfMonth(h, year)
		}}
}

// since returns h observed from year on.
func since(year int, h *cal.Holiday) *cal.Holiday { h.StartYear = year; return h }

// until returns h observed up to year.
func until(year int, h *cal.Holiday) *cal.Holiday { h.EndYear = year; return h }

// holidaysMX are Mexico's statutory days off (Ley Federal del Trabajo,
// art. 74). Holy Thursday and Good Friday are customary, not statutory,
// and are not listed; neither are election days. The Monday rules apply
// from 2006; before, the dates themselves were the days off.
var holidaysMX = []*cal.Holiday{
	fixed("Año Nuevo", time.January, 1),
	since(2006, nthMonday("Día de la Constitución", time.February, 1)),
	until(2005, fixed("Día de la Constitución", time.February, 5)),
	since(2006, nthMonday("Natalicio de Benito Juárez", time.March, 3)),
	until(2005, fixed("Natalicio de Benito Juárez", time.March, 21)),
	fixed("Día del Trabajo", time.May, 1),
	fixed("Día de la Independencia", time.September, 16),
	since(2024, everySixYears("Transmisión del Poder Ejecutivo Federal", time.October, 1, 2024)),
	until(2018, everySixYears("Transmisión del Poder Ejecutivo Federal", time.December, 1, 2018)),
	since(2006, nthMonday("Día de la Revolución", time.November, 3)),
	until(2005, fixed("Día de la Revolución", time.November, 20)),
	fixed("Navidad", time.December, 25),
}

// holidaysCO are Colombia's national holidays (Ley 51 de 1983, "Ley
// Emiliani"): the religious and some civic ones move to the next Monday,
// those counted from Easter to the Monday after their Thursday or Friday.
var holidaysCO = []*cal.Holiday{
	fixed("Año Nuevo", time.January, 1),
	nextMonday("Día de los Reyes Magos", time.January, 6),
	nextMonday("Día de San José", time.March, 19),
	easter("Jueves Santo", -3),
	easter("Viernes Santo", -2),
	fixed("Día del Trabajo", time.May, 1),
	easter("Ascensión del Señor", 43),      // Thursday, Easter + 39, moved to Monday
	easter("Corpus Christi", 64),           // Thursday, Easter + 60, moved to Monday
	easter("Sagrado Corazón de Jesús", 71), // Friday, Easter + 68, moved to Monday
	nextMonday("San Pedro y San Pablo", time.June, 29),
	fixed("Día de la Independencia", time.July, 20),
	fixed("Batalla de Boyacá", time.August, 7),
	nextMonday("La Asunción de la Virgen", time.August, 15),
	nextMonday("Día de la Raza", time.October, 12),
	nextMonday("Todos los Santos", time.November, 1),
	nextMonday("Independencia de Cartagena", time.November, 11),
	fixed("Inmaculada Concepción", time.December, 8),
	fixed("Navidad", time.December, 25),
}

// holidaysCL are Chile's national "feriados legales" as the laws state
// them, moves included. Days declared by decree for a single year and
// election days are not listed. The Indigenous Peoples' Day is on the day
// of the winter solstice (Ley 21.357), computed astronomically (solstice.go)
// on continental Chile's clock.
var holidaysCL = []*cal.Holiday{
	fixed("Año Nuevo", time.January, 1),
	since(2017, fixedOn("Feriado del 2 de enero", time.January, 2, time.Monday)),
	easter("Viernes Santo", -2),
	easter("Sábado Santo", -1),
	fixed("Día del Trabajo", time.May, 1),
	fixed("Día de las Glorias Navales", time.May, 21),
	// The law of June 2021 named the day for its first year: 21 June
	// (the solstice fell at 23:32 on 20 June, Chile's time).
	since(2021, until(2021, fixed("Día Nacional de los Pueblos Indígenas", time.June, 21))),
	since(2022, &cal.Holiday{Name: "Día Nacional de los Pueblos Indígenas", Type: cal.ObservancePublic,
		Func: func(_ *cal.Holiday, year int) time.Time { return juneSolsticeDay(year, chileWinterZone) }}),
	movedFixed("San Pedro y San Pablo", time.June, 29, mondayAlt),
	fixed("Día de la Virgen del Carmen", time.July, 16),
	fixed("Asunción de la Virgen", time.August, 15),
	since(2007, fixedOn("Feriado del 17 de septiembre", time.September, 17, time.Monday)),
	fixed("Independencia Nacional", time.September, 18),
	fixed("Día de las Glorias del Ejército", time.September, 19),
	since(2017, fixedOn("Feriado del 20 de septiembre", time.September, 20, time.Friday)),
	movedFixed("Encuentro de Dos Mundos", time.October, 12, mondayAlt),
	since(2008, movedFixed("Día de las Iglesias Evangélicas y Protestantes", time.October, 31, fridayAlt)),
	fixed("Día de Todos los Santos", time.November, 1),
	fixed("Inmaculada Concepción", time.December, 8),
	fixed("Navidad", time.December, 25),
}

// chileWinterZone is continental Chile's clock in June since 2016 (UTC-4,
// its standard time), the zone the solstice day is counted in.
var chileWinterZone = time.FixedZone("UTC-4", -4*60*60)

// holidaysPE are Peru's national "feriados" (Decreto Legislativo 713 and
// the laws that added days), none of which move. The public sector's "días
// no laborables" declared each year are not listed.
var holidaysPE = []*cal.Holiday{
	fixed("Año Nuevo", time.January, 1),
	easter("Jueves Santo", -3),
	easter("Viernes Santo", -2),
	fixed("Día del Trabajo", time.May, 1),
	since(2024, fixed("Batalla de Arica y Día de la Bandera", time.June, 7)),
	fixed("San Pedro y San Pablo", time.June, 29),
	since(2024, fixed("Día de la Fuerza Aérea del Perú", time.July, 23)),
	fixed("Fiestas Patrias", time.July, 28),
	fixed("Fiestas Patrias", time.July, 29),
	since(2022, fixed("Batalla de Junín", time.August, 6)),
	fixed("Santa Rosa de Lima", time.August, 30),
	fixed("Combate de Angamos", time.October, 8),
	fixed("Todos los Santos", time.November, 1),
	fixed("Inmaculada Concepción", time.December, 8),
	since(2022, fixed("Batalla de Ayacucho", time.December, 9)),
	fixed("Navidad", time.December, 25),
}

// holidaysUY are Uruguay's days off: the five "feriados no laborables"
// (paid days off for everyone, Ley 12.590 and 16.805) and the Carnival
// Monday and Tuesday and the Thursday and Friday of Holy Week ("Semana de
// Turismo"), on which the public sector and most businesses close. The
// "feriados laborables" (6 January, 19 April, 18 May, 19 June, 12 October,
// 2 November) are working days in the private sector and are not listed.
var holidaysUY = []*cal.Holiday{
	fixed("Año Nuevo", time.January, 1),
	easter("Carnaval (lunes)", -48),
	easter("Carnaval (martes)", -47),
	easter("Jueves Santo (Semana de Turismo)", -3),
	easter("Viernes Santo (Semana de Turismo)", -2),
	fixed("Día de los Trabajadores", time.May, 1),
	fixed("Jura de la Constitución", time.July, 18),
	fixed("Declaratoria de la Independencia", time.August, 25),
	fixed("Navidad (Día de la Familia)", time.December, 25),
}
