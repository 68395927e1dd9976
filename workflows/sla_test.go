package workflows_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"helpdesk/ent"
	"helpdesk/ent/outboxmessage"
	"helpdesk/internal/apitest"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
	"helpdesk/workflows"
)

// The rules of SPEC §3–§4 the SLA engine applies on its own, each run in
// Temporal's time-skipping test environment with the real activities on
// a real database: the API's clock and the activities' are the
// environment's, so every instant is exact.

// start is when each test's ticket opens: a Monday.
var start = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// policy is a 24x7 test policy: CRITICAL and MEDIUM targets in seconds;
// the other periods in seconds.
type policy struct {
	criticalFR, criticalRes, mediumFR, mediumRes   int
	warnPercent, reminder, autoClose, reopenWindow int
}

func (p policy) withDefaults() policy {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.criticalFR, 100)
	def(&p.criticalRes, 1000)
	def(&p.mediumFR, 14400)
	def(&p.mediumRes, 172800)
	def(&p.warnPercent, 75)
	def(&p.reminder, 100000)
	def(&p.autoClose, 100000)
	def(&p.reopenWindow, 100000)
	return p
}

// slaRun is one ticket's workflow in the test environment, over a real
// database and API.
type slaRun struct {
	t         *testing.T
	env       *testsuite.TestWorkflowEnvironment
	api       *apitest.Env
	agent     apitest.Person
	contact   apitest.Person
	ticket    apitest.Ticket
	ticketID  int
	delivered int
}

