package mailout

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"helpdesk/internal/notify"
)

// parsed is a received message taken apart.
type parsed struct {
	Header     mail.Header
	Subject    string
	Text, HTML string
}

// parse reads a received message as a mail client would: its headers, and
// the text and HTML parts of its multipart/alternative body.
func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, raw)
	}
	var p parsed
	p.Header = m.Header
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatalf("subject: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("multipart body: %v", err)
		}
		raw, err := io.ReadAll(part) // NextPart undoes quoted-printable
		if err != nil {
			t.Fatal(err)
		}
		// On the wire every line ends in CRLF; a mail client shows lines.
		body := strings.ReplaceAll(string(raw), "\r\n", "\n")
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.Text = body
		case "text/html":
			p.HTML = body
		default:
			t.Errorf("unexpected part %s", ct)
		}
	}
	return p
}

func newSender(t *testing.T, url, from string) *Sender {
	t.Helper()
	s, err := New(url, from)
	if err != nil {
		t.Fatalf("New(%q): %v", url, err)
	}
	return s
}

// notification renders kind in locale as a message to Ana.
func notification(t *testing.T, kind, locale string) Message {
	t.Helper()
	r, err := mustLoad(t, "").Render(kind, locale, ticket())
	if err != nil {
		t.Fatal(err)
	}
	return Message{To: "Ana <ana@example.com>", Rendered: r, MessageID: "notification-42@helpdesk.example"}
}

func sendOK(t *testing.T, s *Sender, m Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.Send(ctx, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

func onlyMessage(t *testing.T, ts *testServer) received {
	t.Helper()
	msgs := ts.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

func TestASentMessageArrivesWithItsEnvelopeHeadersAndBothParts(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, "smtp://"+ts.Addr, "Acme Support <support@acme.example>")
	m := notification(t, string(notify.TicketReceived), "en")
	m.MessageID = "<notification-42@helpdesk.example>"
	m.InReplyTo = "ticket-7@helpdesk.example"
	m.References = []string{"<ticket-7@helpdesk.example>", "notification-41@helpdesk.example"}
	m.AutoSubmitted = true
	sendOK(t, s, m)

	got := onlyMessage(t, ts)
	if got.From != "support@acme.example" || len(got.To) != 1 || got.To[0] != "ana@example.com" {
		t.Errorf("envelope from %q to %q", got.From, got.To)
	}
	p := parse(t, got.Data)
	for header, want := range map[string]string{
		"From":                     `"Acme Support" <support@acme.example>`,
		"To":                       `"Ana" <ana@example.com>`,
		"Message-Id":               "<notification-42@helpdesk.example>",
		"In-Reply-To":              "<ticket-7@helpdesk.example>",
		"References":               "<ticket-7@helpdesk.example> <notification-41@helpdesk.example>",
		"Auto-Submitted":           "auto-generated",
		"X-Auto-Response-Suppress": "All",
	} {
		if v := p.Header.Get(header); v != want {
			t.Errorf("%s: %q, want %q", header, v, want)
		}
	}
	if date, err := p.Header.Date(); err != nil || time.Since(date).Abs() > time.Minute {
		t.Errorf("Date %q (%v), want about now", p.Header.Get("Date"), err)
	}
	if p.Subject != "[HD-100001] We received your request: Router down" {
		t.Errorf("subject %q", p.Subject)
	}
	if strings.TrimSpace(p.Text) != strings.TrimSpace(m.Text) {
		t.Errorf("text part:\n%q\nwant:\n%q", p.Text, m.Text)
	}
	if strings.TrimSpace(p.HTML) != strings.TrimSpace(m.HTML) {
		t.Errorf("HTML part:\n%q\nwant:\n%q", p.HTML, m.HTML)
	}
}

func TestAPersonsMessageIsNotMarkedAutoSubmittedButStillSuppressesAutoResponses(t *testing.T) {
	ts := startServer(t, serverOptions{})
	sendOK(t, newSender(t, "smtp://"+ts.Addr, ""), notification(t, string(notify.CommentAdded), "en"))
	got := onlyMessage(t, ts)
	p := parse(t, got.Data)
	if v := p.Header.Get("Auto-Submitted"); v != "" {
		t.Errorf("Auto-Submitted: %q on a message a person wrote", v)
	}
	if v := p.Header.Get("X-Auto-Response-Suppress"); v != "All" {
		t.Errorf("X-Auto-Response-Suppress: %q", v)
	}
	if got.From != "helpdesk@localhost" {
		t.Errorf("envelope from %q, want the default helpdesk@localhost", got.From)
	}
	if v := p.Header.Get("Message-Id"); v != "<notification-42@helpdesk.example>" {
		t.Errorf("Message-ID given without brackets arrived as %q", v)
	}
}

func TestASpanishNotificationArrivesInSpanish(t *testing.T) {
	ts := startServer(t, serverOptions{})
	sendOK(t, newSender(t, "smtp://"+ts.Addr, ""), notification(t, string(notify.InformationRequested), "es"))
	p := parse(t, onlyMessage(t, ts).Data)
	if p.Subject != "[HD-100001] Necesitamos más información: Router down" {
		t.Errorf("subject %q", p.Subject)
	}
	for _, body := range []string{p.Text, p.HTML} {
		if !strings.Contains(body, "necesita algo más de información por su parte") {
			t.Errorf("body is not the Spanish one:\n%s", body)
		}
	}
}

func TestARecipientTheServerRefusesWith550IsAPermanentFailure(t *testing.T) {
	ts := startServer(t, serverOptions{})
	ts.Rcpt = func(string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	err := newSender(t, "smtp://"+ts.Addr, "").Send(t.Context(), notification(t, string(notify.CommentAdded), "en"))
	if err == nil {
		t.Fatal("Send succeeded")
	}
	if !IsPermanent(err) {
		t.Errorf("IsPermanent(%q) = false for a 550", err)
	}
	if !strings.Contains(err.Error(), "No such user here") || !strings.Contains(err.Error(), "retrying will not help") {
		t.Errorf("error %q does not pass on the server's reason and what to do", err)
	}
	if n := len(ts.Messages()); n != 0 {
		t.Errorf("server stored %d messages", n)
	}
}

func TestAServerAnswering451IsATemporaryFailure(t *testing.T) {
	for name, setup := range map[string]func(*testServer){
		"at RCPT": func(ts *testServer) {
			ts.Rcpt = func(string) error {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again later"}
			}
		},
		"at DATA": func(ts *testServer) {
			ts.Data = func() error {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local error in processing"}
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, serverOptions{})
			setup(ts)
			err := newSender(t, "smtp://"+ts.Addr, "").Send(t.Context(), notification(t, string(notify.CommentAdded), "en"))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if IsPermanent(err) {
				t.Errorf("IsPermanent(%q) = true for a 451", err)
			}
			if !strings.Contains(err.Error(), "451") {
				t.Errorf("error %q does not show the server's reply", err)
			}
		})
	}
}

// closedPort is a 127.0.0.1 address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestAClosedPortIsATemporaryFailure(t *testing.T) {
	err := newSender(t, "smtp://"+closedPort(t), "").Send(t.Context(), notification(t, string(notify.CommentAdded), "en"))
	if err == nil {
		t.Fatal("Send succeeded")
	}
	if IsPermanent(err) {
		t.Errorf("IsPermanent(%q) = true for a refused connection", err)
	}
	if !strings.Contains(err.Error(), "could not connect") {
		t.Errorf("error %q does not say it could not connect", err)
	}
}

func TestASendThatOutlivesItsContextGivesUpAsTemporary(t *testing.T) {
	ts := startServer(t, serverOptions{})
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	ts.Data = func() error { <-stall; return nil }
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := newSender(t, "smtp://"+ts.Addr, "").Send(ctx, notification(t, string(notify.CommentAdded), "en"))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Send took %s after its context ended", took)
	}
	if err == nil {
		t.Fatal("Send succeeded against a stalled server")
	}
	if IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %q: want a temporary failure that wraps context.DeadlineExceeded", err)
	}
}

