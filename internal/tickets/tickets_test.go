package tickets

import (
	"testing"

	"helpdesk/ent/migrate"
	"helpdesk/internal/ticketing"
)

// TestTicketNumbersCountFromTheTicketsIDRange: ticket numbers are
// positions in the tickets table's ID range, so ticketing's constant must
// be the first ID the data model's migration gives that table (a new
// entity type whose name sorts before Ticket would move the range: then
// this fails, before any number is wrong).
func TestTicketNumbersCountFromTheTicketsIDRange(t *testing.T) {
	t.Parallel()
	a := migrate.TicketsTable.Annotation
	if a == nil || a.IncrementStart == nil {
		t.Fatal("the tickets table has no ID range (is the global-ID feature still on?)")
	}
	if got := *a.IncrementStart; got != ticketing.TicketIDBase {
		t.Fatalf("the tickets table's IDs start at %d; ticketing.TicketIDBase is %d", got, ticketing.TicketIDBase)
	}
	if n := ticketing.Number(*a.IncrementStart + 1); n != "HD-100001" {
		t.Fatalf("the ID after the range's start reads as %s, want HD-100001", n)
	}
}
