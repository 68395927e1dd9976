package graph_test

import (
	"fmt"
	"testing"

	"helpdesk/internal/apitest"
)

// timelineEvent is what these tests read of a TicketEvent.
type timelineEvent struct {
	ID, Kind, Data             string
	StatusAfter, PriorityAfter string
	ActorAgent                 *struct{ ID string }
	ActorContact               *struct{ ID string }
	Ticket                     struct{ Status string }
}

const timelineFields = `id kind data statusAfter priorityAfter actorAgent { id } actorContact { id } ticket { status }`

// timeline reads a ticket's events as token.
func timeline(t *testing.T, e *apitest.Env, token, id string) []timelineEvent {
	t.Helper()
	var out struct {
		Node struct{ Events []timelineEvent } `json:"node"`
	}
	e.Do(t, token, `query($id: ID!) { node(id: $id) { ... on Ticket { events { `+timelineFields+` } } } }`,
		map[string]any{"id": id}, &out)
	return out.Node.Events
}

// actor names an event's actor as the tests write it.
func (ev timelineEvent) actor() string {
	switch {
	case ev.ActorAgent != nil && ev.ActorContact != nil:
		return "both " + ev.ActorAgent.ID + " and " + ev.ActorContact.ID
	case ev.ActorAgent != nil:
		return "agent " + ev.ActorAgent.ID
	case ev.ActorContact != nil:
		return "contact " + ev.ActorContact.ID
	}
	return "nobody"
}

// TestEventsNameTheirActorAsAgentOrContact: an event links the agent or
// the contact who caused it (no "agent:<id>" string to parse), and the
// link is privacy-checked like any edge: a USER contact, who sees no other
// contact, gets null for a colleague's action.
func TestEventsNameTheirActorAsAgentOrContact(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "actors")
	agent := e.Agent(t, "AGENT")
	tk := e.CreateTicket(t, tn.User.Token, nil)
	id := map[string]any{"id": tk.ID}
	e.Do(t, agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`, id, nil)
	e.Do(t, tn.Master.Token, `mutation($id: ID!) { addComment(input: {ticketID: $id, body: "Any news?"}) { id } }`, id, nil)

	readers := []struct{ name, token string }{
		{"an agent", agent.Token}, {"the requesting USER", tn.User.Token}, {"a partner of the organization", e.Partner(t, tn.OrgID)},
	}
	// Each event's actor as each reader sees it.
	want := []struct {
		kind string
		by   [3]string
	}{
		{"CREATED", [3]string{"contact " + tn.User.ID, "contact " + tn.User.ID, "contact " + tn.User.ID}},
		{"STATUS_CHANGED", [3]string{"agent " + agent.ID, "agent " + agent.ID, "agent " + agent.ID}},
		{"ASSIGNED", [3]string{"agent " + agent.ID, "agent " + agent.ID, "agent " + agent.ID}},
		// The USER may not see the MASTER contact: null, as a comment's author would be.
		{"COMMENTED", [3]string{"contact " + tn.Master.ID, "nobody", "contact " + tn.Master.ID}},
	}
	for r, reader := range readers {
		evs := timeline(t, e, reader.token, tk.ID)
		if len(evs) != len(want) {
			t.Fatalf("%s reads %d events, want %d: %+v", reader.name, len(evs), len(want), evs)
		}
		for i, w := range want {
			if evs[i].Kind != w.kind || evs[i].actor() != w.by[r] {
				t.Errorf("%s: event %d is %s by %s, want %s by %s", reader.name, i, evs[i].Kind, evs[i].actor(), w.kind, w.by[r])
			}
		}
	}
}

// stateWalk accepts a ticket, lowers its priority, starts and resolves it.
var stateWalk = []string{
	`mutation($id: ID!) { acceptTicket(id: $id) { id } }`,
	`mutation($id: ID!) { changeTicketPriority(id: $id, priority: LOW, reason: "a workaround helps") { id } }`,
	`mutation($id: ID!) { startWork(id: $id) { id } }`,
	`mutation($id: ID!) { resolveTicket(id: $id, resolution: "Fixed") { id } }`,
}

// TestEventsKeepTheTicketStateOfTheirMoment: every event carries the
// ticket's status and priority right after it, whatever the ticket is now.
func TestEventsKeepTheTicketStateOfTheirMoment(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "state")
	agent := e.Agent(t, "AGENT")
	tk := e.CreateTicket(t, tn.User.Token, map[string]any{"priority": "HIGH"})
	id := map[string]any{"id": tk.ID}
	for _, op := range stateWalk {
		e.Do(t, agent.Token, op, id, nil)
	}
	want := []string{
		"CREATED NEW HIGH", "STATUS_CHANGED ACCEPTED HIGH", "ASSIGNED ACCEPTED HIGH", "PRIORITY_CHANGED ACCEPTED LOW",
		"STATUS_CHANGED IN_PROGRESS LOW", "STATUS_CHANGED RESOLVED LOW",
	}
	evs := timeline(t, e, agent.Token, tk.ID)
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, ev := range evs {
		if got := ev.Kind + " " + ev.StatusAfter + " " + ev.PriorityAfter; got != want[i] {
			t.Errorf("event %d: %s, want %s", i, got, want[i])
		}
		if ev.Ticket.Status != "RESOLVED" {
			t.Errorf("event %d: ticket { status } %s, want the ticket as it is now (RESOLVED)", i, ev.Ticket.Status)
		}
	}
}

// TestSubscribedEventsShowTheStateOfTheirMoment: events pushed over the
// subscription carry the status and priority of their moment even when
// the ticket has moved on by the time they are delivered (several changes
// within one poll).
func TestSubscribedEventsShowTheStateOfTheirMoment(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "sub-state")
	agent := e.Agent(t, "AGENT")
	tk := e.CreateTicket(t, tn.User.Token, map[string]any{"priority": "HIGH"})
	id := map[string]any{"id": tk.ID}
	c := e.OpenSocket(t, apitest.SocketOptions{HeaderToken: agent.Token})
	c.Subscribe(t, "1", `subscription($t: ID) { ticketEvents(ticketID: $t) { `+timelineFields+` } }`, map[string]any{"t": tk.ID})
	read := func(m apitest.Message) timelineEvent {
		t.Helper()
		var d struct{ TicketEvents *timelineEvent }
		if err := m.Decode(&d); err != nil || d.TicketEvents == nil {
			t.Fatalf("subscription: %s %s", m.Type, m.Payload)
		}
		return *d.TicketEvents
	}
	// The subscription starts once the server has run its resolver: note
	// internally until a note arrives.
	read(apitest.Started(t, func() { e.Comment(t, agent.Token, tk.ID, "marker", true) }, "1", c)[0])
	for _, op := range stateWalk {
		e.Do(t, agent.Token, op, id, nil)
	}
	want := []string{
		"STATUS_CHANGED ACCEPTED HIGH", "ASSIGNED ACCEPTED HIGH", "PRIORITY_CHANGED ACCEPTED LOW",
		"STATUS_CHANGED IN_PROGRESS LOW", "STATUS_CHANGED RESOLVED LOW",
	}
	var got []string
	for len(got) < len(want) {
		m, ok := c.Next(t, "1", accWait)
		if !ok {
			t.Fatalf("got %v, then nothing within %v; want %v", got, accWait, want)
		}
		ev := read(m)
		if ev.Kind == "COMMENTED" {
			continue // a late marker
		}
		got = append(got, ev.Kind+" "+ev.StatusAfter+" "+ev.PriorityAfter)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("subscribed events %v, want %v", got, want)
	}
}
