package schematype

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"helpdesk/ent/internal"
)

// NumberPrefix starts every ticket number.
const NumberPrefix = "HD-"

// ticketIDBase is the first ID of the tickets table: IDs are globally unique
// across tables (each table owns a range), so a ticket's number is its
// position in that range — short, stable and never reused.
var ticketIDBase = func() int {
	var starts map[string]int
	if err := json.Unmarshal([]byte(internal.IncrementStarts), &starts); err != nil {
		panic(fmt.Sprintf("schematype: reading ID ranges: %v", err))
	}
	base, ok := starts["tickets"]
	if !ok {
		panic("schematype: no ID range for tickets")
	}
	return base
}()

// numberOffset makes every number six digits long from the first ticket
// on, so numbers look alike and sort as text.
const numberOffset = 100000

// TicketNumber is the human-friendly number of the ticket with this ID,
// e.g. HD-100042.
func TicketNumber(id int) string {
	return fmt.Sprintf("%s%d", NumberPrefix, numberOffset+id-ticketIDBase)
}

// TicketIDFromNumber returns the ID of the ticket with this number. It
// accepts any letter case and an optional '#'.
func TicketIDFromNumber(number string) (int, bool) {
	s := strings.TrimPrefix(strings.TrimSpace(number), "#")
	if len(s) <= len(NumberPrefix) || !strings.EqualFold(s[:len(NumberPrefix)], NumberPrefix) {
		return 0, false
	}
	n, err := strconv.Atoi(s[len(NumberPrefix):])
	if err != nil || n < numberOffset || n-numberOffset >= 1<<32 {
		return 0, false
	}
	return ticketIDBase + n - numberOffset, true
}
