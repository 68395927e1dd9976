package mailin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/emersion/go-message"
	// The charset package registers decoders for the non-UTF-8 charsets
	// mail still arrives in (ISO-8859-*, Windows-125*, …), for bodies and
	// for RFC 2047 encoded words in headers.
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
)

// Message is one inbound mail, reduced to what the helpdesk needs to open
// a ticket or add a comment.
type Message struct {
	// From is the sender's bare address, lower-cased: the first mailbox
	// of the From header, or the envelope sender (MAIL FROM) if that
	// header names no mailbox (an empty group such as "undisclosed:;").
	From string
	// FromName is the sender's display name from the From header, RFC
	// 2047 decoded; "" if there is none.
	FromName string
	// Subject is the Subject header, RFC 2047 decoded.
	Subject string
	// Text is the body as plain text (the text/plain part, or the HTML
	// part converted), cut to the new content of a reply: quoted lines,
	// attribution lines and signatures removed.
	Text string
	// MessageID is the Message-ID without angle brackets. A message
	// without one gets "sha256-<hex>", a hash of the message (see
	// hashMessage), so that the same message delivered twice is
	// recognised as one.
	MessageID string
	// InReplyTo is the first message identifier of In-Reply-To, without
	// angle brackets; "" if there is none.
	InReplyTo string
	// References are the message identifiers of References, oldest
	// first, without angle brackets.
	References []string
	// Number is the ticket number the subject refers to ("HD-100001"),
	// or "" if none; see Number.
	Number string
}

// malformedError is a message the listener refuses for good (550): the
// sender's mail client or server has to send it differently. Its text
// goes to the SMTP client, so it says what is wrong in the message, never
// anything about the helpdesk.
type malformedError struct{ reason string }

func (e *malformedError) Error() string { return e.reason }

// malformed makes a malformedError.
func malformed(format string, args ...any) error {
	return &malformedError{reason: fmt.Sprintf(format, args...)}
}

// readHeader parses the header of a raw message. The returned entity's
// body has not been read yet.
func readHeader(raw []byte) (*message.Entity, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, malformed("the message header cannot be parsed (%v); send it as an RFC 5322 message", err)
	}
	return e, nil
}

// parseMessage builds the Message from a raw message whose header e has
// been read; envelopeFrom is the SMTP MAIL FROM address. Errors are
// malformedErrors. Only the sender is strict (a missing or unreadable
// From is refused); threading headers that cannot be parsed are kept as
// far as they could be read, since clients mangle them and a comment
// filed as a new ticket is better than mail refused.
func parseMessage(raw []byte, e *message.Entity, envelopeFrom string) (Message, error) {
	h := mail.Header{Header: e.Header}
	var m Message

	if !h.Has("From") {
		return Message{}, malformed("the message has no From header; say who it is from")
	}
	from, err := h.AddressList("From")
	if err != nil {
		return Message{}, malformed("the From header cannot be parsed (%v); use a form like \"Ana Pérez <ana@example.com>\"", err)
	}
	switch {
	case len(from) > 0:
		m.From, m.FromName = strings.ToLower(from[0].Address), from[0].Name
	case envelopeFrom != "":
		m.From = strings.ToLower(envelopeFrom)
	default:
		return Message{}, malformed("the From header names no address and the envelope has no sender")
	}

	// A subject in an unknown charset is kept as it came (Subject returns
	// the undecoded text along with the error).
	m.Subject, _ = h.Subject()
	m.Subject = strings.TrimSpace(m.Subject)
	m.Number = Number(m.Subject)

	m.MessageID = messageID(h)
	if m.MessageID == "" {
		m.MessageID = hashMessage(raw)
	}
	inReplyTo, _ := h.MsgIDList("In-Reply-To")
	if len(inReplyTo) > 0 {
		m.InReplyTo = inReplyTo[0]
	}
	m.References, _ = h.MsgIDList("References")

	text, err := bodyText(e)
	if err != nil {
		return Message{}, malformed("%v; send the body as text/plain or text/html", err)
	}
	m.Text = cleanReply(text)
	return m, nil
}

// messageID returns the Message-ID without angle brackets. One that does
// not follow RFC 5322's syntax (no brackets, say) is kept as written,
// trimmed, rather than replaced by a hash: the sender's server will
// write it the same way again.
func messageID(h mail.Header) string {
	if id, err := h.MessageID(); err == nil {
		return id
	}
	return strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
}

// traceFields are header fields that servers add on the way (RFC 5321
// section 4.4 and common practice). hashMessage leaves them out, so that
// a message without a Message-ID hashes the same when it arrives twice
// by different routes or at different times.
var traceFields = map[string]bool{
	"received":      true,
	"return-path":   true,
	"delivered-to":  true,
	"x-original-to": true,
}

// hashMessage identifies a message that has no Message-ID:
// "sha256-<hex>" of its raw bytes, except the trace header fields.
func hashMessage(raw []byte) string {
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	header, body, _ := bytes.Cut(raw, []byte("\n\n"))
	sum := sha256.New()
	skipping := false
	for line := range bytes.Lines(header) {
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			// A folded continuation belongs to the field above.
			if !skipping {
				sum.Write(line)
			}
			continue
		}
		name, _, _ := bytes.Cut(line, []byte(":"))
		skipping = traceFields[strings.ToLower(string(bytes.TrimSpace(name)))]
		if !skipping {
			sum.Write(line)
		}
	}
	sum.Write([]byte("\n\n"))
	sum.Write(body)
	return "sha256-" + hex.EncodeToString(sum.Sum(nil))
}

// bounceReason is why mail with an empty envelope sender (MAIL FROM:<>)
// is dropped: it is a bounce or delivery notice (RFC 5321 section
// 4.5.5), and answering it could start a loop.
const bounceReason = "empty envelope sender (a bounce or delivery notice)"

// loopReason says why a message must not reach the handler because
// answering it could start or feed a mail loop, or returns "": an
// automatic reply or notice (Auto-Submitted other than "no", RFC 3834;
// the older X-Autoreply and X-Autorespond), bulk or list mail
// (Precedence bulk/junk/list, List-Id).
func loopReason(h *message.Header) string {
	if v := fieldValue(h, "Auto-Submitted"); v != "" && v != "no" {
		return "Auto-Submitted: " + v
	}
	switch v := fieldValue(h, "Precedence"); v {
	case "bulk", "junk", "list":
		return "Precedence: " + v
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "List-Id"} {
		if h.Has(k) {
			return k + " header present"
		}
	}
	return ""
}

// fieldValue returns a header field's value lower-cased, without
// comments or parameters after ";" or "(".
func fieldValue(h *message.Header, k string) string {
	v := h.Get(k)
	if i := strings.IndexAny(v, ";("); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.TrimSpace(v))
}
