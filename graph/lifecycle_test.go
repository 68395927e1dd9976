package graph_test

import (
	"encoding/json"
	"testing"

	"helpdesk/internal/apitest"
)

// TestTicketLifecycleOverHTTP walks a ticket from creation to CLOSED and
// back, as a portal and an agent would, and checks the timeline.
func TestTicketLifecycleOverHTTP(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "lifecycle")
	agent := e.Agent(t, "AGENT")
	tk := e.CreateTicket(t, tn.User.Token, map[string]any{"priority": "MEDIUM"})
	if tk.Status != "NEW" || tk.Number == "" {
		t.Fatalf("new ticket: %+v", tk)
	}
	step := func(token, op string, vars map[string]any, want string) {
		t.Helper()
		var out map[string]apitest.Ticket
		e.Do(t, token, op, vars, &out)
		for _, got := range out {
			if got.Status != want {
				t.Fatalf("%s: status %s, want %s", op, got.Status, want)
			}
		}
	}
	id := map[string]any{"id": tk.ID}
	step(agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { status } }`, id, "ACCEPTED")
	step(agent.Token, `mutation($id: ID!) { startWork(id: $id) { status } }`, id, "IN_PROGRESS")
	step(agent.Token, `mutation($id: ID!) { requestInformation(id: $id, message: "Which printer?") { status } }`, id, "WAITING_ON_CUSTOMER")
	e.Do(t, tn.User.Token, `mutation($id: ID!) { addComment(input: {ticketID: $id, body: "The HP on floor 2"}) { id } }`, id, nil)
	step(agent.Token, `query($id: ID!) { node(id: $id) { ... on Ticket { status } } }`, id, "IN_PROGRESS")
	step(agent.Token, `mutation($id: ID!) { resolveTicket(id: $id, resolution: "Toner replaced") { status } }`, id, "RESOLVED")
	step(tn.User.Token, `mutation($id: ID!) { closeTicket(id: $id) { status } }`, id, "CLOSED")
	step(tn.User.Token, `mutation($id: ID!) { reopenTicket(id: $id, reason: "Broken again") { status } }`, id, "IN_PROGRESS")

	var got struct {
		TicketByNumber struct {
			FirstRespondedAt *string
			SlaPaused        bool
			Events           []struct{ Kind, Data string }
		} `json:"ticketByNumber"`
	}
	e.Do(t, tn.User.Token, `query($n: String!) { ticketByNumber(number: $n) { firstRespondedAt slaPaused events { kind data } } }`,
		map[string]any{"n": tk.Number}, &got)
	var kinds []string
	for _, ev := range got.TicketByNumber.Events {
		kinds = append(kinds, ev.Kind)
	}
	// Accepting the unassigned ticket also assigns it to the agent.
	want := []string{"CREATED", "STATUS_CHANGED", "ASSIGNED", "STATUS_CHANGED", "STATUS_CHANGED", "INFORMATION_REQUESTED", "COMMENTED", "STATUS_CHANGED", "STATUS_CHANGED", "STATUS_CHANGED", "STATUS_CHANGED"}
	if len(kinds) != len(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
	var last map[string]string
	if err := json.Unmarshal([]byte(got.TicketByNumber.Events[len(kinds)-1].Data), &last); err != nil {
		t.Fatal(err)
	}
	if last["from"] != "CLOSED" || last["to"] != "IN_PROGRESS" || last["reason"] != "Broken again" {
		t.Fatalf("reopen event data %v", last)
	}
	if got.TicketByNumber.FirstRespondedAt == nil || got.TicketByNumber.SlaPaused {
		t.Fatalf("SLA state after the walk: %+v", got.TicketByNumber)
	}
}
