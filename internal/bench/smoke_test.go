package bench_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/bench"
)

// TestEachPhaseMeasuresItsOperationAloneAgainstARealServerWithItsOutboxLag
// runs the load command briefly against a real server with the embedded
// Temporal and its outbox dispatcher: it prepares its tenant through the
// API, every phase's requests succeed, the mixed phase runs all three
// operations, and the createTicket phase reports the outbox lag of every
// ticket it created, read from the server's /metrics.
func TestEachPhaseMeasuresItsOperationAloneAgainstARealServerWithItsOutboxLag(t *testing.T) {
	// Not parallel: tests that start the in-process Temporal run one at a
	// time (their free ports would race).
	e := apitest.New(t, apitest.Options{Temporal: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := bench.Run(ctx, bench.Config{Addr: e.URL, Token: apitest.AdminToken, Clients: 2, Duration: time.Second,
		OutboxMetrics: []string{e.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Phases, bench.Phases) || rep.Interrupted || rep.LagProblem != "" {
		t.Fatalf("phases %v (interrupted %v, lag problem %q), want every phase %v", rep.Phases, rep.Interrupted, rep.LagProblem, bench.Phases)
	}
	for _, op := range bench.Phases {
		st, ok := rep.Operations[op]
		if !ok || st.Requests == 0 || st.Errors != 0 {
			t.Errorf("%s: %+v (errors: %v)", op, st, rep.ErrorSamples)
		}
		if st.P50Ms <= 0 || st.MaxMs < st.P99Ms || st.P99Ms < st.P50Ms {
			t.Errorf("%s: percentiles out of order: %+v", op, st)
		}
	}
	mixed := rep.Operations[bench.OpMixed]
	sum := 0
	for _, op := range []string{bench.OpCreateTicket, bench.OpTicketByNumber, bench.OpTicketsPage} {
		b := mixed.ByOperation[op]
		if b.Requests == 0 {
			t.Errorf("mixed phase ran no %s: %+v", op, mixed.ByOperation)
		}
		sum += b.Requests
	}
	if sum != mixed.Requests {
		t.Errorf("mixed phase: %d requests, its operations' add up to %d", mixed.Requests, sum)
	}
	create := rep.Operations[bench.OpCreateTicket]
	lag := create.OutboxLag
	if lag == nil {
		t.Fatal("createTicket: no outbox lag")
	}
	if lag.Undelivered != 0 || lag.Changes < create.Requests || lag.P50Ms <= 0 || lag.P99Ms < lag.P50Ms || lag.MaxMs < lag.P99Ms {
		t.Errorf("outbox lag %+v after %d tickets created; want every one delivered, percentiles in order", *lag, create.Requests)
	}
}

// TestBreachScenarioEveryUnansweredTicketBreachesOnce runs the breach
// scenario briefly against a real server with the embedded Temporal and
// its worker: every ticket is created on the run's policy and read back,
// and each breaches its first response exactly once, not before its due
// time. How late is not asserted: that is the full run's measure.
func TestBreachScenarioEveryUnansweredTicketBreachesOnce(t *testing.T) {
	// Not parallel: tests that start the in-process Temporal run one at a
	// time (their free ports would race).
	e := apitest.New(t, apitest.Options{Temporal: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const tickets = 50
	rep, err := bench.RunBreach(ctx, bench.BreachConfig{
		Addr: e.URL, Token: apitest.AdminToken, Clients: 4, Tickets: tickets,
		Window: 5 * time.Second, Grace: 3 * time.Second, MetricsURL: e.URL + "/metrics",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Breach
	// The run itself worked: every ticket created, on the policy (RunBreach
	// refuses another due time), and read.
	if s.Tickets != tickets || s.CreateFailed != 0 || s.Unread != 0 || s.Malformed != 0 {
		t.Fatalf("created %d of %d (%d failed), %d unread, %d malformed events (errors: %v)",
			s.Tickets, tickets, s.CreateFailed, s.Unread, s.Malformed, rep.ErrorSamples)
	}
	// The due times span the creation (CreateS is rounded to 10 ms).
	if s.WindowS != 5 || s.DueSpanMs < 0 || s.DueSpanMs > s.CreateS*1000+10 {
		t.Errorf("window %vs, due times span %v ms over a creation of %vs", s.WindowS, s.DueSpanMs, s.CreateS)
	}
	if s.ServerRSSPeakMB == nil || *s.ServerRSSPeakMB <= 0 || s.ServerHeapInusePeakMB == nil || *s.ServerHeapInusePeakMB <= 0 {
		t.Errorf("server memory not sampled from /metrics: %s", rep.MemoryProblem)
	}
	// What a user relies on: each unanswered ticket breaches once, on time.
	if s.Missing != 0 || s.Duplicated != 0 || s.Early != 0 || s.DueMismatch != 0 {
		t.Errorf("of %d tickets: %d missing, %d duplicated, %d early, %d with another due time; want none",
			s.Tickets, s.Missing, s.Duplicated, s.Early, s.DueMismatch)
	}
}
