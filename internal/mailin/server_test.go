package mailin

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

const plainMessage = `From: Ana <ana@example.com>
Subject: Printer
Content-Type: text/plain

The printer is jammed.
`

func TestARejectFromTheHandlerReachesTheClientWithItsCodeAndMessage(t *testing.T) {
	s := startServer(t, Config{})
	const text = "This address does not accept mail from you: only contacts registered with the helpdesk can open tickets. Ask your account manager to add you."
	s.rec.setAnswer(func(context.Context, Message) error { return &Reject{Code: 550, Message: text} })

	err := s.sendOne(t, plainMessage)
	wantCode(t, err, 550)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Message != text {
		t.Fatalf("client saw %v, want the handler's message %q", err, text)
	}
}

func TestAnyOtherHandlerErrorAnswers451WithoutItsText(t *testing.T) {
	s := startServer(t, Config{})
	s.rec.setAnswer(func(context.Context, Message) error { return errors.New("pq: connection refused to db.internal:5432") })

	err := s.sendOne(t, plainMessage)
	wantCode(t, err, 451)
	if strings.Contains(err.Error(), "db.internal") {
		t.Fatalf("the 451 leaks the handler's error: %v", err)
	}
	if !strings.Contains(s.logs.String(), "db.internal") {
		t.Fatalf("the handler's error is not logged; log:\n%s", s.logs)
	}
}

func TestAPanicInTheHandlerAnswers451AndTheNextMessageStillWorks(t *testing.T) {
	s := startServer(t, Config{})
	var panicked atomic.Bool
	s.rec.setAnswer(func(context.Context, Message) error {
		if panicked.CompareAndSwap(false, true) {
			panic("nil map in the ticket store")
		}
		return nil
	})
	c := s.dial(t)
	wantCode(t, send(t, c, "ana@example.com", []string{"support@helpdesk.test"}, plainMessage), 451)
	// The same connection goes on, and so does the server.
	wantCode(t, send(t, c, "ana@example.com", []string{"support@helpdesk.test"}, plainMessage), 250)
	wantCode(t, s.sendOne(t, plainMessage), 250)
	if n := len(s.rec.messages()); n != 3 {
		t.Fatalf("handler called %d times, want 3", n)
	}
	if !strings.Contains(s.logs.String(), "nil map in the ticket store") {
		t.Fatalf("the panic is not logged; log:\n%s", s.logs)
	}
}

func TestAMessageOverTheSizeLimitIsRefusedWith552AndNeverHandled(t *testing.T) {
	s := startServer(t, Config{MaxMessageBytes: 2048})
	big := plainMessage + strings.Repeat("all work and no play makes the printer jam\n", 100)

	wantCode(t, s.sendOne(t, big), 552)
	if n := len(s.rec.messages()); n != 0 {
		t.Fatalf("handler called %d times for an oversize message", n)
	}
	// A message within the limit still goes through.
	wantCode(t, s.sendOne(t, plainMessage), 250)
}

func TestASizeDeclaredOverTheLimitIsRefusedAtMailFrom(t *testing.T) {
	s := startServer(t, Config{MaxMessageBytes: 2048})
	c := s.dial(t)
	if ok, limit := c.Extension("SIZE"); !ok || limit != "2048" {
		t.Fatalf("EHLO advertises SIZE %q (%v), want 2048", limit, ok)
	}
	wantCode(t, c.Mail("ana@example.com", &smtp.MailOptions{Size: 4096}), 552)
}

func TestARecipientNotAcceptedIsAnswered550NoSuchMailbox(t *testing.T) {
	s := startServer(t, Config{Recipients: []string{"Support@Helpdesk.test"}})
	c := s.dial(t)
	if err := c.Mail("ana@example.com", nil); err != nil {
		t.Fatal(err)
	}
	err := c.Rcpt("sales@helpdesk.test", nil)
	wantCode(t, err, 550)
	if !strings.Contains(err.Error(), "no such mailbox here") {
		t.Fatalf("RCPT answered %v, want \"no such mailbox here\"", err)
	}
	// The accepted address matches without regard to case.
	if err := c.Rcpt("SUPPORT@helpdesk.TEST", nil); err != nil {
		t.Fatalf("RCPT of the accepted address in other case: %v", err)
	}
}

func TestMoreRecipientsThanTheLimitAreAnswered452(t *testing.T) {
	s := startServer(t, Config{MaxRecipients: 2})
	c := s.dial(t)
	if err := c.Mail("ana@example.com", nil); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"a@helpdesk.test", "b@helpdesk.test"} {
		if err := c.Rcpt(to, nil); err != nil {
			t.Fatalf("RCPT TO:<%s>: %v", to, err)
		}
	}
	wantCode(t, c.Rcpt("c@helpdesk.test", nil), 452)
}

