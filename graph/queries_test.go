package graph_test

import (
	"context"
	"strings"
	"sync"
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
	var log sqlLog
	e := apitest.New(t, apitest.Options{Driver: log.driver})
	tn := e.Tenant(t, "nplus1")
	agent := e.Agent(t, "AGENT")
	measure := func() int64 {
		t.Helper()
		return countSelects(log.during(func() {
			var out struct {
				Tickets struct{ TotalCount int } `json:"tickets"`
			}
			e.Do(t, agent.Token, page, nil, &out)
		}))
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

// sqlLog records the statements an Env's database runs during a call
// (as its Driver option), SQLite's quotes written as PostgreSQL's.
type sqlLog struct {
	mu  sync.Mutex
	on  bool
	sql []string
}

func (l *sqlLog) driver(d dialect.Driver) dialect.Driver {
	return dialect.DebugWithContext(d, func(_ context.Context, args ...any) {
		if len(args) == 0 {
			return
		}
		s, _ := args[0].(string)
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.on {
			l.sql = append(l.sql, strings.ReplaceAll(s, "`", `"`))
		}
	})
}

// during runs f and returns the statements it ran.
func (l *sqlLog) during(f func()) []string {
	l.mu.Lock()
	l.on, l.sql = true, nil
	l.mu.Unlock()
	f()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.sql
}

// containing is the statements of stmts that contain sub.
func containing(stmts []string, sub string) []string {
	var out []string
	for _, s := range stmts {
		if strings.Contains(s, sub) {
			out = append(out, s)
		}
	}
	return out
}

// countSelects is how many of stmts are SELECTs.
func countSelects(stmts []string) int64 { return int64(len(containing(stmts, "SELECT"))) }

// TestCreatingATicketReadsItsRequesterOnce: the create reads the requester
// to derive the organization, and the notification plan of its CREATED
// event (in the same transaction) uses that read, not one of its own; the
// requester is still told, by name and address.
func TestCreatingATicketReadsItsRequesterOnce(t *testing.T) {
	t.Parallel()
	var log sqlLog
	e := apitest.New(t, apitest.Options{Driver: log.driver})
	tn := e.Tenant(t, "requester-once")
	var tk apitest.Ticket
	var reads []string
	for _, s := range containing(log.during(func() { tk = e.CreateTicket(t, tn.User.Token, nil) }), `FROM "contacts" WHERE "contacts"."id" = `) {
		if !strings.Contains(s, "api_tokens") { // the token's recheck
			reads = append(reads, s)
		}
	}
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
