package mailin

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
)

// bodyText walks a message's MIME tree and returns its text: the first
// text/plain part that is not an attachment, or else the first such
// text/html part converted to text. Attachments and other media types are
// skipped. A part in a charset or transfer encoding go-message does not
// know is read as it stands (invalid UTF-8 replaced) rather than refused,
// so a sender's odd client does not cost them their ticket; a MIME tree
// that cannot be walked or a body that cannot be decoded is an error.
func bodyText(e *message.Entity) (string, error) {
	var plain, html string
	var havePlain, haveHTML bool
	err := e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return err
		}
		mediaType, _, ctErr := part.Header.ContentType()
		if ctErr != nil || mediaType == "" {
			// RFC 2045 section 5.2: a missing or unreadable Content-Type
			// means plain US-ASCII text.
			mediaType = "text/plain"
		}
		if strings.HasPrefix(mediaType, "multipart/") {
			return nil
		}
		if disposition, _, _ := part.Header.ContentDisposition(); disposition == "attachment" {
			return nil
		}
		switch {
		case mediaType == "text/plain" && !havePlain:
			s, err := readPart(part)
			if err != nil {
				return err
			}
			plain, havePlain = s, true
		case mediaType == "text/html" && !haveHTML:
			s, err := readPart(part)
			if err != nil {
				return err
			}
			html, haveHTML = s, true
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("the MIME structure cannot be read (%v)", err)
	}
	switch {
	case havePlain:
		return normalizeNewlines(plain), nil
	case haveHTML:
		return htmlToText(html), nil
	}
	return "", nil
}

// readPart reads one part's decoded body as UTF-8 text.
func readPart(part *message.Entity) (string, error) {
	b, err := io.ReadAll(part.Body)
	if err != nil {
		return "", fmt.Errorf("a text part cannot be decoded (%v)", err)
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	return string(b), nil
}

// normalizeNewlines turns CRLF and lone CR line ends into LF.
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

var (
	// attribution is the line a mail client writes above the text it
	// quotes: "On Mon, 3 Jun 2024 at 10:00, Ana <ana@example.com> wrote:"
	// or, from Spanish clients, "El lun, 3 jun 2024 a las 10:00, Ana
	// escribió:". Clients wrap long ones, so it is matched against a line
	// and against that line joined with the next. It must carry a digit
	// (every client puts the date in it), so that a sentence of the new
	// text such as "On Monday the engineer wrote:" does not cut the rest.
	attribution = regexp.MustCompile(`(?i)^\s*(on|el)\s.*[0-9].*\s(wrote|escribió)\s*:\s*$`)
	// originalMessage is Outlook's separator above a forwarded or quoted
	// message, in English or Spanish.
	originalMessage = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|mensaje original)\s*-{2,}\s*$`)
)

// cleanReply keeps the new content of a reply: it drops quoted lines
// (starting with ">") and cuts everything from an attribution line, an
// "-----Original Message-----" separator or a "-- " signature separator
// onward, then trims. If that leaves nothing (a message that is all
// quote, say), the whole text is kept: a comment with the quote is better
// than an empty one.
func cleanReply(text string) string {
	text = normalizeNewlines(text)
	lines := strings.Split(text, "\n")
	var kept []string
cut:
	for i, line := range lines {
		switch {
		case isSignatureSeparator(line), originalMessage.MatchString(line), attribution.MatchString(line):
			break cut
		case i+1 < len(lines) && startsAttribution(line) && attribution.MatchString(line+" "+lines[i+1]):
			break cut
		case strings.HasPrefix(strings.TrimLeft(line, " \t"), ">"):
			continue
		}
		kept = append(kept, strings.TrimRight(line, " \t"))
	}
	if cleaned := strings.TrimSpace(strings.Join(kept, "\n")); cleaned != "" {
		return cleaned
	}
	return strings.TrimSpace(text)
}

// startsAttribution reports whether a line may be the first half of an
// attribution line that a client wrapped in two.
func startsAttribution(line string) bool {
	l := strings.ToLower(strings.TrimSpace(line))
	return strings.HasPrefix(l, "on ") || strings.HasPrefix(l, "el ")
}

// isSignatureSeparator reports whether a line is the "-- " that starts a
// signature (RFC 3676 section 4.3); clients that trim trailing spaces
// send "--", which counts too.
func isSignatureSeparator(line string) bool {
	return line == "-- " || line == "--"
}
