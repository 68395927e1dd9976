package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/viewer"
)

// TestBreachReadJudgesTheEventsTheServerRecorded prepares and creates a
// breach run's tickets through the API, records SLA_BREACHED events on
// them in the server's database as the product would (missing, once,
// twice, early, malformed, of the other clock), and reads and judges them
// back through the API: what the scenario reports is what the timeline
// holds.
func TestBreachReadJudgesTheEventsTheServerRecorded(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	endpoint, err := endpointURL(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &gqlClient{http: &http.Client{Timeout: time.Minute}, endpoint: endpoint}
	logf := func(string, ...any) {}
	cfg := BreachConfig{Addr: e.URL, Token: apitest.AdminToken, Clients: 2, Tickets: 6, Window: time.Minute, Progress: io.Discard}

	p := newPreparer(c, cfg.Token, cfg.Clients, logf)
	policyID, err := p.breachPolicy(ctx, cfg.Window)
	if err != nil {
		t.Fatal(err)
	}
	fx, err := p.tenant(ctx, policyID)
	if err != nil {
		t.Fatal(err)
	}
	var errLog errorLog
	created, failed, err := createBreachTickets(ctx, c, cfg, fx, &errLog, logf)
	if err != nil || failed != 0 || len(created) != cfg.Tickets {
		t.Fatalf("created %d of %d, %d failed, err %v (%v)", len(created), cfg.Tickets, failed, err, errLog.samples)
	}

	record := func(i int, data string, at time.Time) {
		t.Helper()
		id, err := strconv.Atoi(created[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.DB.Client.TicketEvent.Create().SetTicketID(id).SetKind("SLA_BREACHED").SetData(data).SetCreatedAt(at).
			Exec(viewer.SystemContext(ctx)); err != nil {
			t.Fatal(err)
		}
	}
	firstResponse := func(i int) string {
		return fmt.Sprintf(`{"clock":"FIRST_RESPONSE","dueAt":%q}`, created[i].FirstResponseDueAt.Format(time.RFC3339Nano))
	}
	dueOf := func(i int) time.Time { return created[i].FirstResponseDueAt }
	// Ticket 0 has no breach.
	record(1, firstResponse(1), dueOf(1).Add(300*time.Millisecond))
	record(2, firstResponse(2), dueOf(2).Add(100*time.Millisecond))
	record(2, firstResponse(2), dueOf(2).Add(1500*time.Millisecond))
	record(3, firstResponse(3), dueOf(3).Add(-time.Second))
	record(4, `{"clock":`, dueOf(4))
	record(5, fmt.Sprintf(`{"clock":"RESOLUTION","dueAt":%q}`, dueOf(5).Format(time.RFC3339Nano)), dueOf(5))

	reads, unread, err := readBreaches(ctx, c, cfg, created, &errLog, logf)
	if err != nil || unread != 0 || len(reads) != cfg.Tickets {
		t.Fatalf("read %d of %d, %d unread, err %v (%v)", len(reads), cfg.Tickets, unread, err, errLog.samples)
	}
	got := breachStats(reads)
	// Lateness: -1000 (early), 100 (the first of two), 300 ms.
	want := BreachStats{Missing: 3, Duplicated: 1, Early: 1, Malformed: 1, P50Ms: f(100), P99Ms: f(300), MaxMs: f(300)}
	if statsString(got) != statsString(want) {
		t.Errorf("judged\n %s\nwant\n %s", statsString(got), statsString(want))
	}
}
