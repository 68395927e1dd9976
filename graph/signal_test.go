package graph_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"helpdesk/ent"
	"helpdesk/ent/outboxmessage"
	"helpdesk/internal/apitest"
	"helpdesk/internal/viewer"
	"helpdesk/workflows"
)

// lastChange is the newest change of the ticket the outbox holds for its
// workflow (no dispatcher runs here, so none is delivered).
func lastChange(t *testing.T, e *apitest.Env, ticket string) workflows.TicketChange {
	t.Helper()
	id, _ := strconv.Atoi(ticket)
	m, err := e.DB.Client.OutboxMessage.Query().Where(outboxmessage.TicketID(id)).
		Order(ent.Desc(outboxmessage.FieldID)).First(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	var ch workflows.TicketChange
	if err := json.Unmarshal(m.Payload, &ch); err != nil {
		t.Fatal(err)
	}
	return ch
}

func kinds(ch workflows.TicketChange) []string {
	var out []string
	for _, ev := range ch.Events {
		out = append(out, ev.Kind)
	}
	return out
}

// TestTheWorkflowIsToldOfEveryEventOfAChange: a request for information
// records a status change and the request; a customer's reply that
// resumes the ticket records the comment and the status change; the
// change the workflow is told of lists them all, in order.
func TestTheWorkflowIsToldOfEveryEventOfAChange(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "signal")
	agent := e.Agent(t, "AGENT")
	tk := e.CreateTicket(t, tn.User.Token, nil)
	e.Do(t, agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`, map[string]any{"id": tk.ID}, nil)
	e.Do(t, agent.Token, `mutation($id: ID!) { requestInformation(id: $id, message: "Which port?") { id } }`, map[string]any{"id": tk.ID}, nil)
	if got := kinds(lastChange(t, e, tk.ID)); !slices.Equal(got, []string{"STATUS_CHANGED", "INFORMATION_REQUESTED"}) {
		t.Errorf("requestInformation told the workflow of %v", got)
	}
	e.Comment(t, tn.User.Token, tk.ID, "Port 7", false)
	ch := lastChange(t, e, tk.ID)
	if got := kinds(ch); !slices.Equal(got, []string{"COMMENTED", "STATUS_CHANGED"}) || ch.Status != "IN_PROGRESS" {
		t.Errorf("the customer's reply told the workflow of %v (status %s), want COMMENTED then STATUS_CHANGED", got, ch.Status)
	}
}