func TestAnInvalidMessageIsPermanentAndNeverReachesTheServer(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, "smtp://"+ts.Addr, "")
	for name, spoil := range map[string]func(*Message){
		"no recipient":        func(m *Message) { m.To = "" },
		"bad recipient":       func(m *Message) { m.To = "ana at example" },
		"bad from":            func(m *Message) { m.From = "@@" },
		"no message id":       func(m *Message) { m.MessageID = "" },
		"message id no @":     func(m *Message) { m.MessageID = "<notification-42>" },
		"header injection":    func(m *Message) { m.MessageID = "<a@b>\r\nBcc: x@y" },
		"bad in-reply-to":     func(m *Message) { m.InReplyTo = "ticket 7" },
		"bad reference":       func(m *Message) { m.References = []string{"<ok@x>", "not-an-id"} },
		"no subject":          func(m *Message) { m.Subject = "" },
		"neither text nor ht": func(m *Message) { m.Text, m.HTML = "", "" },
	} {
		t.Run(name, func(t *testing.T) {
			m := notification(t, string(notify.CommentAdded), "en")
			spoil(&m)
			err := s.Send(t.Context(), m)
			if !errors.Is(err, ErrInvalidMessage) || !IsPermanent(err) {
				t.Errorf("Send: %v, want a permanent ErrInvalidMessage", err)
			}
		})
	}
	if n := len(ts.Messages()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestIsPermanentIsFalseForNilAndForErrorsItDoesNotKnow(t *testing.T) {
	if IsPermanent(nil) || IsPermanent(errors.New("550 looks like a reply but is not one")) {
		t.Error("IsPermanent guessed from an error that is not an SMTP refusal")
	}
}
