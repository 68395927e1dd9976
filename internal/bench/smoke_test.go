package bench_test

import (
	"context"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/bench"
)

// TestBenchSmokeAgainstRealServer runs the load command briefly against a
// real server: it prepares its tenant through the API and every measured
// operation succeeds.
func TestBenchSmokeAgainstRealServer(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := bench.Run(ctx, bench.Config{Addr: e.URL, Token: apitest.AdminToken, Clients: 2, Duration: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"createTicket", "ticketByNumber", "ticketsPage"} {
		st, ok := rep.Operations[op]
		if !ok || st.Requests == 0 || st.Errors != 0 {
			t.Errorf("%s: %+v (errors: %v)", op, st, rep.ErrorSamples)
		}
		if st.P50Ms <= 0 || st.MaxMs < st.P99Ms || st.P99Ms < st.P50Ms {
			t.Errorf("%s: percentiles out of order: %+v", op, st)
		}
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
