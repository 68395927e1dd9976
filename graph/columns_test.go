package graph_test

import (
	"reflect"
	"strings"
	"testing"

	"helpdesk/internal/apitest"
)

// ticketSelects is the SELECTs of ticket rows among stmts.
func ticketSelects(stmts []string) []string { return containing(stmts, `SELECT "tickets"."id"`) }

// reads reports whether the one SELECT in sqls reads each column.
func reads(t *testing.T, sqls []string, columns ...string) []bool {
	t.Helper()
	if len(sqls) != 1 {
		t.Fatalf("expected one SELECT of tickets, got %d: %q", len(sqls), sqls)
	}
	var out []bool
	for _, c := range columns {
		out = append(out, strings.Contains(sqls[0], `"tickets"."`+c+`"`))
	}
	return out
}

// TestAListOrALookupReadsOnlyTheTicketColumnsItShows: a portal's list
// (number, status, priority, time, organization, requester, assignee)
// reads neither the description nor the JSON of each row (the policy the
// ticket opened under, its pauses), and gets the same answers as a query
// that reads them; asking for the description, a fragment's field or the
// SLA clocks reads what they need.
func TestAListOrALookupReadsOnlyTheTicketColumnsItShows(t *testing.T) {
	t.Parallel()
	var rec sqlLog
	e := apitest.New(t, apitest.Options{Driver: rec.driver})
	tn := e.Tenant(t, "columns")
	agent := e.Agent(t, "AGENT")
	tk := e.CreateTicket(t, tn.User.Token, map[string]any{"description": "The printer on floor 3 is on fire"})
	e.Do(t, agent.Token, `mutation($id: ID!, $a: ID!) { assignTicket(id: $id, agentID: $a) { id } }`,
		map[string]any{"id": tk.ID, "a": agent.ID}, nil)

	type node struct {
		ID, Number, Status, Priority, CreatedAt, Description string
		Organization, Requester, Assignee                    struct{ Name string }
		SLAClocks                                            []struct{ Clock string } `json:"slaClocks"`
	}
	var list, full struct {
		Tickets struct{ Edges []struct{ Node node } } `json:"tickets"`
	}
	listSQL := ticketSelects(rec.during(func() {
		e.Do(t, agent.Token, `query { tickets(first: 50, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node {
			id number status priority createdAt organization { name } requester { name } assignee { name } } } } }`, nil, &list)
	}))
	got := reads(t, listSQL, "description", "sla_policy", "paused_intervals", "status", "priority", "created_at", "organization_id", "requester_id", "assignee_id")
	if got[0] || got[1] || got[2] {
		t.Errorf("the list read the description, policy or pauses (%v): %s", got[:3], listSQL[0])
	}
	for i, c := range []string{"status", "priority", "created_at", "organization_id", "requester_id", "assignee_id"} {
		if !got[3+i] {
			t.Errorf("the list did not read %s, which it shows: %s", c, listSQL[0])
		}
	}
	fullSQL := ticketSelects(rec.during(func() {
		e.Do(t, agent.Token, `query { tickets(first: 50, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node {
			id number status priority createdAt description organization { name } requester { name } assignee { name }
			slaClocks { clock } } } } }`, nil, &full)
	}))
	if got := reads(t, fullSQL, "description", "sla_policy"); !got[0] || !got[1] {
		t.Errorf("a list with the description and the SLA clocks did not read them (%v): %s", got, fullSQL[0])
	}
	if len(list.Tickets.Edges) != 1 || len(full.Tickets.Edges) != 1 {
		t.Fatalf("expected the one ticket in both lists: %+v, %+v", list, full)
	}
	l, f := list.Tickets.Edges[0].Node, full.Tickets.Edges[0].Node
	if f.Description != "The printer on floor 3 is on fire" || len(f.SLAClocks) != 2 {
		t.Errorf("the whole row's answers are wrong: %+v", f)
	}
	f.Description, f.SLAClocks = "", nil
	if !reflect.DeepEqual(l, f) || l.Number != tk.Number || l.Status != "NEW" || l.Priority != "HIGH" || l.Assignee.Name == "" ||
		l.Organization.Name == "" || l.Requester.Name == "" || l.CreatedAt == "" {
		t.Errorf("the narrow list answers %+v, the whole row %+v (ticket %s)", l, f, tk.Number)
	}

	// A lookup by number: what it shows, and a fragment's field with it.
	var byNumber struct {
		TicketByNumber struct{ Number, Status, Subject, Description string } `json:"ticketByNumber"`
	}
	vars := map[string]any{"n": tk.Number}
	lookupSQL := ticketSelects(rec.during(func() {
		e.Do(t, tn.User.Token, `query($n: String!) { ticketByNumber(number: $n) { number status } }`, vars, &byNumber)
	}))
	if got := reads(t, lookupSQL, "description", "sla_policy", "status"); got[0] || got[1] || !got[2] {
		t.Errorf("a lookup of number and status read (description, policy, status) = %v: %s", got, lookupSQL[0])
	}
	if byNumber.TicketByNumber.Number != tk.Number || byNumber.TicketByNumber.Status != "NEW" {
		t.Errorf("lookup answered %+v", byNumber.TicketByNumber)
	}
	fragmentSQL := ticketSelects(rec.during(func() {
		e.Do(t, tn.User.Token, `query($n: String!) { ticketByNumber(number: $n) { number ...more ... on Node { ... on Ticket { subject } } } }
			fragment more on Ticket { description }`, vars, &byNumber)
	}))
	if got := reads(t, fragmentSQL, "description", "subject"); !got[0] || !got[1] {
		t.Errorf("fragments' fields (description, subject) read = %v: %s", got, fragmentSQL[0])
	}
	if byNumber.TicketByNumber.Description != "The printer on floor 3 is on fire" || byNumber.TicketByNumber.Subject == "" {
		t.Errorf("fragments answered %+v", byNumber.TicketByNumber)
	}
	// Someone who may not see the ticket still gets null, narrow or not.
	other := e.Tenant(t, "columns-other")
	var none struct {
		TicketByNumber *struct{ Number string } `json:"ticketByNumber"`
	}
	e.Do(t, other.User.Token, `query($n: String!) { ticketByNumber(number: $n) { number } }`, vars, &none)
	if none.TicketByNumber != nil {
		t.Errorf("another organization's contact sees %+v", none.TicketByNumber)
	}
}
