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
