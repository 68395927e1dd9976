package ticketing

import (
	"fmt"
	"strconv"
	"strings"
)

// NumberPrefix starts every ticket number.
const NumberPrefix = "HD-"

// TicketIDBase is the first ID of the tickets table. IDs are unique across
// tables (the data model gives each table a range of 1<<32 IDs, in the
// order of its types' names; tickets are the 11th), so a ticket's number
// is its position in that range: short, stable and never reused. A test
// of internal/tickets holds it to the range the data model's migration
// gives the table.
const TicketIDBase = 10 << 32

// numberOffset makes every number six digits long from the first ticket
// on, so numbers look alike and sort as text.
const numberOffset = 100000

// Number is the human-friendly number of the ticket with this ID, e.g.
// HD-100042.
func Number(id int) string {
	return fmt.Sprintf("%s%d", NumberPrefix, numberOffset+id-TicketIDBase)
}

// IDFromNumber returns the ID of the ticket with this number. It accepts
// any letter case and an optional '#'.
func IDFromNumber(number string) (int, bool) {
	s := strings.TrimPrefix(strings.TrimSpace(number), "#")
	if len(s) <= len(NumberPrefix) || !strings.EqualFold(s[:len(NumberPrefix)], NumberPrefix) {
		return 0, false
	}
	n, err := strconv.Atoi(s[len(NumberPrefix):])
	if err != nil || n < numberOffset || n-numberOffset >= 1<<32 {
		return 0, false
	}
	return TicketIDBase + n - numberOffset, true
}
