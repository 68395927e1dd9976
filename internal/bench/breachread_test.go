package bench

import (
	"context"
	"fmt"
	"io"
	"math"
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

	id := func(i int) int {
		t.Helper()
		id, err := strconv.Atoi(created[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	record := func(i int, data string, at time.Time) {
		t.Helper()
		if err := e.DB.Client.TicketEvent.Create().SetTicketID(id(i)).SetKind("SLA_BREACHED").SetData(data).SetCreatedAt(at).
			Exec(viewer.SystemContext(ctx)); err != nil {
			t.Fatal(err)
		}
	}
	// The product records the due time it stores (to the nanosecond on
	// SQLite, rounded to the microsecond by PostgreSQL).
	dueOf := func(i int) time.Time {
		t.Helper()
		tk, err := e.DB.Client.Ticket.Get(viewer.SystemContext(ctx), id(i))
		if err != nil || tk.FirstResponseDueAt == nil {
			t.Fatalf("ticket %s: %v", created[i].Number, err)
		}
		return *tk.FirstResponseDueAt
	}
	firstResponse := func(i int) string {
		return fmt.Sprintf(`{"clock":"FIRST_RESPONSE","dueAt":%q}`, dueOf(i).Format(time.RFC3339Nano))
	}
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
	// Lateness: -1000 (early), 100 (the first of two), 300 ms, to within
	// the microsecond the API truncates createdAt to.
	for name, p := range map[string]struct {
		got  *float64
		want float64
	}{"p50": {got.P50Ms, 100}, "p99": {got.P99Ms, 300}, "max": {got.MaxMs, 300}} {
		if p.got == nil || math.Abs(*p.got-p.want) > 0.002 {
			t.Errorf("%s lateness %s ms, want %v", name, orDash(p.got), p.want)
		}
	}
	got.P50Ms, got.P99Ms, got.MaxMs = nil, nil, nil
	want := BreachStats{Missing: 3, Duplicated: 1, Early: 1, Malformed: 1}
	if statsString(got) != statsString(want) {
		t.Errorf("judged\n %s\nwant\n %s", statsString(got), statsString(want))
	}
}
