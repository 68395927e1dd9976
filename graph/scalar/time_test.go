package scalar

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// TestMarshalTimeRefusesYearsRFC3339CannotWrite: an instant outside the
// years 0001–9999 in UTC is an error wrapping ErrOutOfRange, never a
// five-digit or zero year on the wire.
func TestMarshalTimeRefusesYearsRFC3339CannotWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		t    time.Time
		want string // "" for an error
	}{
		{"the first instant of year 1", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), `"0001-01-01T00:00:00.000000Z"`},
		{"the last microsecond of 9999", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), `"9999-12-31T23:59:59.999999Z"`},
		{"an offset is written in UTC", time.Date(2026, 11, 26, 10, 30, 0, 0, time.FixedZone("CET", 3600)), `"2026-11-26T09:30:00.000000Z"`},
		{"year 10000", time.Date(10000, 1, 3, 18, 0, 0, 0, time.UTC), ""},
		{"year 0", time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC), ""},
		{"9999 in New York is 10000 in UTC", time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("EST", -5*3600)), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := MarshalTime(tc.t).MarshalGQLContext(context.Background(), &buf)
			switch {
			case tc.want == "" && !errors.Is(err, ErrOutOfRange):
				t.Fatalf("wrote %s (err %v), want ErrOutOfRange", buf.String(), err)
			case tc.want != "" && (err != nil || buf.String() != tc.want):
				t.Fatalf("wrote %s (err %v), want %s", buf.String(), err, tc.want)
			}
		})
	}
}

// TestUnmarshalTimeKeepsMicroseconds: what is stored is what is sent back.
func TestUnmarshalTimeKeepsMicroseconds(t *testing.T) {
	t.Parallel()
	got, err := UnmarshalTime(context.Background(), "2026-11-26T09:30:00.123456789Z")
	if err != nil || !got.Equal(time.Date(2026, 11, 26, 9, 30, 0, 123456000, time.UTC)) {
		t.Fatalf("got %v, %v; want 09:30:00.123456", got, err)
	}
}
