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

// TestAnIdempotencyKeyAnswersOnlyCallersWhoMayOpenTheTicket: the key's
// ticket is looked up before the insert, yet a caller the privacy rules
// would refuse gets their refusal, not the ticket: an ADMIN contact
// naming a colleague as requester with the colleague's key, a partner.
func TestAnIdempotencyKeyAnswersOnlyCallersWhoMayOpenTheTicket(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "idem-privacy")
	first := e.CreateTicket(t, tn.User.Token, map[string]any{"idempotencyKey": "k-1"})
	const create = `mutation($r: ID) { createTicket(input: {subject: "s", description: "d", priority: HIGH, category: INCIDENT, requesterID: $r, idempotencyKey: "k-1"}) { id } }`
	for _, c := range []struct {
		who, token string
		requester  any
		msg        string
	}{
		{"the organization's ADMIN contact for the requester", tn.Admin.Token, tn.User.ID, "not allowed: a contact opens tickets for itself; requesterID is for agents"},
		{"its MASTER contact for the requester", tn.Master.Token, tn.User.ID, "not allowed: a contact opens tickets for itself; requesterID is for agents"},
		{"a partner of the organization", e.Partner(t, tn.OrgID), tn.User.ID, "not allowed: partner tokens are read-only"},
	} {
		res := e.Post(t, c.token, create, map[string]any{"r": c.requester})
		if len(res.Errors) != 1 || res.Errors[0].Code() != "FORBIDDEN" || res.Errors[0].Message != c.msg {
			t.Errorf("%s: %+v (data %s), want FORBIDDEN %q", c.who, res.Errors, res.Data, c.msg)
		}
	}
	// The requester itself, retrying, gets its ticket.
	if again := e.CreateTicket(t, tn.User.Token, map[string]any{"idempotencyKey": "k-1"}); again.ID != first.ID {
		t.Fatalf("the requester's retry gave %s, want %s", again.ID, first.ID)
	}
}
