package ticketing

import (
	"context"
	"time"
)

// The request and the clock travel with the context to the data model's
// hooks, which apply the rules inside the change's transaction.

type requestKey struct{}

// WithRequest returns a context carrying r to the hooks of the ticket
// change it asks for.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request of ctx, if any.
func RequestFrom(ctx context.Context) (Request, bool) {
	r, ok := ctx.Value(requestKey{}).(Request)
	return r, ok
}

type clockKey struct{}

// WithClock returns a context whose changes happen at the instants now
// gives (tests pass a clock they control).
func WithClock(ctx context.Context, now func() time.Time) context.Context {
	return context.WithValue(ctx, clockKey{}, now)
}

// Now is the instant of a change made with ctx: its clock's, or the wall
// clock's when none was passed in. It is the one place the package reads
// the wall clock; the rules take the instant as an argument.
//
// Instants are kept to the microsecond, as PostgreSQL keeps them, so that
// an instant reads back as it was written on either database (the
// workflow compares the instants its timers were armed for with the
// ticket's).
func Now(ctx context.Context) time.Time {
	if now, ok := ctx.Value(clockKey{}).(func() time.Time); ok && now != nil {
		return now().Truncate(time.Microsecond)
	}
	return time.Now().Truncate(time.Microsecond)
}
