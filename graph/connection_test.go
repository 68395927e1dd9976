package graph_test

import (
	"slices"
	"testing"

	"helpdesk/internal/apitest"
)

type ticketPage struct {
	Tickets struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Edges []struct{ Node apitest.Ticket }
	}
}

func (p ticketPage) priorities() []string {
	var out []string
	for _, e := range p.Tickets.Edges {
		out = append(out, e.Node.Priority)
	}
	return out
}

// TestTicketsConnectionOrdersFiltersAndPages: a portal orders by priority
// (most urgent first, not alphabetically) and by due time, filters, and
// pages with cursors.
func TestTicketsConnectionOrdersFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "connection")
	for _, p := range []string{"LOW", "CRITICAL", "MEDIUM", "HIGH"} {
		e.CreateTicket(t, tn.Master.Token, map[string]any{"priority": p})
	}
	const q = `query($first: Int, $after: Cursor, $order: TicketOrder, $where: TicketWhereInput) {
		tickets(first: $first, after: $after, orderBy: $order, where: $where) {
			totalCount pageInfo { hasNextPage endCursor } edges { node { ` + apitest.TicketFields + ` } } } }`
	var byPriority ticketPage
	e.Do(t, tn.Master.Token, q, map[string]any{"order": map[string]any{"field": "PRIORITY", "direction": "ASC"}}, &byPriority)
	if got := byPriority.priorities(); !slices.Equal(got, []string{"CRITICAL", "HIGH", "MEDIUM", "LOW"}) {
		t.Errorf("ordered by PRIORITY ASC: %v", got)
	}
	var byDue ticketPage
	e.Do(t, tn.Master.Token, q, map[string]any{"order": map[string]any{"field": "FIRST_RESPONSE_DUE_AT", "direction": "ASC"}}, &byDue)
	if got := byDue.priorities(); !slices.Equal(got, []string{"CRITICAL", "HIGH", "MEDIUM", "LOW"}) {
		t.Errorf("ordered by FIRST_RESPONSE_DUE_AT ASC: %v", got)
	}
	var filtered ticketPage
	e.Do(t, tn.Master.Token, q, map[string]any{"where": map[string]any{"priorityIn": []string{"CRITICAL", "HIGH"}, "status": "NEW", "escalationLevel": 0}}, &filtered)
	if filtered.Tickets.TotalCount != 2 {
		t.Errorf("priorityIn [CRITICAL HIGH]: totalCount %d, want 2", filtered.Tickets.TotalCount)
	}
	var first, second ticketPage
	order := map[string]any{"field": "PRIORITY", "direction": "DESC"}
	e.Do(t, tn.Master.Token, q, map[string]any{"first": 2, "order": order}, &first)
	if !first.Tickets.PageInfo.HasNextPage || first.Tickets.TotalCount != 4 {
		t.Fatalf("first page: %+v", first.Tickets.PageInfo)
	}
	e.Do(t, tn.Master.Token, q, map[string]any{"first": 2, "after": first.Tickets.PageInfo.EndCursor, "order": order}, &second)
	if got := append(first.priorities(), second.priorities()...); !slices.Equal(got, []string{"LOW", "MEDIUM", "HIGH", "CRITICAL"}) || second.Tickets.PageInfo.HasNextPage {
		t.Errorf("two pages by PRIORITY DESC: %v (more: %v)", got, second.Tickets.PageInfo.HasNextPage)
	}
}
