package workflows_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/sla"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
	"helpdesk/workflows"
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

// pendingTimer is the timer of action (and clock) that the ticket's
// workflow is told of now, as the outbox would tell it (ChangeOf).
func pendingTimer(t *testing.T, e *apitest.Env, ticketID int, a ticketing.Action, c sla.Clock) ticketing.Timer {
	t.Helper()
	ctx := viewer.SystemContext(context.Background())
	tk, err := e.DB.Client.Ticket.Get(ctx, ticketID)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := workflows.ChangeOf(ctx, e.DB.Client, tk, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range ch.Timers {
		if tm.Action == a && tm.Clock == c {
			return tm
		}
	}
	t.Fatalf("no %s %s timer pending on ticket %d: %+v", a, c, ticketID, ch.Timers)
	return ticketing.Timer{}
}

func ticketID(t *testing.T, id string) int {
	t.Helper()
	n, err := strconv.Atoi(id)
	if err != nil {
		t.Fatalf("ticket id %q: %v", id, err)
	}
	return n
}

// TestARetriedActivityRecordsItsActionOnce: Act asked again for the same
// timer after its first attempt committed (Temporal retries an activity
// whose result was lost) finds the action done: it acts once, records
// SLA_BREACHED and ESCALATED once, and the retry reports that it did
// nothing.
func TestARetriedActivityRecordsItsActionOnce(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2031, time.March, 17, 10, 0, 0, 0, time.UTC)}
	e := apitest.New(t, apitest.Options{Clock: clock.Now})
	token := slaSetup(t, e, 60, 600, 50, 30)
	tk := e.CreateTicket(t, token, map[string]any{"priority": "CRITICAL"})
	id := ticketID(t, tk.ID)
	breach := pendingTimer(t, e, id, ticketing.Breach, sla.FirstResponse)
	clock.Set(breach.At.Add(10 * time.Millisecond))
	acts := &workflows.Activities{DB: e.DB.Client, Now: clock.Now}
	in := workflows.ActInput{TicketID: id, Timer: breach}

	first, err := acts.Act(context.Background(), in)
	if err != nil || !first.Acted || first.Change == nil {
		t.Fatalf("first attempt: %+v, %v; want it acted with the ticket as it became", first, err)
	}
	if first.Change.EscalationLevel != 1 {
		t.Errorf("the first attempt's ticket is at level %d, want 1", first.Change.EscalationLevel)
	}
	again, err := acts.Act(context.Background(), in)
	if err != nil || again.Acted || again.Change != nil {
		t.Fatalf("retry: %+v, %v; want it did nothing, without an error", again, err)
	}
	got := readTicket(t, e, tk.ID)
	if n, m := len(got.events("SLA_BREACHED")), len(got.events("ESCALATED")); n != 1 || m != 1 || got.EscalationLevel != 1 || !got.FirstResponseBreached {
		t.Fatalf("after the retry: %d SLA_BREACHED, %d ESCALATED, level %d, breached %v; want one each, level 1, breached",
			n, m, got.EscalationLevel, got.FirstResponseBreached)
	}
}

// TestActOnAStaleTimerRecordsNothing: a ticket accepted a millisecond
// before its first-response due time is not breached when the timer armed
// for that due time fires: Act does nothing and records nothing.
func TestActOnAStaleTimerRecordsNothing(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2031, time.March, 17, 10, 0, 0, 0, time.UTC)}
	e := apitest.New(t, apitest.Options{Clock: clock.Now})
	token := slaSetup(t, e, 60, 600, 50, 30)
	agent := e.Agent(t, "AGENT")
	tk := e.CreateTicket(t, token, map[string]any{"priority": "CRITICAL"})
	id := ticketID(t, tk.ID)
	breach := pendingTimer(t, e, id, ticketing.Breach, sla.FirstResponse)

	clock.Set(breach.At.Add(-time.Millisecond))
	e.Do(t, agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`, map[string]any{"id": tk.ID}, nil)
	before := readTicket(t, e, tk.ID)
	clock.Set(breach.At)
	res, err := (&workflows.Activities{DB: e.DB.Client, Now: clock.Now}).Act(context.Background(), workflows.ActInput{TicketID: id, Timer: breach})
	if err != nil || res.Acted || res.Change != nil {
		t.Fatalf("Act on the stale breach: %+v, %v; want it did nothing, without an error", res, err)
	}
	got := readTicket(t, e, tk.ID)
	if len(got.Events) != len(before.Events) || got.FirstResponseBreached || got.EscalationLevel != 0 {
		t.Fatalf("after the stale breach: %d events (before %d), breached %v, level %d; want nothing changed",
			len(got.Events), len(before.Events), got.FirstResponseBreached, got.EscalationLevel)
	}
}
