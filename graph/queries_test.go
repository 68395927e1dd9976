package graph_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"

	"helpdesk/internal/apitest"
)

// TestTicketsPageCostsBoundedQueries proves there is no N+1: a page of 100
// tickets with organization, requester, assignee and events (with their
// actors) costs the same number of SQL queries as a page of 5.
func TestTicketsPageCostsBoundedQueries(t *testing.T) {
	t.Parallel()
	const page = `query { tickets(first: 100, orderBy: {field: CREATED_AT, direction: DESC}) {
		totalCount edges { node { id number status organization { id name } requester { id name }
		assignee { id name } events { id kind createdAt statusAfter priorityAfter
		actorAgent { id name } actorContact { id name } } } } } }`
	pageCostsBoundedQueries(t, page, 12)
}

// TestTicketsPageWithSLAClocksReadsTheTicketRowsOnly: slaClocks is
// explained from the ticket's own row (its pinned policy, pauses and
// instants): a page of 100 tickets with their clocks costs the queries of
// a page of 5, and only the page's own (authentication, count, page).
func TestTicketsPageWithSLAClocksReadsTheTicketRowsOnly(t *testing.T) {
	t.Parallel()
	const page = `query { tickets(first: 100, orderBy: {field: CREATED_AT, direction: DESC}) {
		totalCount edges { node { id status ` + slaClockFields + ` } } } }`
	pageCostsBoundedQueries(t, page, 4)
}

// pageCostsBoundedQueries counts the SELECTs of page over 5 tickets and
// over 100 (each assigned, one of every five waiting on a third party):
// the same, and at most limit.
func pageCostsBoundedQueries(t *testing.T, page string, limit int64) {
	t.Helper()
	var selects selectCounter
	e := apitest.New(t, apitest.Options{Driver: selects.driver})
	tn := e.Tenant(t, "nplus1")
	agent := e.Agent(t, "AGENT")
	measure := func() int64 {
		t.Helper()
		return selects.during(func() {
			var out struct {
				Tickets struct{ TotalCount int } `json:"tickets"`
			}
			e.Do(t, agent.Token, page, nil, &out)
		})
	}
	create := func(n int) {
		for i := 0; i < n; i++ {
			tk := e.CreateTicket(t, tn.User.Token, nil)
			e.Do(t, agent.Token, `mutation($id: ID!, $a: ID!) { assignTicket(id: $id, agentID: $a) { id } }`,
				map[string]any{"id": tk.ID, "a": agent.ID}, nil)
			if i%5 == 0 {
				for _, op := range []string{`mutation($id: ID!) { acceptTicket(id: $id) { id } }`,
					`mutation($id: ID!) { waitOnThirdParty(id: $id, reason: "vendor") { id } }`} {
					e.Do(t, agent.Token, op, map[string]any{"id": tk.ID}, nil)
				}
			}
		}
	}
	create(5)
	small := measure()
	create(95)
	large := measure()
	t.Logf("SELECTs for 5 tickets: %d, for 100 tickets: %d", small, large)
	if large != small {
		t.Fatalf("a page of 100 tickets costs %d queries, a page of 5 costs %d: N+1", large, small)
	}
	if large > limit {
		t.Fatalf("a page costs %d queries; expected at most %d (auth + count + page + one per edge)", large, limit)
	}
}

// selectCounter counts the SELECTs an Env's database runs during a call
// (as its Driver option).
type selectCounter struct {
	on atomic.Bool
	n  atomic.Int64
}

func (c *selectCounter) driver(d dialect.Driver) dialect.Driver {
	return dialect.DebugWithContext(d, func(_ context.Context, args ...any) {
		if c.on.Load() && len(args) > 0 {
			if s, ok := args[0].(string); ok && strings.Contains(s, "SELECT") {
				c.n.Add(1)
			}
		}
	})
}

// during runs f and returns the SELECTs it cost.
func (c *selectCounter) during(f func()) int64 {
	c.n.Store(0)
	c.on.Store(true)
	defer c.on.Store(false)
	f()
	return c.n.Load()
}

// TestCreatingATicketReadsItsRequesterOnce: the create reads the requester
// to derive the organization, and the notification plan of its CREATED
// event (in the same transaction) uses that read, not one of its own; the
// requester is still told, by name and address.
func TestCreatingATicketReadsItsRequesterOnce(t *testing.T) {
	t.Parallel()
	var reads []string
	var mu sync.Mutex
	on := false
	e := apitest.New(t, apitest.Options{Driver: func(d dialect.Driver) dialect.Driver {
		return dialect.DebugWithContext(d, func(_ context.Context, args ...any) {
			s, _ := args[0].(string)
			s = strings.ReplaceAll(s, "`", `"`)
			mu.Lock()
			defer mu.Unlock()
			if on && strings.Contains(s, `FROM "contacts" WHERE "contacts"."id" = `) && !strings.Contains(s, "api_tokens") {
				reads = append(reads, s)
			}
		})
	}})
	tn := e.Tenant(t, "requester-once")
	mu.Lock()
	on = true
	mu.Unlock()
	tk := e.CreateTicket(t, tn.User.Token, nil)
	mu.Lock()
	on = false
	mu.Unlock()
	if len(reads) != 1 {
		t.Errorf("creating a ticket read its requester %d times: %q", len(reads), reads)
	}
	var out struct {
		TicketByNumber struct {
			Notifications []struct{ Kind, Recipient string }
		} `json:"ticketByNumber"`
	}
	e.Do(t, apitest.AdminToken, `query($n: String!) { ticketByNumber(number: $n) { notifications { kind recipient } } }`,
		map[string]any{"n": tk.Number}, &out)
	told := false
	for _, n := range out.TicketByNumber.Notifications {
		told = told || strings.EqualFold(n.Recipient, tn.User.Email)
	}
	if !told {
		t.Errorf("the requester %s was not told of the new ticket: %+v", tn.User.Email, out.TicketByNumber.Notifications)
	}
}
