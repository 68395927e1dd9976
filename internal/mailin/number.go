package mailin

import (
	"regexp"
	"strconv"
	"strings"
)

// minNumberDigits is the fewest digits a ticket number has: the helpdesk
// numbers tickets from HD-100001, so anything shorter ("HD-42", "hd-2024")
// is ordinary subject text and not a reference to a ticket.
const minNumberDigits = 6

var (
	// bracketedNumber is the form the helpdesk's own notifications put
	// in their subjects, which replies keep: "Re: [HD-100001] Router down".
	bracketedNumber = regexp.MustCompile(`(?i)\[\s*(HD-[0-9]{` + strconv.Itoa(minNumberDigits) + `,})\s*\]`)
	// bareNumber is a number a person typed: "question about HD-100001".
	// The boundaries keep "XHD-100001" and "HD-1000011a" from counting.
	bareNumber = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9])(HD-[0-9]{` + strconv.Itoa(minNumberDigits) + `,})(?:$|[^A-Za-z0-9])`)
)

// Number returns the ticket number a subject refers to, upper-cased, as
// in "HD-100001", or "" if it names none. A number needs at least six
// digits. A bracketed number ("[HD-100001]", the form the helpdesk's own
// mail uses and replies keep) wins over a bare one elsewhere in the
// subject; among numbers of the same form the first wins.
func Number(subject string) string {
	if m := bracketedNumber.FindStringSubmatch(subject); m != nil {
		return strings.ToUpper(m[1])
	}
	if m := bareNumber.FindStringSubmatch(subject); m != nil {
		return strings.ToUpper(m[1])
	}
	return ""
}
