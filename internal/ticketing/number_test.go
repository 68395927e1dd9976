package ticketing

import "testing"

// TestTicketNumbers: numbers are HD- and six digits from the first ticket
// on, read back in any case and with an optional '#'.
func TestTicketNumbers(t *testing.T) {
	t.Parallel()
	if n := Number(TicketIDBase); n != "HD-100000" {
		t.Errorf("first ticket: %s", n)
	}
	if n := Number(TicketIDBase + 42); n != "HD-100042" {
		t.Errorf("43rd ticket: %s", n)
	}
	for _, s := range []string{"HD-100042", "hd-100042", " #HD-100042 "} {
		if id, ok := IDFromNumber(s); !ok || id != TicketIDBase+42 {
			t.Errorf("%q: %d, %v", s, id, ok)
		}
	}
	for _, s := range []string{"", "HD-", "HD-99999", "XX-100042", "HD-1e5", "HD-4295067296"} {
		if id, ok := IDFromNumber(s); ok {
			t.Errorf("%q read as %d", s, id)
		}
	}
}