// newSLARun opens a ticket of priority on policy p in an organization
// whose region's escalation table has these waits.
func newSLARun(t *testing.T, p policy, priority string, waits ...int) *slaRun {
	t.Helper()
	p = p.withDefaults()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	r := &slaRun{t: t, env: s.NewTestWorkflowEnvironment()}
	r.env.SetStartTime(start)
	r.env.SetTestTimeout(2 * time.Minute)
	r.api = apitest.New(t, apitest.Options{Clock: r.env.Now})
	r.env.RegisterWorkflow(workflows.TicketWorkflow)
	acts := &workflows.Activities{DB: r.api.DB.Client, Now: r.env.Now}
	r.env.RegisterActivityWithOptions(acts.Act, activity.RegisterOptions{Name: workflows.ActivityAct})

	var pol struct{ CreateSLAPolicy struct{ ID string } }
	r.api.Do(t, apitest.AdminToken, fmt.Sprintf(`mutation { createSLAPolicy(input: {name: %q, timezone: "UTC", alwaysOpen: true,
	  warningPercent: %d, reminderSeconds: %d, autoCloseSeconds: %d, reopenWindowSeconds: %d, targets: [
	  {priority: CRITICAL, firstResponseSeconds: %d, resolutionSeconds: %d}, {priority: HIGH, firstResponseSeconds: 7200, resolutionSeconds: 86400},
	  {priority: MEDIUM, firstResponseSeconds: %d, resolutionSeconds: %d}, {priority: LOW, firstResponseSeconds: 32400, resolutionSeconds: 259200}]}) { id } }`,
		apitest.Unique("policy"), p.warnPercent, p.reminder, p.autoClose, p.reopenWindow, p.criticalFR, p.criticalRes, p.mediumFR, p.mediumRes), nil, &pol)
	region := apitest.Unique("REGION")
	levels := []map[string]any{}
	for i, w := range waits {
		levels = append(levels, map[string]any{"name": fmt.Sprintf("L%d", i+1), "emails": []string{fmt.Sprintf("l%d@noc.example", i+1)}, "waitSeconds": w})
	}
	if len(waits) > 0 {
		r.api.Do(t, apitest.AdminToken, `mutation($r: String!, $l: [EscalationLevelInput!]!) { setEscalationTable(region: $r, levels: $l) { id } }`,
			map[string]any{"r": region, "l": levels}, nil)
	}
	var org struct{ CreateOrganization struct{ ID string } }
	r.api.Do(t, apitest.AdminToken, `mutation($in: CreateOrganizationInput!) { createOrganization(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": apitest.Unique("org"), "region": region, "timezone": "UTC", "slaPolicyID": pol.CreateSLAPolicy.ID}}, &org)
	r.contact = r.api.Contact(t, org.CreateOrganization.ID, "USER")
	r.agent = r.api.Agent(t, "AGENT")
	r.ticket = r.api.CreateTicket(t, r.contact.Token, map[string]any{"priority": priority})
	id, ok := ticketing.IDFromNumber(r.ticket.Number)
	if !ok {
		t.Fatalf("ticket number %q", r.ticket.Number)
	}
	r.ticketID = id
	// The outbox's first message starts the workflow.
	r.env.RegisterDelayedCallback(r.deliver, 0)
	return r
}

// at does f when the environment's clock is at start+offset, then
// delivers the changes f made, as the outbox does.
func (r *slaRun) at(offset time.Duration, f func()) {
	r.env.RegisterDelayedCallback(func() { f(); r.deliver() }, offset)
}

// do asks the API for a mutation on the ticket as token.
func (r *slaRun) do(token, mutation string, vars map[string]any) {
	r.t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	vars["id"] = r.ticket.ID
	r.api.Do(r.t, token, mutation, vars, nil)
}

// deliver signals the outbox messages not delivered yet, in order, with
// their Seq, as the Dispatcher does.
func (r *slaRun) deliver() {
	r.t.Helper()
	ms, err := r.api.DB.Client.OutboxMessage.Query().
		Where(outboxmessage.TicketID(r.ticketID), outboxmessage.IDGT(r.delivered)).
		Order(ent.Asc(outboxmessage.FieldID)).All(viewer.SystemContext(r.t.Context()))
	if err != nil {
		r.t.Fatal(err)
	}
	for _, m := range ms {
		var ch workflows.TicketChange
		if err := json.Unmarshal(m.Payload, &ch); err != nil {
			r.t.Fatal(err)
		}
		ch.Seq = m.ID
		r.env.SignalWorkflow(workflows.SignalChange, ch)
		r.delivered = m.ID
	}
}

// run runs the workflow until it ends, or until start+until, when it is
// canceled (an open ticket's workflow runs on).
func (r *slaRun) run(until time.Duration) {
	r.t.Helper()
	r.env.RegisterDelayedCallback(r.env.CancelWorkflow, until)
	r.env.ExecuteWorkflow(workflows.TicketWorkflow, workflows.Input{TicketID: r.ticketID, Number: r.ticket.Number})
	if !r.env.IsWorkflowCompleted() {
		r.t.Fatal("the workflow did not complete")
	}
}

// ended reports whether the workflow ended on its own (not canceled).
func (r *slaRun) ended() bool { return r.env.GetWorkflowError() == nil }

// timeline is the ticket's events as "offset KIND data" lines, data
// reduced to its SLA keys.
func (r *slaRun) timeline() []string {
	r.t.Helper()
	tk := readTicket(r.t, r.api, r.ticket.ID)
	var out []string
	for _, ev := range tk.Events {
		line := fmt.Sprintf("%s %s", ev.CreatedAt.Sub(start), ev.Kind)
		d := ev.decode(r.t)
		if ev.Kind == "ASSIGNED" {
			d = nil // agents' IDs
		}
		for _, k := range []string{"clock", "from", "to", "manual"} {
			if v, ok := d[k]; ok {
				line += fmt.Sprintf(" %s=%v", k, v)
			}
		}
		if v, ok := d["dueAt"].(string); ok {
			due, _ := time.Parse(time.RFC3339Nano, v)
			line += fmt.Sprintf(" due=%s", due.Sub(start))
		}
		out = append(out, line)
	}
	return out
}

func (r *slaRun) wantTimeline(want ...string) {
	r.t.Helper()
	got := r.timeline()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		r.t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

const (
	accept   = `mutation($id: ID!) { acceptTicket(id: $id) { id } }`
	resolve  = `mutation($id: ID!) { resolveTicket(id: $id, resolution: "fixed") { id } }`
	reopen   = `mutation($id: ID!) { reopenTicket(id: $id, reason: "still broken") { id } }`
	escalate = `mutation($id: ID!) { escalateTicket(id: $id, reason: "nobody answers") { id } }`
	askInfo  = `mutation($id: ID!) { requestInformation(id: $id, message: "which port?") { id } }`
	priority = `mutation($id: ID!, $p: TicketPriority!) { changeTicketPriority(id: $id, priority: $p, reason: "outage") { id } }`
)

// reply is the customer's public comment.
func (r *slaRun) reply() {
	r.api.Do(r.t, r.contact.Token, `mutation($in: AddCommentInput!) { addComment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"ticketID": r.ticket.ID, "body": "port 3"}}, nil)
}

