package bizhours

import (
	"math"
	"time"

	"github.com/rickar/cal/v2"
)

// The June solstice, for holidays the law puts on "the day of the winter
// solstice" (Chile's Indigenous Peoples' Day). The instant follows Jean
// Meeus, Astronomical Algorithms (2nd ed.), chapter 27: a mean solstice
// polynomial for the years 1000 to 3000 corrected by 24 periodic terms,
// good to about a minute — far inside the hour or more by which the
// instant misses a midnight in the years of Chile's law so far.

// deltaT is the difference between Terrestrial Time, in which the formula
// gives the instant, and Universal Time: about 69 s in the 2020s and
// changing by less than a second a year, a constant here as a minute's
// error does not move the day.
const deltaT = 69 * time.Second

// unixEpochJD is the Julian day of 1970-01-01 00:00 UTC.
const unixEpochJD = 2440587.5

// solsticeTerms are the periodic terms of Meeus' table 27.C: amplitude
// (1e-5 days), phase and rate (degrees, rate per Julian century).
var solsticeTerms = [24][3]float64{
	{485, 324.96, 1934.136}, {203, 337.23, 32964.467}, {199, 342.08, 20.186},
	{182, 27.85, 445267.112}, {156, 73.14, 45036.886}, {136, 171.52, 22518.443},
	{77, 222.54, 65928.934}, {74, 296.72, 3034.906}, {70, 243.58, 9037.513},
	{58, 119.81, 33718.147}, {52, 297.17, 150.678}, {50, 21.02, 2281.226},
	{45, 247.54, 29929.562}, {44, 325.15, 31555.956}, {29, 60.93, 4443.417},
	{18, 155.12, 67555.328}, {17, 288.79, 4562.452}, {16, 198.04, 62894.029},
	{14, 199.76, 31436.921}, {12, 95.39, 14577.848}, {12, 287.11, 31931.756},
	{12, 320.81, 34777.259}, {9, 227.73, 1222.114}, {8, 15.45, 16859.074},
}

// juneSolstice returns the instant of the June solstice of year.
func juneSolstice(year int) time.Time {
	y := float64(year-2000) / 1000
	jde0 := 2451716.56767 + 365241.62603*y + 0.00325*y*y + 0.00888*y*y*y - 0.00030*y*y*y*y
	t := (jde0 - 2451545.0) / 36525
	rad := func(deg float64) float64 { return deg * math.Pi / 180 }
	w := rad(35999.373*t - 2.47)
	dl := 1 + 0.0334*math.Cos(w) + 0.0007*math.Cos(2*w)
	var s float64
	for _, term := range solsticeTerms {
		s += term[0] * math.Cos(rad(term[1]+term[2]*t))
	}
	jde := jde0 + 0.00001*s/dl
	sec := (jde - unixEpochJD) * 86400
	return time.Unix(0, 0).Add(time.Duration(sec*float64(time.Second)) - deltaT).UTC()
}

// juneSolsticeDay returns the day, on the clock of zone, of the June
// solstice of year, as a date in the library's location.
func juneSolsticeDay(year int, zone *time.Location) time.Time {
	y, m, d := juneSolstice(year).In(zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, cal.DefaultLoc)
}
