//go:build unix

package main

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"helpdesk/internal/apitest"
	"helpdesk/workflows"
)

// delivered is what a ticket's workflow history shows it was told: each
// change signalled (Seq → the IDs of the events it carries) and when the
// last signal came.
type delivered struct {
	seqs   map[int][]int
	signal int // signals, redeliveries included
	last   time.Time
}

// history reads the signals of ticket id's workflow from Temporal.
func history(t *testing.T, tc client.Client, id string) delivered {
	t.Helper()
	n, _ := strconv.Atoi(id)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := delivered{seqs: map[int][]int{}}
	it := tc.GetWorkflowHistory(ctx, workflows.TicketWorkflowID(n), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of ticket %s: %v", id, err)
		}
		sig := ev.GetWorkflowExecutionSignaledEventAttributes()
		if sig == nil || sig.GetSignalName() != workflows.SignalChange {
			continue
		}
		var ch workflows.TicketChange
		if err := converter.GetDefaultDataConverter().FromPayloads(sig.GetInput(), &ch); err != nil {
			t.Fatalf("history of ticket %s: a change that does not decode: %v", id, err)
		}
		var evs []int
		for _, e := range ch.Events {
			evs = append(evs, e.ID)
		}
		out.seqs[ch.Seq] = evs
		out.signal++
		out.last = ev.GetEventTime().AsTime()
	}
	return out
}

// ticketEventIDs are the IDs of the events of ticket id, as the API
// lists them.
func ticketEventIDs(t *testing.T, e *apitest.Env, id string) []int {
	t.Helper()
	var out struct {
		Node struct{ Events []struct{ ID, Kind string } }
	}
	e.Do(t, apitest.AdminToken, `query($id: ID!) { node(id: $id) { ... on Ticket { events { id kind } } } }`, map[string]any{"id": id}, &out)
	var ids []int
	for _, ev := range out.Node.Events {
		n, _ := strconv.Atoi(ev.ID)
		ids = append(ids, n)
	}
	return ids
}

// TestMutationsWhileTemporalIsDownReachTheirWorkflowsOnceItIsBack: an
// external Temporal (`helpdesk temporal`), an API and a worker process on
// PostgreSQL; the Temporal process is killed with SIGKILL. Meanwhile the
// API takes every mutation at once — tickets accepted and commented on,
// new tickets opened — and the outbox keeps their changes. Temporal is
// started again on the same files; then every event of every ticket
// reaches the ticket's workflow in exactly one change, the workflow takes
// each change once (its count of changes is the number of changes made,
// whatever was redelivered), and the new tickets' workflows start. The
// log shows how long after Temporal was back the last change arrived.
func TestMutationsWhileTemporalIsDownReachTheirWorkflowsOnceItIsBack(t *testing.T) {
	dbURL := apitest.PostgresDB(t)
	if dbURL == "" {
		t.Skip("API and worker processes share only a PostgreSQL database; the suite's PostgreSQL run covers this (HELPDESK_TEST_DATABASE_URL)")
	}
	logDir, temporalDir, temporalAddr := t.TempDir(), t.TempDir(), freeAddr(t)
	temporalEnv := daemonEnv(temporalDir, freeAddr(t), dbURL)
	temporalEnv = append(temporalEnv, "HELPDESK_TEMPORAL_LISTEN="+temporalAddr)
	temporal := startCommand(t, "temporal", "temporal", logDir, temporalEnv)
	waitPort(t, temporal, temporalAddr)
	shared := "TEMPORAL_ADDRESS=" + temporalAddr
	worker := startCommand(t, "worker", "worker", logDir, append(daemonEnv(t.TempDir(), freeAddr(t), dbURL), shared))
	waitLog(t, worker, "worker started")
	addr := freeAddr(t)
	apiProc := startCommand(t, "api", "api", logDir, append(daemonEnv(t.TempDir(), addr, dbURL), shared))
	waitReady(t, apiProc, addr)
	api := &apitest.Env{URL: "http://" + addr, HTTP: &http.Client{Timeout: 30 * time.Second}}
	tc := temporalClient(t, temporalAddr)

	tn := api.Tenant(t, "temporal-down")
	agent := api.Agent(t, "AGENT")
	var before []apitest.Ticket
	for range 3 {
		tk := api.CreateTicket(t, tn.User.Token, nil)
		if _, err := workflowState(t, tc, tk.ID); err != nil {
			t.Fatalf("ticket %s: its workflow does not answer before the kill: %v", tk.Number, err)
		}
		before = append(before, tk)
	}

	temporal.kill()
	killed := time.Now()
	// Temporal is gone: every mutation is still taken, at once.
	var slowest time.Duration
	timed := func(f func()) {
		start := time.Now()
		f()
		slowest = max(slowest, time.Since(start))
	}
	for _, tk := range before {
		timed(func() {
			api.Do(t, agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`, map[string]any{"id": tk.ID}, nil)
		})
		timed(func() { api.Comment(t, agent.Token, tk.ID, "looking into it while the scheduler is away", false) })
	}
	var during []apitest.Ticket
	for range 3 {
		timed(func() {
			tk := api.CreateTicket(t, tn.User.Token, nil)
			api.Comment(t, tn.User.Token, tk.ID, "more details", false)
			during = append(during, tk)
		})
	}
	t.Logf("%d mutations taken while Temporal was down, the slowest in %s", 2*len(before)+2*len(during), slowest.Round(time.Millisecond))
	if left := outboxLeft(t, dbURL); left == 0 {
		t.Fatalf("the outbox is empty while Temporal is down: the changes went nowhere")
	} else {
		t.Logf("%d changes waiting in the outbox", left)
	}

	time.Sleep(time.Until(killed.Add(3 * time.Second))) // down for a while, the dispatcher retrying
	restarted := startCommand(t, "temporal-restarted", "temporal", logDir, temporalEnv)
	waitPort(t, restarted, temporalAddr)
	back := time.Now()
	drained := waitOutboxEmpty(t, dbURL, 60*time.Second)

	var last time.Time
	redelivered := 0
	for _, tk := range append(append([]apitest.Ticket{}, before...), during...) {
		st, err := workflowState(t, tc, tk.ID)
		if err != nil {
			t.Errorf("ticket %s: its workflow does not answer after Temporal is back: %v", tk.Number, err)
			continue
		}
		h := history(t, tc, tk.ID)
		if h.last.After(last) {
			last = h.last
		}
		redelivered += h.signal - len(h.seqs)
		inChange := map[int]int{}
		for _, evs := range h.seqs {
			for _, id := range evs {
				inChange[id]++
			}
		}
		for _, id := range ticketEventIDs(t, api, tk.ID) {
			if inChange[id] != 1 {
				t.Errorf("ticket %s: event %d reached its workflow in %d changes, want exactly one", tk.Number, id, inChange[id])
			}
		}
		if st.Changes != len(h.seqs) {
			t.Errorf("ticket %s: its workflow took %d changes, %d were made", tk.Number, st.Changes, len(h.seqs))
		}
	}
	t.Logf("Temporal killed, back %s later; the outbox had emptied by %s after it was back, the last change signalled %s after; %d signals redelivered (ignored by Seq)",
		back.Sub(killed).Round(time.Millisecond), drained.Sub(back).Round(time.Millisecond), last.Sub(back).Round(time.Millisecond), redelivered)
}