// TestWarningAtThePercentThenBreachAtTheDueTimeThenTheLadderLevelByLevel:
// an unanswered ticket is warned at warningPercent of each target,
// breached exactly at each due time and escalated to level 1 by the first
// breach; level n+1 follows level n's wait; past the last level nothing
// more, so the second breach escalates no further.
func TestWarningAtThePercentThenBreachAtTheDueTimeThenTheLadderLevelByLevel(t *testing.T) {
	r := newSLARun(t, policy{}, "CRITICAL", 60, 60, 60)
	r.run(2000 * time.Second)
	r.wantTimeline(
		"0s CREATED",
		"1m15s SLA_WARNING clock=FIRST_RESPONSE due=1m40s",
		"1m40s SLA_BREACHED clock=FIRST_RESPONSE due=1m40s",
		"1m40s ESCALATED from=0 to=1 manual=false",
		"2m40s ESCALATED from=1 to=2 manual=false",
		"3m40s ESCALATED from=2 to=3 manual=false",
		"12m30s SLA_WARNING clock=RESOLUTION due=16m40s",
		"16m40s SLA_BREACHED clock=RESOLUTION due=16m40s",
	)
}

// TestAClockStoppedBeforeItsDueTimeIsNotBreached: accepted after the
// warning and a second before its due time, the first-response clock is
// neither breached nor escalated; the resolution clock runs on.
func TestAClockStoppedBeforeItsDueTimeIsNotBreached(t *testing.T) {
	r := newSLARun(t, policy{}, "CRITICAL", 60)
	r.at(99*time.Second, func() { r.do(r.agent.Token, accept, nil) })
	r.run(900 * time.Second)
	r.wantTimeline(
		"0s CREATED",
		"1m15s SLA_WARNING clock=FIRST_RESPONSE due=1m40s",
		"1m39s STATUS_CHANGED from=NEW to=ACCEPTED",
		"1m39s ASSIGNED",
		"12m30s SLA_WARNING clock=RESOLUTION due=16m40s",
	)
}

// TestWaitingOnTheCustomerPausesTheResolutionClockAndAReplyResumesIt: the
// resolution clock pauses while the ticket waits on the customer; the
// reply resumes it and its warning and due time move by the pause; the
// reminder comes reminderSeconds into the wait.
func TestWaitingOnTheCustomerPausesTheResolutionClockAndAReplyResumesIt(t *testing.T) {
	r := newSLARun(t, policy{reminder: 200}, "CRITICAL")
	r.at(10*time.Second, func() { r.do(r.agent.Token, accept, nil) })
	r.at(100*time.Second, func() { r.do(r.agent.Token, askInfo, nil) })
	r.at(400*time.Second, r.reply)
	r.run(1400 * time.Second)
	r.wantTimeline(
		"0s CREATED",
		"10s STATUS_CHANGED from=NEW to=ACCEPTED",
		"10s ASSIGNED",
		"1m40s STATUS_CHANGED from=ACCEPTED to=WAITING_ON_CUSTOMER",
		"1m40s INFORMATION_REQUESTED",
		"5m0s REMINDER_SENT",
		"6m40s COMMENTED",
		"6m40s STATUS_CHANGED from=WAITING_ON_CUSTOMER to=IN_PROGRESS",
		"17m30s SLA_WARNING clock=RESOLUTION due=21m40s",
		"21m40s SLA_BREACHED clock=RESOLUTION due=21m40s",
	)
}

