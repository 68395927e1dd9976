package graph_test

import (
	"sync"
	"testing"
	"time"

	"helpdesk/internal/apitest"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// TestTicketChangesHappenAtTheServersClock: every change a request makes
// — a ticket's creation, its moves, the pause and resumption of its
// resolution clock, its reopen window, the instants of its events — is
// at the instant of the clock passed in to the server, not the wall
// clock's, so a business week runs in a test in milliseconds.
func TestTicketChangesHappenAtTheServersClock(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	local := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	clock := &testClock{now: local("2026-11-27 17:30")} // a Friday
	e := apitest.New(t, apitest.Options{Clock: clock.Now})
	var pol struct {
		CreateSLAPolicy struct{ ID string } `json:"createSLAPolicy"`
	}
	e.Do(t, apitest.AdminToken, `mutation($in: CreateSLAPolicyInput!) { createSLAPolicy(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": apitest.Unique("Office"), "timezone": "Europe/Berlin",
			"openingHours": weekdays, "targets": targets(3600), "reopenWindowSeconds": 3600}}, &pol)
	var org struct {
		CreateOrganization struct{ ID string } `json:"createOrganization"`
	}
	e.Do(t, apitest.AdminToken, `mutation($p: ID!, $n: String!) { createOrganization(input: {name: $n, region: "EU", timezone: "Europe/Berlin", slaPolicyID: $p}) { id } }`,
		map[string]any{"p": pol.CreateSLAPolicy.ID, "n": apitest.Unique("Clocked")}, &org)
	user := e.Contact(t, org.CreateOrganization.ID, "USER")
	agent := e.Agent(t, "AGENT")

	type ticket struct {
		ID, Status, CreatedAt, UpdatedAt       string
		FirstResponseDueAt, ResolutionDueAt    string
		FirstRespondedAt, ResolvedAt, ClosedAt *string
		SlaPaused                              bool
		Events                                 []struct{ Kind, CreatedAt string }
	}
	const fields = `id status createdAt updatedAt firstResponseDueAt resolutionDueAt firstRespondedAt resolvedAt closedAt slaPaused events { kind createdAt }`
	var created struct{ CreateTicket ticket }
	e.Do(t, user.Token, `mutation { CreateTicket: createTicket(input: {subject: "Link down", description: "No traffic", priority: CRITICAL, category: INCIDENT}) { `+fields+` } }`, nil, &created)
	tk := created.CreateTicket
	read := func() ticket {
		t.Helper()
		var out struct{ Node ticket }
		e.Do(t, agent.Token, `query($id: ID!) { Node: node(id: $id) { ... on Ticket { `+fields+` } } }`, map[string]any{"id": tk.ID}, &out)
		return out.Node
	}
	same := func(what, got string, want time.Time) {
		t.Helper()
		if g := mustTime(t, got); !g.Equal(want) {
			t.Errorf("%s is %s, want %s", what, g.In(berlin), want.In(berlin))
		}
	}
	act := func(at time.Time, token, op string) {
		t.Helper()
		clock.Set(at)
		e.Do(t, token, op, map[string]any{"id": tk.ID}, nil)
	}

	// Created Friday 17:30: 1 h first response is due Monday 09:30, the
	// 4 h resolution Monday 12:30 (business time only).
	same("createdAt", tk.CreatedAt, local("2026-11-27 17:30"))
	same("updatedAt", tk.UpdatedAt, local("2026-11-27 17:30"))
	same("firstResponseDueAt", tk.FirstResponseDueAt, local("2026-11-30 09:30"))
	same("resolutionDueAt", tk.ResolutionDueAt, local("2026-11-30 12:30"))
	same("the CREATED event", tk.Events[0].CreatedAt, local("2026-11-27 17:30"))

	// Friday 17:35 the agent starts work: the first response. At 17:40
	// it asks a question and the resolution clock pauses; the customer
	// answers Monday 10:00, after 20 min of Friday and 1 h of Monday: the
	// resolution falls due 80 min later.
	act(local("2026-11-27 17:35"), agent.Token, `mutation($id: ID!) { startWork(id: $id) { id } }`)
	act(local("2026-11-27 17:40"), agent.Token, `mutation($id: ID!) { requestInformation(id: $id, message: "Which site?") { id } }`)
	if got := read(); !got.SlaPaused || got.FirstRespondedAt == nil {
		t.Fatalf("after the question: %+v", got)
	} else {
		same("firstRespondedAt", *got.FirstRespondedAt, local("2026-11-27 17:35"))
	}
	act(local("2026-11-30 10:00"), user.Token, `mutation($id: ID!) { addComment(input: {ticketID: $id, body: "Frankfurt"}) { id } }`)
	got := read()
	if got.Status != "IN_PROGRESS" || got.SlaPaused {
		t.Fatalf("after the reply: %s, paused %v", got.Status, got.SlaPaused)
	}
	same("resolutionDueAt after the pause", got.ResolutionDueAt, local("2026-11-30 13:50"))
	same("updatedAt after the reply", got.UpdatedAt, local("2026-11-30 10:00"))

	// Resolved and closed Monday 11:00: the reopen window (1 h) is over
	// at 12:00, to the nanosecond of the server's clock.
	act(local("2026-11-30 11:00"), agent.Token, `mutation($id: ID!) { resolveTicket(id: $id, resolution: "Fibre spliced") { id } }`)
	act(local("2026-11-30 11:00"), user.Token, `mutation($id: ID!) { closeTicket(id: $id) { id } }`)
	got = read()
	if got.ResolvedAt == nil || got.ClosedAt == nil {
		t.Fatalf("after closing: %+v", got)
	}
	same("resolvedAt", *got.ResolvedAt, local("2026-11-30 11:00"))
	same("closedAt", *got.ClosedAt, local("2026-11-30 11:00"))
	const reopen = `mutation($id: ID!) { reopenTicket(id: $id, reason: "Down again") { id } }`
	clock.Set(local("2026-11-30 12:00").Add(time.Millisecond))
	res := e.Post(t, user.Token, reopen, map[string]any{"id": tk.ID})
	if len(res.Errors) != 1 || res.Errors[0].Code() != "INVALID_TRANSITION" ||
		res.Errors[0].Message != "invalid transition: the reopen window of this ticket ended at 2026-11-30T11:00:00Z; open a new ticket" {
		t.Fatalf("reopen after the window: %+v", res.Errors)
	}
	act(local("2026-11-30 12:00"), user.Token, reopen) // the window's last instant
	got = read()
	if got.Status != "IN_PROGRESS" {
		t.Fatalf("reopened within the window: %s", got.Status)
	}
	want := []time.Time{local("2026-11-27 17:30"), // CREATED
		local("2026-11-27 17:35"),                            // work started
		local("2026-11-27 17:40"), local("2026-11-27 17:40"), // STATUS_CHANGED, INFORMATION_REQUESTED
		local("2026-11-30 10:00"), local("2026-11-30 10:00"), // COMMENTED, STATUS_CHANGED
		local("2026-11-30 11:00"), local("2026-11-30 11:00"), // resolved, closed
		local("2026-11-30 12:00")} // reopened
	if len(got.Events) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got.Events), len(want), got.Events)
	}
	for i, ev := range got.Events {
		same("the "+ev.Kind+" event", ev.CreatedAt, want[i])
	}
}
