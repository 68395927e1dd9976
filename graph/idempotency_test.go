package graph_test

import (
	"sync"
	"testing"

	"helpdesk/internal/apitest"
)

// TestSameIdempotencyKeyConcurrentlyMakesOneTicket: clients retrying a
// createTicket at once with one key get one ticket, the same for all.
func TestSameIdempotencyKeyConcurrentlyMakesOneTicket(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "idempotent")
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = e.CreateTicket(t, tn.User.Token, map[string]any{"idempotencyKey": "retry-4711", "subject": "Printer on fire"}).ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("the same key gave tickets %v", ids)
		}
	}
	var out struct{ Tickets struct{ TotalCount int } }
	e.Do(t, tn.User.Token, `{ tickets { totalCount } }`, nil, &out)
	if out.Tickets.TotalCount != 1 {
		t.Fatalf("%d tickets for one idempotency key", out.Tickets.TotalCount)
	}
	// Another requester's same key is another ticket.
	if other := e.CreateTicket(t, tn.User2.Token, map[string]any{"idempotencyKey": "retry-4711"}); other.ID == ids[0] {
		t.Fatal("another requester's key returned the first requester's ticket")
	}
}