// TestNoReplyRemindsThenAutoResolvesThenAutoClosesThenTheWorkflowEnds: a
// ticket the customer leaves unanswered is reminded after reminderSeconds
// and resolved after autoCloseSeconds of the wait, closed autoCloseSeconds
// after that, and its workflow ends when the reopen window has passed.
func TestNoReplyRemindsThenAutoResolvesThenAutoClosesThenTheWorkflowEnds(t *testing.T) {
	r := newSLARun(t, policy{reminder: 200, autoClose: 500, reopenWindow: 100}, "CRITICAL")
	r.at(10*time.Second, func() { r.do(r.agent.Token, accept, nil) })
	r.at(100*time.Second, func() { r.do(r.agent.Token, askInfo, nil) })
	r.run(5000 * time.Second)
	if !r.ended() {
		t.Errorf("the workflow did not end after the reopen window: %v", r.env.GetWorkflowError())
	}
	r.wantTimeline(
		"0s CREATED",
		"10s STATUS_CHANGED from=NEW to=ACCEPTED",
		"10s ASSIGNED",
		"1m40s STATUS_CHANGED from=ACCEPTED to=WAITING_ON_CUSTOMER",
		"1m40s INFORMATION_REQUESTED",
		"5m0s REMINDER_SENT",
		"10m0s STATUS_CHANGED from=WAITING_ON_CUSTOMER to=RESOLVED",
		"18m20s STATUS_CHANGED from=RESOLVED to=CLOSED",
	)
}

// TestAResolvedTicketReopenedBeforeAutoCloseIsNotClosed: reopening a
// resolved ticket cancels its auto-close; resolved again, it closes
// autoCloseSeconds after that resolution.
func TestAResolvedTicketReopenedBeforeAutoCloseIsNotClosed(t *testing.T) {
	r := newSLARun(t, policy{autoClose: 500, reopenWindow: 100}, "CRITICAL")
	r.at(10*time.Second, func() { r.do(r.agent.Token, accept, nil) })
	r.at(20*time.Second, func() { r.do(r.agent.Token, resolve, nil) })
	r.at(400*time.Second, func() { r.do(r.contact.Token, reopen, nil) })
	r.at(450*time.Second, func() { r.do(r.agent.Token, resolve, nil) })
	r.run(5000 * time.Second)
	if !r.ended() {
		t.Errorf("the workflow did not end after the reopen window: %v", r.env.GetWorkflowError())
	}
	r.wantTimeline(
		"0s CREATED",
		"10s STATUS_CHANGED from=NEW to=ACCEPTED",
		"10s ASSIGNED",
		"20s STATUS_CHANGED from=ACCEPTED to=RESOLVED",
		"6m40s STATUS_CHANGED from=RESOLVED to=IN_PROGRESS",
		"7m30s STATUS_CHANGED from=IN_PROGRESS to=RESOLVED",
		"15m50s STATUS_CHANGED from=RESOLVED to=CLOSED",
	)
}

// TestAPriorityChangeRecomputesTheDueTimesAndAPastDueTimeBreachesAtOnce:
// raised to CRITICAL 200 s after creation, a ticket's first-response due
// time becomes creation + 100 s, already past: it is warned and breaches
// at once, and escalates.
func TestAPriorityChangeRecomputesTheDueTimesAndAPastDueTimeBreachesAtOnce(t *testing.T) {
	r := newSLARun(t, policy{}, "MEDIUM", 60)
	r.at(200*time.Second, func() { r.do(r.agent.Token, priority, map[string]any{"p": "CRITICAL"}) })
	r.run(700 * time.Second)
	r.wantTimeline(
		"0s CREATED",
		"3m20s PRIORITY_CHANGED from=MEDIUM to=CRITICAL",
		"3m20s SLA_WARNING clock=FIRST_RESPONSE due=1m40s",
		"3m20s SLA_BREACHED clock=FIRST_RESPONSE due=1m40s",
		"3m20s ESCALATED from=0 to=1 manual=false",
	)
}

