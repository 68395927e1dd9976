package workflows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"helpdesk/internal/apitest"
	"helpdesk/workflows"
)

// TestRecordHistories runs tickets through the whole product — the API,
// the database, the outbox, the in-process Temporal server, the worker
// and its activities — on SLA policies of seconds, and writes the
// histories of their workflows to testdata/, where the replay tests read
// them. It runs only with -record:
//
//	go test ./workflows -run TestRecordHistories -record -count=1 -v
//
// The histories recorded before the SLA engine (ticket_life.json,
// reopen_as_window_ends.json, continue_as_new_run*.json) cannot be
// recorded again: every new run takes the engine's version. They stay as
// they are, the proof that runs started before it still replay.
func TestRecordHistories(t *testing.T) {
	if !workflows.Recording() {
		t.Skip("records histories only with -record")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Every event names its caller; a fixed name keeps host names and
	// process IDs out of the recorded files.
	e := apitest.New(t, apitest.Options{Temporal: true, TemporalIdentity: "helpdesk-record-histories"})
	r := &recording{ctx: ctx, e: e, agent: e.Agent(t, "AGENT").Token}
	// One server, one worker: the scenarios run one after the other.
	t.Run("breach ladder", r.breachLadder)
	t.Run("pause", r.pause)
	t.Run("continue as new", r.continueAsNew)
}

// recording drives tickets through the API and saves their workflows'
// histories.
type recording struct {
	ctx   context.Context
	e     *apitest.Env
	agent string // an agent's token
}

// move asks for a lifecycle mutation of the ticket as token; args are
// its arguments after the ticket's ID.
func (r *recording) move(t *testing.T, token, mutation, id, args string) {
	t.Helper()
	r.e.Do(t, token, fmt.Sprintf(`mutation($id: ID!) { %s(id: $id%s) { id } }`, mutation, args), map[string]any{"id": id}, nil)
}

// run is the ID of the ticket's workflow and of its current run, once it
// has started.
func (r *recording) run(t *testing.T, id string) (workflowID, runID string) {
	t.Helper()
	workflowID = workflows.TicketWorkflowID(ticketID(t, id))
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := r.e.Temporal.DescribeWorkflowExecution(r.ctx, workflowID, "")
		if err == nil {
			return workflowID, d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the workflow of ticket %s did not start: %v", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ended waits for the end of a run of the workflow and checks it
// completed.
func (r *recording) ended(t *testing.T, workflowID, runID string) {
	t.Helper()
	var st workflows.State
	if err := r.e.Temporal.GetWorkflow(r.ctx, workflowID, runID).Get(r.ctx, &st); err != nil {
		t.Fatalf("%s did not complete: %v", workflowID, err)
	}
}

// actions counts the automatic actions of h: its local activities'
// markers.
func actions(h *historypb.History) int {
	n := 0
	for _, ev := range h.Events {
		if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
			n++
		}
	}
	return n
}

func (tk slaTicket) lastEvent() event { return tk.Events[len(tk.Events)-1] }

// breachLadder: a CRITICAL ticket nobody answers is warned, breached and
// escalated to level 1, then to level 2 after level 1's wait; the ladder
// ends there. Then it is accepted, resolved and closed, and its workflow
// ends with the reopen window.
func (r *recording) breachLadder(t *testing.T) {
	e := r.e
	token := slaOrg(t, e, fastPolicy(3, 600, map[string]any{"warningPercent": 50, "autoCloseSeconds": 30, "reopenWindowSeconds": 2}), 2, 2)
	tk := e.CreateTicket(t, token, map[string]any{"priority": "CRITICAL"})
	wid, runID := r.run(t, tk.ID)
	waitTicket(t, e, tk.ID, 30*time.Second, "escalation to level 2", func(tk slaTicket) bool { return tk.EscalationLevel == 2 })
	time.Sleep(3 * time.Second) // past level 2's wait: nothing more
	got := readTicket(t, e, tk.ID)
	if len(got.events("SLA_WARNING")) != 1 || len(got.events("SLA_BREACHED")) != 1 || len(got.events("ESCALATED")) != 2 || got.EscalationLevel != 2 {
		t.Fatalf("the ladder: %+v; want one warning, one breach, escalations to levels 1 and 2 and no further", got)
	}
	r.move(t, r.agent, "acceptTicket", tk.ID, "")
	r.move(t, r.agent, "resolveTicket", tk.ID, `, resolution: "Replaced the line card"`)
	r.move(t, r.agent, "closeTicket", tk.ID, "")
	r.ended(t, wid, runID)
	h := workflows.SaveHistory(t, r.ctx, e.Temporal, wid, runID, "sla_breach_ladder.json")
	if n := actions(h); n != 3 {
		t.Fatalf("sla_breach_ladder.json: %d automatic actions, want 3 (warning, breach, level 2)", n)
	}
}

// pause: a ticket waits on the customer, who gets a reminder, then
// replies: the resolution clock resumes with its due time moved by the
// pause. Resolved, it closes on its own after autoCloseSeconds, and its
// workflow ends with the reopen window.
func (r *recording) pause(t *testing.T) {
	e := r.e
	token := slaOrg(t, e, fastPolicy(3600, 14400, map[string]any{"reminderSeconds": 2, "autoCloseSeconds": 5, "reopenWindowSeconds": 2}))
	tk := e.CreateTicket(t, token, map[string]any{"priority": "HIGH"})
	wid, runID := r.run(t, tk.ID)
	r.move(t, r.agent, "acceptTicket", tk.ID, "")
	r.move(t, r.agent, "requestInformation", tk.ID, `, message: "Which port is down?"`)
	before := waitTicket(t, e, tk.ID, 10*time.Second, "the reminder", func(tk slaTicket) bool { return len(tk.events("REMINDER_SENT")) == 1 })
	e.Comment(t, token, tk.ID, "Port 3, since this morning", false)
	after := readTicket(t, e, tk.ID)
	if after.Status != "IN_PROGRESS" || after.ResolutionDueAt.Sub(before.ResolutionDueAt) < 2*time.Second {
		t.Fatalf("after the reply: %s, resolution due %s (before the pause %s); want IN_PROGRESS, due at least 2s later",
			after.Status, after.ResolutionDueAt, before.ResolutionDueAt)
	}
	r.move(t, r.agent, "resolveTicket", tk.ID, `, resolution: "Port 3 re-enabled"`)
	closed := waitTicket(t, e, tk.ID, 15*time.Second, "the auto-close", func(tk slaTicket) bool { return tk.Status == "CLOSED" })
	if d := closed.lastEvent().decode(t); closed.lastEvent().Kind != "STATUS_CHANGED" || !strings.HasPrefix(fmt.Sprint(d["reason"]), "closed automatically") {
		t.Fatalf("closed by %s %v; want the product's STATUS_CHANGED", closed.lastEvent().Kind, d)
	}
	r.ended(t, wid, runID)
	h := workflows.SaveHistory(t, r.ctx, e.Temporal, wid, runID, "sla_pause.json")
	if n := actions(h); n != 2 {
		t.Fatalf("sla_pause.json: %d automatic actions, want 2 (reminder, auto-close)", n)
	}
}

// commentsPerRequest is how many comments one GraphQL request adds (as
// aliases of addComment): each is a change of its own.
const commentsPerRequest = 25

// continueAsNew: a CRITICAL ticket whose customer comments 505 times
// before its first-response clock warns: after 500 changes its run
// continues as new, carrying the pending timers, and the next run warns
// and breaches on time. Then it is accepted, resolved and closed, and the run ends
// with the reopen window.
func (r *recording) continueAsNew(t *testing.T) {
	e := r.e
	const target = 20 // seconds to first response: the comments take less than its warning (90 %)
	token := slaOrg(t, e, fastPolicy(target, 600, map[string]any{"warningPercent": 90, "reopenWindowSeconds": 2}), 60)
	tk := e.CreateTicket(t, token, map[string]any{"priority": "CRITICAL"})
	wid, firstRun := r.run(t, tk.ID)
	began := time.Now()
	const comments = 505
	for i := 0; i < comments; i += commentsPerRequest {
		var b strings.Builder
		b.WriteString(`mutation($id: ID!) {`)
		for j := i; j < min(i+commentsPerRequest, comments); j++ {
			fmt.Fprintf(&b, ` c%d: addComment(input: {ticketID: $id, body: "Still down (%d)", internal: false}) { id }`, j, j+1)
		}
		b.WriteString(` }`)
		e.Do(t, token, b.String(), map[string]any{"id": tk.ID}, nil)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := e.Temporal.DescribeWorkflowExecution(r.ctx, wid, firstRun)
		if err == nil && d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first run did not continue as new: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d comments and the continue-as-new took %s", comments, time.Since(began))
	if got := readTicket(t, e, tk.ID); len(got.events("SLA_WARNING")) != 0 {
		t.Fatalf("warned before the run continued as new; raise target (%ds)", target)
	}
	_, secondRun := r.run(t, tk.ID)
	got := waitTicket(t, e, tk.ID, 2*target*time.Second, "the breach", func(tk slaTicket) bool { return tk.FirstResponseBreached && tk.EscalationLevel == 1 })
	if len(got.events("SLA_WARNING")) != 1 || len(got.events("SLA_BREACHED")) != 1 || len(got.events("COMMENTED")) != comments {
		t.Fatalf("after the breach: %d warnings, %d breaches, %d comments; want 1, 1, %d",
			len(got.events("SLA_WARNING")), len(got.events("SLA_BREACHED")), len(got.events("COMMENTED")), comments)
	}
	r.move(t, r.agent, "acceptTicket", tk.ID, "")
	r.move(t, r.agent, "resolveTicket", tk.ID, `, resolution: "Carrier fixed the fibre"`)
	r.move(t, r.agent, "closeTicket", tk.ID, "")
	r.ended(t, wid, secondRun)

	run1 := workflows.SaveHistory(t, r.ctx, e.Temporal, wid, firstRun, "sla_continue_as_new_run1.json.gz")
	if n := actions(run1); n != 0 {
		t.Fatalf("the first run acted %d times; want its timers all pending when it continued as new", n)
	}
	run2 := workflows.SaveHistory(t, r.ctx, e.Temporal, wid, secondRun, "sla_continue_as_new_run2.json")
	var in workflows.Input
	start := run2.Events[0].GetWorkflowExecutionStartedEventAttributes()
	if err := converter.GetDefaultDataConverter().FromPayloads(start.GetInput(), &in); err != nil {
		t.Fatal(err)
	}
	if in.State == nil || len(in.State.Ticket.Timers) == 0 {
		t.Fatalf("the second run started with %+v; want the carried state with its pending timers", in.State)
	}
	if n := actions(run2); n != 2 {
		t.Fatalf("the second run did %d automatic actions, want 2 (warning, breach)", n)
	}
}
