package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"helpdesk/internal/apitest"
)

// wsEvent is what these tests select of a pushed TicketEvent.
type wsEvent struct {
	ID     string
	Kind   string
	Ticket struct {
		ID           string
		Organization struct {
			Tickets struct{ TotalCount int }
		}
	}
}

const allEvents = `subscription($t: ID) { ticketEvents(ticketID: $t) {
	id kind ticket { id organization { tickets { totalCount } } } } }`

// event reads a next message of ticketEvents.
func event(t *testing.T, m apitest.Message) wsEvent {
	t.Helper()
	var d struct{ TicketEvents wsEvent }
	if err := m.Decode(&d); err != nil {
		t.Fatalf("subscription %s: %v: %s %s", m.ID, err, m.Type, m.Payload)
	}
	return d.TicketEvents
}

// comment adds a public comment to ticket as token; its event ID is the
// newest of the ticket's timeline.
func comment(t *testing.T, e *apitest.Env, token, ticket string) {
	t.Helper()
	e.Comment(t, token, ticket, apitest.Unique("comment"), false)
}

// started comments on ticket as token until subscription id on s carries
// an event (the server runs subscribe messages asynchronously); it
// returns that event.
func started(t *testing.T, e *apitest.Env, s *apitest.Socket, id, token, ticket string) wsEvent {
	t.Helper()
	return event(t, apitest.Started(t, func() { comment(t, e, token, ticket) }, id, s)[0])
}

// until collects the events of subscription id up to the first of ticket.
func until(t *testing.T, s *apitest.Socket, id, ticket string) []wsEvent {
	t.Helper()
	var out []wsEvent
	for deadline := time.Now().Add(apitest.SocketWait); ; {
		m, ok := s.Await(id, time.Until(deadline))
		if !ok {
			t.Fatalf("subscription %s: no event of ticket %s (got %+v)", id, ticket, out)
		}
		ev := event(t, m)
		out = append(out, ev)
		if ev.Ticket.ID == ticket {
			return out
		}
	}
}

// ended waits for subscription id to end, past the events it still
// carries; it returns the error codes it ended with (none for a plain
// complete) and the message it ended with.
func ended(t *testing.T, s *apitest.Socket, id string) (codes []string, end apitest.Message, ok bool) {
	t.Helper()
	for deadline := time.Now().Add(apitest.SocketWait); ; {
		m, got := s.Await(id, time.Until(deadline))
		switch {
		case !got:
			return nil, m, false
		case m.Type == "complete":
			return nil, m, true
		case m.Type == "error":
			r, _ := m.Result()
			return r.Codes(), m, true
		}
	}
}

