package graph_test

// Query cost over real HTTP: the price of an operation counts the page
// sizes it asks for, so a short query that would pull a million nodes is
// refused before any SQL, while the portal's real queries are served; and
// the objects of one answer are bounded as it is built.

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"helpdesk/internal/apitest"
)

// sqlCounter counts the statements that read a table while it is on.
type sqlCounter struct {
	on    atomic.Bool
	reads atomic.Int64
	table string
}

func (c *sqlCounter) driver(d dialect.Driver) dialect.Driver {
	return dialect.DebugWithContext(d, func(_ context.Context, args ...any) {
		if !c.on.Load() || len(args) == 0 {
			return
		}
		if s, ok := args[0].(string); ok && strings.Contains(s, "SELECT") && strings.Contains(s, `"`+c.table+`"`) {
			c.reads.Add(1)
		}
	})
}

// reasonOf is the extensions.reason of an error.
func reasonOf(e apitest.Error) string { r, _ := e.Extensions["reason"].(string); return r }

// TestQueryCostCountsPageSizesAndRefusesAMillionNodesBeforeAnySQL is the
// report's query: about 100 bytes asking a customer MASTER's 1,000 tickets each
// with 1,000 tickets of its organization. It and its variants (last,
// variables, fragments, other connections, nested lists without a page
// size, nodes with many IDs) are refused at once with a message that says
// the cost, the limit and what to change, and read no ticket.
func TestQueryCostCountsPageSizesAndRefusesAMillionNodesBeforeAnySQL(t *testing.T) {
	t.Parallel()
	counter := &sqlCounter{table: "tickets"}
	e := newEnv(t, apitest.Options{Driver: counter.driver})
	tn := e.Tenant(t, "cost")
	e.CreateTicket(t, tn.User.Token, nil)

	const million = `{ tickets(first:1000){ edges{ node{ organization{ tickets(first:1000){ edges{ node{ id }}}}}}}}`
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprint(4294967296 + i)
	}
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"the reported query", million, nil},
		{"last instead of first", `{ tickets(last:1000){ edges{ node{ organization{ tickets(last:1000){ edges{ node{ id }}}}}}}}`, nil},
		{"page sizes in variables", `query($n: Int, $m: Int) { tickets(first: $n) { edges { node { organization { tickets(first: $m) { edges { node { id } } } } } } } }`,
			map[string]any{"n": 1000, "m": 1000}},
		{"page sizes through fragments", `query { tickets(first: 1000) { ...T } } fragment T on TicketConnection { edges { node { organization { ...O } } } }
			fragment O on Organization { tickets(first: 1000) { edges { node { id } } } }`, nil},
		{"the default page (100) of each connection, nested", `{ organizations { edges { node { tickets { edges { node { organization { tickets { edges { node { id subject } } } } } } } } } } }`, nil},
		{"contacts, each with its organization's tickets", `{ contacts(first: 1000) { edges { node { organization { tickets(first: 1000) { edges { node { id } } } } } } } }`, nil},
		{"agents with every ticket", `{ agents(first: 1000) { edges { node { id } } } tickets(first: 1000) { edges { node { organization { contacts { organization { tickets(first: 500) { totalCount } } } } } } } }`, nil},
		{"lists without a page size, nested", `{ tickets(first: 1000) { edges { node { events { ticket { comments { ticket { events { id kind data } } } } } } } } }`, nil},
		{"pages too large to count (an edge connection has no maxPage)", `{ organizations(first: 2147483647) { edges { node { tickets(first: 2147483647) { edges { node {
			organization { tickets(first: 2147483647) { edges { node { id } } } } } } } } } } }`, nil},
		{"nodes with 1,000 IDs and their tickets", `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Organization { tickets(first: 100) { edges { node { id } } } } } }`,
			map[string]any{"ids": ids}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			counter.reads.Store(0)
			counter.on.Store(true)
			start := time.Now()
			res := e.Post(t, tn.Master.Token, c.query, c.vars)
			took := time.Since(start)
			counter.on.Store(false)
			checkRefused(t, res, badInput)
			if len(res.Errors) != 1 || reasonOf(res.Errors[0]) != "COMPLEXITY_LIMIT_EXCEEDED" {
				t.Fatalf("errors %v, want one COMPLEXITY_LIMIT_EXCEEDED", res.Errors)
			}
			msg := res.Errors[0].Message
			for _, want := range []string{"costs ", "limit of 50000", "smaller first or last"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not say %q", msg, want)
				}
			}
			if n := counter.reads.Load(); n != 0 {
				t.Errorf("refusing read tickets %d times; it must refuse before any SQL", n)
			}
			if took > 2*time.Second {
				t.Errorf("refusing took %v; the limit must refuse at once", took)
			}
		})
	}
	t.Run("the cost is the one the rule gives", func(t *testing.T) {
		// 1 + 1000 × (edges 1 + node 1 + organization 1 + tickets (1 + 1000 × (edges 1 + node 1 + id 1)))
		res := e.Post(t, tn.Master.Token, million, nil)
		if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "costs 3004001,") {
			t.Fatalf("errors %v, want the cost 3004001", res.Errors)
		}
	})
	t.Run("a page size given as null or left out counts as the default page", func(t *testing.T) {
		e.Do(t, tn.Master.Token, `query($n: Int) { a: tickets(first: $n) { edges { node { id } } } b: tickets(first: null, last: null) { totalCount } }`, nil, nil)
		e.Do(t, tn.Master.Token, `query($n: Int) { tickets(first: $n) { edges { node { id } } } }`, map[string]any{"n": nil}, nil)
	})
	stillServes(t, e, tn.Master.Token)
}

