package graph_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/apitest"
	"helpdesk/internal/viewer"
	"helpdesk/workflows"
)

// workflowState asks a ticket's workflow for its state.
func workflowState(ctx context.Context, e *apitest.Env, ticketID string) (workflows.State, error) {
	id, _ := strconv.Atoi(ticketID)
	var st workflows.State
	v, err := e.Temporal.QueryWorkflow(ctx, workflows.TicketWorkflowID(id), "", workflows.QueryState)
	if err == nil {
		err = v.Get(&st)
	}
	return st, err
}

// waitForWorkflow waits (bounded) until the ticket's workflow reports status.
func waitForWorkflow(t *testing.T, e *apitest.Env, ticketID string, status schematype.Status) workflows.State {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		st, err := workflowState(ctx, e, ticketID)
		cancel()
		if err == nil && st.Ticket.Status == status {
			return st
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the workflow of ticket %s never reported %s (last error: %v)", ticketID, status, last)
	return workflows.State{}
}

// TestChangesMadeWhileTemporalIsDownReachTheWorkflow fails Temporal during
// mutations: they still commit, and once Temporal is back every change
// reaches its ticket's workflow, in order, through the outbox.
func TestChangesMadeWhileTemporalIsDownReachTheWorkflow(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{Temporal: true})
	tn := e.Tenant(t, "outbox")
	agent := e.Agent(t, "AGENT")
	before := e.CreateTicket(t, tn.User.Token, nil)
	waitForWorkflow(t, e, before.ID, schematype.StatusNew)

	_, portStr, _ := net.SplitHostPort(e.TemporalServer.FrontendAddr())
	port, _ := strconv.Atoi(portStr)
	if err := e.TemporalServer.Stop(); err != nil {
		t.Fatal(err)
	}

	// Temporal is down: the API still takes changes.
	var out struct{ AcceptTicket apitest.Ticket }
	e.Do(t, agent.Token, `mutation($id: ID!) { AcceptTicket: acceptTicket(id: $id) { `+apitest.TicketFields+` } }`,
		map[string]any{"id": before.ID}, &out)
	if out.AcceptTicket.Status != "ACCEPTED" {
		t.Fatalf("acceptTicket while Temporal is down: %+v", out.AcceptTicket)
	}
	during := e.CreateTicket(t, tn.User.Token, nil)

	// The dispatcher tried and kept the changes.
	ctx := viewer.SystemContext(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs, err := e.DB.Client.OutboxMessage.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tried := false
		for _, m := range msgs {
			tried = tried || m.Attempts > 0
		}
		if tried && len(msgs) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox while Temporal is down: %d messages, want the 2 changes kept and retried", len(msgs))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Temporal comes back on the same address with its state.
	e.StartTemporal(t, port)
	st := waitForWorkflow(t, e, before.ID, schematype.StatusAccepted)
	if st.Ticket.Number != before.Number {
		t.Fatalf("workflow state %+v, want ticket %s", st.Ticket, before.Number)
	}
	waitForWorkflow(t, e, during.ID, schematype.StatusNew)
	deadline = time.Now().Add(10 * time.Second)
	for {
		n, err := e.DB.Client.OutboxMessage.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox messages left after Temporal came back", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