func TestMalformedMessagesAreRefusedWith550SayingWhatIsWrong(t *testing.T) {
	cases := []struct {
		name, raw, want string
	}{
		{"unparseable header", "this is not a header line\nSubject: x\n\nbody\n", "header cannot be parsed"},
		{"no From", "Subject: who am I\n\nbody\n", "no From header"},
		{"unparseable From", "From: <<<not an address\nSubject: x\n\nbody\n", "From header cannot be parsed"},
		{"multipart without parts", "From: ana@example.com\nContent-Type: multipart/mixed; boundary=\"x\"\n\nno boundary anywhere\n", "MIME structure"},
		{"broken base64", "From: ana@example.com\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!! not base64 ****\n", "cannot be decoded"},
	}
	s := startServer(t, Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.sendOne(t, tc.raw)
			wantCode(t, err, 550)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("550 says %q, want it to say %q", err, tc.want)
			}
		})
	}
	if n := len(s.rec.messages()); n != 0 {
		t.Fatalf("handler called %d times for malformed messages", n)
	}
}

func TestMailThatCouldLoopIsAcceptedAndDroppedWithoutTheHandler(t *testing.T) {
	cases := []struct {
		name, from, raw, reason string
	}{
		{"auto-replied", "ana@example.com", "Auto-Submitted: auto-replied\n" + plainMessage, "Auto-Submitted: auto-replied"},
		{"auto-generated with a parameter", "ana@example.com", "Auto-Submitted: Auto-Generated; owner-email=x@example.com\n" + plainMessage, "Auto-Submitted: auto-generated"},
		{"precedence bulk", "ana@example.com", "Precedence: bulk\n" + plainMessage, "Precedence: bulk"},
		{"precedence list", "ana@example.com", "Precedence: list\n" + plainMessage, "Precedence: list"},
		{"x-autoreply", "ana@example.com", "X-Autoreply: yes\n" + plainMessage, "X-Autoreply"},
		{"x-autorespond", "ana@example.com", "X-Autorespond: out of office\n" + plainMessage, "X-Autorespond"},
		{"mailing list", "ana@example.com", "List-Id: <staff.example.com>\n" + plainMessage, "List-Id"},
		{"bounce", "", plainMessage, "bounce"},
		{"malformed bounce", "", "garbage without header\n", "bounce"},
	}
	s := startServer(t, Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := send(t, s.dial(t), tc.from, []string{"support@helpdesk.test"}, tc.raw)
			wantCode(t, err, 250)
			if !strings.Contains(s.logs.String(), tc.reason) {
				t.Fatalf("the drop is not logged with reason %q; log:\n%s", tc.reason, s.logs)
			}
		})
	}
	if n := len(s.rec.messages()); n != 0 {
		t.Fatalf("handler called %d times for mail that could loop", n)
	}
	// Auto-Submitted: no is a person's mail and is handled.
	wantCode(t, s.sendOne(t, "Auto-Submitted: no\n"+plainMessage), 250)
	s.rec.only(t)
}

func TestListenNamesTheAddressWhenThePortIsInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()

	_, err = Listen(Config{Addr: addr}, (&recorder{}).handle)
	if err == nil {
		t.Fatal("Listen on a port in use succeeded")
	}
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("error %q does not name %s and say it is in use", err, addr)
	}
}

func TestListenRefusesAMissingAddressOrHandler(t *testing.T) {
	if _, err := Listen(Config{}, (&recorder{}).handle); err == nil || !strings.Contains(err.Error(), "Config.Addr") {
		t.Fatalf("Listen without an address: %v, want an error about Config.Addr", err)
	}
	if _, err := Listen(Config{Addr: "127.0.0.1:0"}, nil); err == nil {
		t.Fatal("Listen without a Handler succeeded")
	}
}

func TestARejectWithAnOddCodeOrLineBreaksIsAnsweredAs550OnOneLine(t *testing.T) {
	s := startServer(t, Config{})
	s.rec.setAnswer(func(context.Context, Message) error { return &Reject{Code: 250, Message: "not\r\nwelcome"} })
	err := s.sendOne(t, plainMessage)
	wantCode(t, err, 550)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Message != "not welcome" {
		t.Fatalf("client saw %v, want 550 \"not welcome\"", err)
	}
}

func TestAHandlerThatOverrunsItsTimeoutGets451InsteadOfHangingTheSender(t *testing.T) {
	s := startServer(t, Config{HandlerTimeout: 50 * time.Millisecond})
	s.rec.setAnswer(func(ctx context.Context, _ Message) error {
		<-ctx.Done()
		return ctx.Err()
	})
	wantCode(t, s.sendOne(t, plainMessage), 451)
}

func TestCloseEndsTheContextOfAHandlerStillRunningAndServeReturnsNil(t *testing.T) {
	s := startServer(t, Config{})
	running := make(chan struct{})
	ended := make(chan error, 1)
	s.rec.setAnswer(func(ctx context.Context, _ Message) error {
		close(running)
		select {
		case <-ctx.Done():
			ended <- ctx.Err()
		case <-time.After(testTimeout):
			ended <- errors.New("the handler's context did not end at Close")
		}
		return ctx.Err()
	})
	c := s.dial(t)
	if err := c.Mail("ana@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("support@helpdesk.test", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(crlf(plainMessage))); err != nil {
		t.Fatal(err)
	}
	answered := make(chan error, 1)
	go func() { answered <- w.Close() }()
	<-running
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler context ended with %v, want context.Canceled", err)
	}
	// The message was not accepted: the sender sees no 250.
	if err := <-answered; err == nil {
		t.Fatal("a message cut off by Close was answered 250")
	}
	if _, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		t.Fatal("the server still accepts connections after Close")
	}
}
