package workflows_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

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

// TestTheSLACountersCountEachRecordedEventOnce: a warning and a breach
// (which escalates) count once each under their clock and cause, also
// when Temporal retries the breach's activity; a stale action counts
// nothing.
func TestTheSLACountersCountEachRecordedEventOnce(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2031, time.March, 17, 10, 0, 0, 0, time.UTC)}
	e := apitest.New(t, apitest.Options{Clock: clock.Now})
	token := slaSetup(t, e, 60, 600, 50, 30)
	tk := e.CreateTicket(t, token, map[string]any{"priority": "CRITICAL"})
	id := ticketID(t, tk.ID)
	warn := pendingTimer(t, e, id, ticketing.Warn, sla.FirstResponse)
	breach := pendingTimer(t, e, id, ticketing.Breach, sla.FirstResponse)
	counters := workflows.NewSLACounters(prometheus.NewRegistry())
	acts := &workflows.Activities{DB: e.DB.Client, Now: clock.Now, SLA: counters}

	for _, tm := range []ticketing.Timer{warn, breach, breach, warn} { // the last two: a retry, a stale warning
		clock.Set(tm.At.Add(10 * time.Millisecond))
		if _, err := acts.Act(context.Background(), workflows.ActInput{TicketID: id, Timer: tm}); err != nil {
			t.Fatalf("%s: %v", tm.Action, err)
		}
	}
	for _, c := range []struct {
		name string
		got  prometheus.Counter
		want float64
	}{
		{"warnings of the first-response clock", counters.Warnings.WithLabelValues(string(sla.FirstResponse)), 1},
		{"breaches of the first-response clock", counters.Breaches.WithLabelValues(string(sla.FirstResponse)), 1},
		{"escalations by the breach", counters.Escalations.WithLabelValues(workflows.EscalationBySLABreach), 1},
		{"escalations by the ladder", counters.Escalations.WithLabelValues(workflows.EscalationByLadder), 0},
		{"breaches of the resolution clock", counters.Breaches.WithLabelValues(string(sla.Resolution)), 0},
	} {
		var m dto.Metric
		if err := c.got.Write(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.GetCounter().GetValue(); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
