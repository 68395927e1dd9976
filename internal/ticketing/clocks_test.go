package ticketing

import (
	"fmt"
	"testing"
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
)

// TestAWaitOnAThirdPartyIsExplainedAsAPause: after waitOnThirdParty and
// startWork, the resolution clock's elapsed time leaves the wait out, the
// wait is its paused interval, and its due time is the ticket's (SPEC §4).
func TestAWaitOnAThirdPartyIsExplainedAsAPause(t *testing.T) {
	t.Parallel()
	pol := allDay
	pol.Version = 2
	tk := ticketIn(schematype.StatusInProgress)
	step := func(r Request, at time.Time) {
		t.Helper()
		out, err := Decide(tk, pol, r, at)
		if err != nil {
			t.Fatal(err)
		}
		tk = out.Ticket
	}
	step(Request{Action: WaitOnThirdParty, Actor: agent, Reason: "Vendor RMA"}, t0.Add(time.Hour))
	during, err := ExplainClocks(tk, pol, t0.Add(90*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if r := during[1]; r.Elapsed != time.Hour || len(r.Paused) != 1 || r.Paused[0].End != nil ||
		!r.DueAt.Equal(t0.Add(48*time.Hour+30*time.Minute)) {
		t.Fatalf("during the wait: %s", explained(r))
	}
	step(Request{Action: StartWork, Actor: agent}, t0.Add(3*time.Hour))
	after, err := ExplainClocks(tk, pol, t0.Add(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	first, res := after[0], after[1]
	if first.Clock != sla.FirstResponse || res.Clock != sla.Resolution || first.PolicyVersion != 2 || res.PolicyVersion != 2 {
		t.Fatalf("clocks %s, %s", explained(first), explained(res))
	}
	if res.Elapsed != 2*time.Hour || len(res.Paused) != 1 || !res.Paused[0].Start.Equal(t0.Add(time.Hour)) ||
		res.Paused[0].End == nil || !res.Paused[0].End.Equal(t0.Add(3*time.Hour)) || !res.DueAt.Equal(*tk.ResolutionDueAt) {
		t.Fatalf("after the wait: %s; ticket due %s", explained(res), tk.ResolutionDueAt)
	}
}

// TestClocksOfATicketOlderThanPinning: a ticket that pinned no policy is
// explained under the default policy in UTC, version 0, as Decide runs it.
func TestClocksOfATicketOlderThanPinning(t *testing.T) {
	t.Parallel()
	tk := ticketIn(schematype.StatusNew)
	got, err := ExplainClocks(tk, sla.Policy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sla.Default("UTC", false).Deadlines(clocksOf(tk))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].PolicyVersion != 0 || !got[0].DueAt.Equal(want.FirstResponse.DueAt) || !got[1].DueAt.Equal(want.Resolution.DueAt) {
		t.Fatalf("clocks %s, %s; want due %s, %s", explained(got[0]), explained(got[1]), want.FirstResponse.DueAt, want.Resolution.DueAt)
	}
}

func explained(e sla.Explanation) string {
	return fmt.Sprintf("%+v", e)
}