// TestEscalatingByHandMovesOneLevelAndRestartsThatLevelsWait: escalated
// by hand to level 2 between the breach and level 1's wait, the ticket
// reaches level 3 level 2's wait after the hand escalation.
func TestEscalatingByHandMovesOneLevelAndRestartsThatLevelsWait(t *testing.T) {
	r := newSLARun(t, policy{}, "CRITICAL", 100, 100, 100)
	r.at(130*time.Second, func() { r.do(r.contact.Token, escalate, nil) })
	r.run(600 * time.Second)
	r.wantTimeline(
		"0s CREATED",
		"1m15s SLA_WARNING clock=FIRST_RESPONSE due=1m40s",
		"1m40s SLA_BREACHED clock=FIRST_RESPONSE due=1m40s",
		"1m40s ESCALATED from=0 to=1 manual=false",
		"2m10s ESCALATED from=1 to=2 manual=true",
		"3m50s ESCALATED from=2 to=3 manual=false",
	)
}

// TestAContinuedRunArmsTheTimersItCarries: a run continued as new with the
// ticket's state (and so its pending timers) acts on them.
func TestAContinuedRunArmsTheTimersItCarries(t *testing.T) {
	r := newSLARun(t, policy{}, "CRITICAL")
	ms, err := r.api.DB.Client.OutboxMessage.Query().Where(outboxmessage.TicketID(r.ticketID)).All(viewer.SystemContext(t.Context()))
	if err != nil || len(ms) != 1 {
		t.Fatalf("outbox: %v, %v", ms, err)
	}
	var ch workflows.TicketChange
	if err := json.Unmarshal(ms[0].Payload, &ch); err != nil {
		t.Fatal(err)
	}
	ch.Seq = ms[0].ID
	r.delivered = ms[0].ID
	r.env.RegisterDelayedCallback(r.env.CancelWorkflow, 200*time.Second)
	r.env.ExecuteWorkflow(workflows.TicketWorkflow, workflows.Input{TicketID: r.ticketID, Number: r.ticket.Number,
		State: &workflows.State{LastSeq: ch.Seq, Ticket: ch, Changes: 1}})
	r.wantTimeline(
		"0s CREATED",
		"1m15s SLA_WARNING clock=FIRST_RESPONSE due=1m40s",
		"1m40s SLA_BREACHED clock=FIRST_RESPONSE due=1m40s",
	)
}

// TestWaitingOnAThirdPartyPausesTheResolutionClockWhenThePolicySaysSo: on
// a policy that pauses on third parties (the default), the resolution
// clock stands still while the agents wait on a carrier; startWork
// resumes it with its warning and due time moved by the wait.
func TestWaitingOnAThirdPartyPausesTheResolutionClockWhenThePolicySaysSo(t *testing.T) {
	r := newSLARun(t, policy{}, "CRITICAL")
	r.at(10*time.Second, func() { r.do(r.agent.Token, accept, nil) })
	r.at(100*time.Second, func() {
		r.do(r.agent.Token, `mutation($id: ID!) { waitOnThirdParty(id: $id, reason: "carrier ticket 4711") { id } }`, nil)
	})
	r.at(700*time.Second, func() { r.do(r.agent.Token, `mutation($id: ID!) { startWork(id: $id) { id } }`, nil) })
	r.run(1700 * time.Second)
	r.wantTimeline(
		"0s CREATED",
		"10s STATUS_CHANGED from=NEW to=ACCEPTED",
		"10s ASSIGNED",
		"1m40s STATUS_CHANGED from=ACCEPTED to=WAITING_ON_THIRD_PARTY",
		"11m40s STATUS_CHANGED from=WAITING_ON_THIRD_PARTY to=IN_PROGRESS",
		"22m30s SLA_WARNING clock=RESOLUTION due=26m40s",
		"26m40s SLA_BREACHED clock=RESOLUTION due=26m40s",
	)
}
