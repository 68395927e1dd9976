package demo_test

import (
	"context"
	"testing"

	"helpdesk/internal/apitest"
	"helpdesk/internal/demo"
)

// TestSeedMakesATenantToTryAndRunsOnce: the printed tokens work with their
// roles' scopes, and a second seed changes nothing.
func TestSeedMakesATenantToTryAndRunsOnce(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tok, seeded, err := demo.Seed(context.Background(), e.DB.Client)
	if err != nil || !seeded {
		t.Fatalf("first seed: seeded=%v err=%v", seeded, err)
	}
	var viewer struct {
		Viewer struct{ Agent struct{ Role string } }
	}
	e.Do(t, tok.Admin, `{ viewer { agent { role } } }`, nil, &viewer)
	if viewer.Viewer.Agent.Role != "ADMIN" {
		t.Fatalf("admin token's viewer: %+v", viewer)
	}
	var tickets struct{ Tickets struct{ TotalCount int } }
	e.Do(t, tok.User, `{ tickets { totalCount } }`, nil, &tickets)
	if tickets.Tickets.TotalCount != 2 {
		t.Fatalf("the USER contact sees %d demo tickets, want 2", tickets.Tickets.TotalCount)
	}
	e.Do(t, tok.Partner, `{ tickets { totalCount } }`, nil, &tickets)
	if tickets.Tickets.TotalCount != 2 {
		t.Fatalf("the partner sees %d demo tickets, want 2", tickets.Tickets.TotalCount)
	}
	e.Fail(t, "FORBIDDEN", tok.Partner, `mutation { createTicket(input: {subject: "s", description: "d", priority: LOW, category: INCIDENT}) { id } }`, nil)

	again, seeded, err := demo.Seed(context.Background(), e.DB.Client)
	if err != nil || seeded || again != (demo.Tokens{}) {
		t.Fatalf("second seed: seeded=%v err=%v tokens=%+v", seeded, err, again)
	}
	e.Do(t, tok.User, `{ tickets { totalCount } }`, nil, &tickets)
	if tickets.Tickets.TotalCount != 2 {
		t.Fatalf("after a second seed the USER sees %d tickets, want 2", tickets.Tickets.TotalCount)
	}
}