// TestQueryCostServesThePortalsRealQueries: what portals, the load
// command and GraphiQL send stays within the cost limit.
func TestQueryCostServesThePortalsRealQueries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apitest.Options{})
	tn := e.Tenant(t, "cost-real")
	agent := e.Agent(t, "AGENT")
	for range 3 {
		tk := e.CreateTicket(t, tn.User.Token, nil)
		e.Do(t, agent.Token, `mutation($id: ID!, $a: ID!) { assignTicket(id: $id, agentID: $a) { id } }`, map[string]any{"id": tk.ID, "a": agent.ID}, nil)
	}
	queries := []struct{ name, query string }{
		{"a page of 100 tickets with organization, requester, assignee and events (queries_test)", `query { tickets(first: 100, orderBy: {field: CREATED_AT, direction: DESC}) {
			totalCount edges { node { id number status organization { id name } requester { id name }
			assignee { id name } events { id kind createdAt } } } } }`},
		{"the load command's page of 50 tickets (internal/bench)", `query BenchTicketsPage { tickets(first: 50, orderBy: {field: CREATED_AT, direction: DESC}) {
			edges { node { id number status priority createdAt organization { id name } requester { id name } assignee { id name } } } } }`},
		{"a full page of 1,000 tickets with their scalar fields", `{ tickets(first: 1000) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
			id number subject description status priority category channel escalationLevel eventType currentStatus onsetAt logs sofNumber
			createdAt updatedAt firstResponseDueAt resolutionDueAt firstRespondedAt resolvedAt closedAt slaPaused firstResponseBreached resolutionBreached
			organization { id name } requester { id name email } assignee { id name } service { id name } } } } }`},
		{"a ticket's detail with comments, events and notifications", `query { tickets(first: 20) { edges { node { id subject
			comments { id body internal createdAt authorContact { id name } authorAgent { id name } }
			events { id kind data statusAfter priorityAfter actorAgent { id name } actorContact { id name } createdAt } notifications { id kind status recipient } } } } }`},
		{"an organization with its contacts, services and first tickets", `{ organizations { edges { node { id name slaPolicy { id name targets { priority firstResponseSeconds } }
			contacts { id name email role } services { id name sofNumber } tickets(first: 25) { totalCount edges { node { id number status } } } } } } }`},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) { e.Do(t, agent.Token, q.query, nil, nil) })
	}
	t.Run("GraphiQL's introspection query, with or without a token", func(t *testing.T) {
		for _, token := range []string{"", tn.User.Token} {
			var out struct {
				Schema struct{ Types []struct{ Name string } } `json:"__schema"`
			}
			e.Do(t, token, introspectionQuery, nil, &out)
			if len(out.Schema.Types) < 50 {
				t.Errorf("introspection listed %d types", len(out.Schema.Types))
			}
		}
	})
}

// TestResponseObjectsAreBoundedWhileTheAnswerIsBuilt: lists without a page
// size are estimated, so an answer that holds more objects than the
// server's ceiling (lowered here to 40, so a few tickets reach it) is cut:
// one BAD_USER_INPUT error (RESPONSE_TOO_LARGE) and no partial data. An
// answer under the ceiling, mutations and introspection are served.
func TestResponseObjectsAreBoundedWhileTheAnswerIsBuilt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apitest.Options{MaxResponseObjects: 40})
	tn := e.Tenant(t, "objects")
	agent := e.Agent(t, "AGENT")
	for range 4 {
		tk := e.CreateTicket(t, tn.User.Token, nil)
		for range 4 {
			e.Do(t, agent.Token, `mutation($id: ID!) { addComment(input: {ticketID: $id, body: "looking"}) { id ticket { events { id } } } }`,
				map[string]any{"id": tk.ID}, nil)
		}
	}
	// At least 1 + 4 × (edge + node + 5 events + 4 comments) = 45 objects.
	res := e.Post(t, agent.Token, `{ tickets { edges { node { id events { id kind } comments { id body } } } } }`, nil)
	checkRefused(t, res, badInput)
	if len(res.Errors) != 1 || reasonOf(res.Errors[0]) != "RESPONSE_TOO_LARGE" || !strings.Contains(res.Errors[0].Message, "more than 40 objects") {
		t.Fatalf("errors %v, want one RESPONSE_TOO_LARGE naming the ceiling", res.Errors)
	}
	if apitest.HasData(res.Data) {
		t.Errorf("a cut answer carried data %s", res.Data)
	}
	// 1 + 4 × (edge + node + organization) = 13 objects.
	e.Do(t, agent.Token, `{ tickets { edges { node { id organization { id } } } } }`, nil, nil)
	e.Do(t, agent.Token, introspectionQuery, nil, nil)
}

// introspectionQuery is the query GraphiQL loads the schema with.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`
