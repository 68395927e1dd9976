// Package scalar holds the GraphQL scalars whose wire format is ours.
package scalar

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// TimeLayout is how every Time leaves the API: RFC 3339 in UTC with
// microseconds (what both databases keep), e.g. 2026-11-30T08:30:00.000000Z,
// so clients can parse and sort them alike.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// MarshalTime writes t in TimeLayout.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(TimeLayout)))
	})
}

// UnmarshalTime reads an RFC 3339 time (fractional seconds optional).
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("time must be an RFC 3339 string such as 2026-11-30T09:30:00.000Z, got %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-30T09:30:00.000Z", s)
	}
	return t, nil
}