func TestSocketOperationsRunAsTheTokensOwnerOfNow(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "ws-now")
	tk := e.CreateTicket(t, tn.User.Token, nil)
	s := e.Socket(t, tn.User.Token)
	if res, end := s.Run(t, "before", `{ viewer { contact { id } } }`, nil); len(res) != 1 || len(res[0].Errors) > 0 || end != "complete" {
		t.Fatalf("a query on the socket before: %s, %s", describe(res), end)
	}
	s.Subscribe(t, "stream", allEvents, map[string]any{"t": tk.ID})
	started(t, e, s, "stream", tn.User.Token, tk.ID)

	e.Do(t, apitest.AdminToken, `mutation($id: ID!) { deactivateContact(id: $id) { id } }`, map[string]any{"id": tn.User.ID}, nil)
	if r := e.Post(t, tn.User.Token, `{ viewer { contact { id } } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("HTTP with the deactivated contact's token: %d", r.Status)
	}
	t.Run("its open subscription ends with UNAUTHENTICATED", func(t *testing.T) {
		if codes, _, ok := ended(t, s, "stream"); !ok || !slices.Equal(codes, []string{"UNAUTHENTICATED"}) {
			t.Errorf("the stream ended = %v with %v; want an UNAUTHENTICATED error", ok, codes)
		}
	})
	for _, op := range []struct{ name, query string }{
		{"a query", `{ viewer { contact { id } } }`},
		{"a mutation", `mutation($t: ID!) { addComment(input: {ticketID: $t, body: "after deactivation"}) { id } }`},
		{"a subscription", allEvents},
	} {
		t.Run(op.name+" on its open socket is UNAUTHENTICATED", func(t *testing.T) {
			res, end := s.Run(t, op.name, op.query, map[string]any{"t": tk.ID})
			if len(res) != 1 || !slices.Equal(res[0].Codes(), []string{"UNAUTHENTICATED"}) || hasData(res[0].Data) || end == "" {
				t.Errorf("got %s, ended %q; want one UNAUTHENTICATED error and no data", describe(res), end)
			}
		})
	}
	for _, c := range comments(t, e, tk.ID) {
		if c.Body == "after deactivation" {
			t.Errorf("the deactivated contact's mutation over its socket was written")
		}
	}
}

// comments are the bodies of a ticket's comments, as the admin sees them.
func comments(t *testing.T, e *apitest.Env, ticket string) []struct{ Body string } {
	t.Helper()
	var d struct {
		Node struct{ Comments []struct{ Body string } }
	}
	e.Do(t, apitest.AdminToken, `query($id: ID!) { node(id: $id) { ... on Ticket { comments { body } } } }`, map[string]any{"id": ticket}, &d)
	return d.Node.Comments
}

// describe shows results for a failure message.
func describe(res []apitest.Response) string {
	var b strings.Builder
	for _, r := range res {
		fmt.Fprintf(&b, "[data %s errors %v] ", r.Data, r.Errors)
	}
	return b.String()
}

func hasData(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s != "" && s != "null" && s != "{}"
}

func TestSocketFollowsARoleTakenAway(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "ws-demote")
	agent := e.Agent(t, "AGENT")
	own := e.CreateTicket(t, tn.Admin.Token, nil)
	other := e.CreateTicket(t, tn.User2.Token, nil)
	s := e.Socket(t, tn.Admin.Token)
	s.Subscribe(t, "all", allEvents, map[string]any{"t": nil})
	if ev := started(t, e, s, "all", tn.Admin.Token, own.ID); ev.Ticket.Organization.Tickets.TotalCount != 2 {
		t.Fatalf("as ADMIN the stream sees %d tickets of the organization, want 2", ev.Ticket.Organization.Tickets.TotalCount)
	}

	e.Do(t, apitest.AdminToken, `mutation($id: ID!) { updateContact(id: $id, input: {role: USER}) { id } }`, map[string]any{"id": tn.Admin.ID}, nil)

	t.Run("a query on its open socket sees only its own tickets", func(t *testing.T) {
		res, _ := s.Run(t, "q", `{ tickets { totalCount } }`, nil)
		if len(res) != 1 || len(res[0].Errors) > 0 || !strings.Contains(string(res[0].Data), `"totalCount":1`) {
			t.Errorf("tickets after the demotion: %s; want totalCount 1", describe(res))
		}
	})
	t.Run("its open stream carries no more of another USER's events, and resolves as a USER", func(t *testing.T) {
		comment(t, e, agent.Token, other.ID) // an event of User2's ticket
		comment(t, e, tn.Admin.Token, own.ID)
		for _, ev := range until(t, s, "all", own.ID) {
			if ev.Ticket.ID == other.ID {
				t.Errorf("LEAK: event %s of another USER's ticket after the demotion", ev.ID)
			}
			if ev.Ticket.ID == own.ID && ev.Ticket.Organization.Tickets.TotalCount != 1 {
				t.Errorf("LEAK: an event's ticket { organization { tickets } } shows %d tickets to a USER", ev.Ticket.Organization.Tickets.TotalCount)
			}
		}
	})
}

func TestSubscriptionToATicketNoLongerVisibleEnds(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "ws-lost")
	agent := e.Agent(t, "AGENT")
	tk := e.CreateTicket(t, tn.User2.Token, nil)
	s := e.Socket(t, tn.Master.Token)
	s.Subscribe(t, "one", allEvents, map[string]any{"t": tk.ID})
	started(t, e, s, "one", agent.Token, tk.ID)
	e.Do(t, apitest.AdminToken, `mutation($id: ID!) { updateContact(id: $id, input: {role: USER}) { id } }`, map[string]any{"id": tn.Master.ID}, nil)
	comment(t, e, agent.Token, tk.ID)
	// Events sent before the demotion was seen may come first.
	codes, m, ok := ended(t, s, "one")
	if !ok {
		t.Fatal("the stream of a ticket the demoted MASTER no longer sees did not end")
	}
	if m.Type != "error" || !slices.Equal(codes, []string{"NOT_FOUND"}) {
		t.Fatalf("the stream ended with %s %s; want a NOT_FOUND error", m.Type, m.Payload)
	}
}

func TestMutationOverWebSocketHasOneResultAndKicksTheOutbox(t *testing.T) {
	t.Parallel()
	var kicks atomic.Int64
	e := apitest.New(t, apitest.Options{AfterMutation: func() { kicks.Add(1) }})
	tn := e.Tenant(t, "ws-mutation")
	tk := e.CreateTicket(t, tn.User.Token, nil)
	s := e.Socket(t, tn.User.Token)
	before := kicks.Load()
	res, end := s.Run(t, "m", `mutation($t: ID!) { addComment(input: {ticketID: $t, body: "over the socket"}) { id body } }`, map[string]any{"t": tk.ID})
	if len(res) != 1 || len(res[0].Errors) > 0 || !strings.Contains(string(res[0].Data), "over the socket") || end != "complete" {
		t.Fatalf("a mutation over WebSocket: %s, ended %q; want one result without errors, then complete", describe(res), end)
	}
	if n := kicks.Load() - before; n != 1 {
		t.Errorf("AfterMutation ran %d times for one mutation, want 1", n)
	}
	if n := len(comments(t, e, tk.ID)); n != 1 {
		t.Errorf("the ticket has %d comments after one mutation, want 1", n)
	}
	if res, end := s.Run(t, "q", `{ viewer { contact { id } } }`, nil); len(res) != 1 || len(res[0].Errors) > 0 || end != "complete" {
		t.Errorf("a query over WebSocket: %s, ended %q; want one result, then complete", describe(res), end)
	}
}

func TestConnectionAckDoesNotEchoTheToken(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	s, _, err := e.DialSocket(t, apitest.SocketOptions{Token: apitest.AdminToken})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := s.AwaitInit()
	if !ok || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v", m)
	}
	if p := strings.TrimSpace(string(m.Payload)); p != "" && p != "null" && p != "{}" || strings.Contains(p, apitest.AdminToken) {
		t.Errorf("connection_ack carries %s; want no payload", m.Payload)
	}
}

func TestSubscriptionsOverHTTPAreRefused(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	e.Fail(t, "BAD_USER_INPUT", apitest.AdminToken, allEvents, map[string]any{"t": nil})
}

func TestASocketWithoutConnectionInitIsClosed(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{SocketInitTimeout: 200 * time.Millisecond})
	s, status, err := e.DialSocket(t, apitest.SocketOptions{NoInit: true})
	if err != nil {
		t.Fatalf("upgrade: HTTP %d: %v", status, err)
	}
	select {
	case <-s.Done():
		t.Logf("closed with %v", s.CloseCode())
	case <-time.After(2 * time.Second):
		t.Fatal("a socket that never sent connection_init is still open")
	}
}
