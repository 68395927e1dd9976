package graph_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"helpdesk/internal/apitest"
)

// TestAcceptingAnUnassignedTicketTakesIt: the agent who accepts an
// unassigned ticket becomes its assignee, recorded as ASSIGNED with the
// data assignTicket records; an assigned ticket keeps its assignee.
func TestAcceptingAnUnassignedTicketTakesIt(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "accept")
	first, second := e.Agent(t, "AGENT"), e.Agent(t, "SUPERVISOR")
	var me struct {
		Viewer struct{ Agent struct{ Name string } } `json:"viewer"`
	}
	e.Do(t, first.Token, `query { viewer { agent { name } } }`, nil, &me)
	const accept = `mutation($id: ID!) { acceptTicket(id: $id) { status assignee { id } } }`
	type accepted struct {
		AcceptTicket struct {
			Status   string
			Assignee *struct{ ID string }
		} `json:"acceptTicket"`
	}
	assignedData := func(id string) []map[string]any {
		t.Helper()
		var tk struct {
			Node struct{ Events []struct{ Kind, Data string } } `json:"node"`
		}
		e.Do(t, first.Token, `query($id: ID!) { node(id: $id) { ... on Ticket { events { kind data } } } }`, map[string]any{"id": id}, &tk)
		var out []map[string]any
		for _, ev := range tk.Node.Events {
			if ev.Kind == "ASSIGNED" {
				var d map[string]any
				if err := json.Unmarshal([]byte(ev.Data), &d); err != nil {
					t.Fatal(err)
				}
				out = append(out, d)
			}
		}
		return out
	}

	t.Run("an unassigned ticket is taken by the agent who accepts it", func(t *testing.T) {
		tk := e.CreateTicket(t, tn.User.Token, nil)
		var out accepted
		e.Do(t, first.Token, accept, map[string]any{"id": tk.ID}, &out)
		if out.AcceptTicket.Status != "ACCEPTED" || out.AcceptTicket.Assignee == nil || out.AcceptTicket.Assignee.ID != first.ID {
			t.Fatalf("accepted ticket %+v, want ACCEPTED with assignee %s", out.AcceptTicket, first.ID)
		}
		got := assignedData(tk.ID)
		if len(got) != 1 {
			t.Fatalf("ASSIGNED events %v, want one", got)
		}

		// The same data as assignTicket's own ASSIGNED event.
		other := e.CreateTicket(t, tn.User.Token, nil)
		e.Do(t, first.Token, `mutation($id: ID!, $a: ID!) { assignTicket(id: $id, agentID: $a) { id } }`,
			map[string]any{"id": other.ID, "a": first.ID}, nil)
		byAssign := assignedData(other.ID)
		if len(byAssign) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(byAssign[0]) {
			t.Fatalf("ASSIGNED by accepting %v, by assignTicket %v: want the same data", got, byAssign)
		}
		if got[0]["from"] != nil || got[0]["agent"] != me.Viewer.Agent.Name {
			t.Fatalf("ASSIGNED data %v, want from null and agent %q", got[0], me.Viewer.Agent.Name)
		}
	})

	t.Run("an assigned ticket keeps its assignee when another agent accepts it", func(t *testing.T) {
		tk := e.CreateTicket(t, tn.User.Token, nil)
		e.Do(t, first.Token, `mutation($id: ID!, $a: ID!) { assignTicket(id: $id, agentID: $a) { id } }`,
			map[string]any{"id": tk.ID, "a": second.ID}, nil)
		var out accepted
		e.Do(t, first.Token, accept, map[string]any{"id": tk.ID}, &out)
		if out.AcceptTicket.Assignee == nil || out.AcceptTicket.Assignee.ID != second.ID {
			t.Fatalf("accepted ticket %+v, want assignee %s kept", out.AcceptTicket, second.ID)
		}
		if got := assignedData(tk.ID); len(got) != 1 {
			t.Fatalf("ASSIGNED events %v, want only the assignTicket one", got)
		}
	})
}
