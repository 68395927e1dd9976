package graph

import (
	"context"
	"fmt"
	"time"

	"helpdesk/ent"
	"helpdesk/ent/schema/schematype"
	"helpdesk/graph/model"
	"helpdesk/internal/bizhours"
	"helpdesk/internal/sla"
	"helpdesk/internal/ticketing"
)

// db is the client of the request: the mutation's transaction (opened by
// entgql.Transactioner) or the plain client for queries.
func (r *Resolver) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return r.Client
}

// values turns the list of pointers gqlgen builds into values.
func values[T any](in []*T) []T {
	out := make([]T, 0, len(in))
	for _, p := range in {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// policyFields sets a policy mutation from the API's input; omitted
// optional fields keep their defaults (create) or become them (update).
func policyFields[M interface {
	SetName(string) M
	SetTimezone(string) M
	SetAlwaysOpen(bool) M
	SetOpeningHours([]bizhours.OpeningHours) M
	SetHolidays([]string) M
	SetHolidayCountry(string) M
	SetPauseOnThirdParty(bool) M
	SetTargets([]schematype.SLATarget) M
	SetWarningPercent(int) M
	SetReminderSeconds(int) M
	SetAutoCloseSeconds(int) M
	SetReopenWindowSeconds(int) M
}](m M, in model.CreateSLAPolicyInput) M {
	hours := values(in.OpeningHours)
	if in.OpeningHours == nil {
		hours = bizhours.DefaultOpeningHours()
	}
	holidays := in.Holidays
	if holidays == nil {
		holidays = []string{}
	}
	m.SetName(in.Name).SetTimezone(in.Timezone).SetAlwaysOpen(in.AlwaysOpen != nil && *in.AlwaysOpen).
		SetOpeningHours(hours).SetHolidays(holidays).SetTargets(values(in.Targets)).
		SetHolidayCountry(orEmpty(in.HolidayCountry)).SetPauseOnThirdParty(in.PauseOnThirdParty == nil || *in.PauseOnThirdParty).
		SetWarningPercent(orDefault(in.WarningPercent, sla.DefaultWarningPercent)).
		SetReminderSeconds(orDefault(in.ReminderSeconds, sla.DefaultReminderSeconds)).
		SetAutoCloseSeconds(orDefault(in.AutoCloseSeconds, sla.DefaultAutoCloseSeconds)).
		SetReopenWindowSeconds(orDefault(in.ReopenWindowSeconds, sla.DefaultReopenWindowSeconds))
	return m
}

func orEmpty(p *string) string {
	if p != nil {
		return *p
	}
	return ""
}

func orDefault(p *int, d int) int {
	if p != nil {
		return *p
	}
	return d
}

// slaClocks is the API's view of a ticket's explained clocks
// (Ticket.slaClocks).
func slaClocks(es []sla.Explanation) []*model.SLAClock {
	out := make([]*model.SLAClock, len(es))
	for i, e := range es {
		paused := make([]*sla.Interval, len(e.Paused))
		for j := range e.Paused {
			paused[j] = &e.Paused[j]
		}
		warn, due := e.WarnAt, e.DueAt
		out[i] = &model.SLAClock{Clock: model.SLAClockKind(e.Clock), PolicyVersion: e.PolicyVersion,
			TargetSeconds: int(e.Target / time.Second), ElapsedSeconds: int(e.Elapsed / time.Second),
			PausedIntervals: paused, WarningAt: &warn, DueAt: &due, MetAt: e.MetAt, BreachedAt: e.BreachedAt}
	}
	return out
}

// Page sizes of connections: without first or last a page holds
// defaultPage nodes; more than maxPage in one page is refused, so one
// client cannot pull a whole table in one request.
const (
	defaultPage = 100
	maxPage     = 1000
)

// page bounds a connection's first/last arguments.
func page(first, last *int) (*int, *int, error) {
	for _, n := range []*int{first, last} {
		if n != nil && (*n < 0 || *n > maxPage) {
			return nil, nil, fmt.Errorf("%w: first and last take 0 to %d, got %d", ticketing.ErrBadInput, maxPage, *n)
		}
	}
	if first == nil && last == nil {
		n := defaultPage
		first = &n
	}
	return first, last, nil
}

// PageNodes is how many nodes a connection asked for with first/last is
// counted to hold: the larger of the two, or defaultPage when neither is
// given (nil-safe; a negative count holds nothing). It is not capped at
// maxPage: page refuses more on the root connections, and an edge
// connection (Organization.tickets) must be counted at its real size.
func PageNodes(first, last *int) int {
	if first == nil && last == nil {
		return defaultPage
	}
	n := 0
	for _, p := range []*int{first, last} {
		if p != nil {
			n = max(n, *p)
		}
	}
	return n
}
