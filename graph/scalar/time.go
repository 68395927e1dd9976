// Package scalar holds the GraphQL scalars whose wire format is ours.
package scalar

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// TimeLayout is how every Time leaves the API: RFC 3339 in UTC with
// exactly six fractional digits (microseconds, what both databases keep),
// e.g. 2026-11-30T08:30:00.000000Z, so clients can parse and sort them alike.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// The years a Time may fall in, in UTC: RFC 3339 writes four-digit years,
// and year 0 is not a year of the calendar clients use.
const (
	MinYear = 1
	MaxYear = 9999
)

// ErrOutOfRange is wrapped by the error for a Time outside MinYear–MaxYear,
// sent or received.
var ErrOutOfRange = fmt.Errorf("scalar: time outside the years %04d to %d (in UTC)", MinYear, MaxYear)

// inRange reports whether t falls in MinYear–MaxYear in UTC.
func inRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= MinYear && y <= MaxYear
}

// MarshalTime writes t in TimeLayout; a t outside MinYear–MaxYear is an
// error (RFC 3339 cannot write it), never a malformed string.
func MarshalTime(t time.Time) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		if !inRange(t) {
			return fmt.Errorf("%w: the answer would hold an instant in the year %d, which RFC 3339 cannot write; "+
				"ask with an earlier or later time", ErrOutOfRange, t.UTC().Year())
		}
		_, err := io.WriteString(w, strconv.Quote(t.UTC().Format(TimeLayout)))
		return err
	})
}

// UnmarshalTime reads an RFC 3339 time: a Z or ±hh:mm offset, fractional
// seconds optional and of any length (digits past microseconds are
// dropped, as the databases keep no more), the instant in the years
// MinYear–MaxYear in UTC.
func UnmarshalTime(_ context.Context, v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("time must be an RFC 3339 string such as 2026-11-30T09:30:00Z, got %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-30T09:30:00Z or 2026-11-30T10:30:00.000000+01:00", s)
	}
	if !inRange(t) {
		return time.Time{}, fmt.Errorf("%w: %q", ErrOutOfRange, s)
	}
	return t.Truncate(time.Microsecond), nil
}
