package apitest

import (
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one message a MailSink received.
type Mail struct {
	From string
	To   []string
	// Header is the message's header; Raw the whole message.
	Header mail.Header
	Raw    string
	At     time.Time
}

// Subject is the message's decoded subject.
func (m Mail) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}

// MailSink is a real SMTP server (go-smtp) on 127.0.0.1 that keeps what
// it receives: the mail catcher of tests.
type MailSink struct {
	Addr string
	srv  *smtp.Server
	ln   net.Listener

	mu   sync.Mutex
	got  []Mail
	wake chan struct{}
}

// NewMailSink starts a sink on addr ("127.0.0.1:0" for any port); it
// stops at t's cleanup.
func NewMailSink(t testing.TB, addr string) *MailSink {
	t.Helper()
	s := &MailSink{wake: make(chan struct{}, 1)}
	s.start(t, addr)
	t.Cleanup(s.Stop)
	return s
}

func (s *MailSink) start(t testing.TB, addr string) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // a restarted sink waits for its port to be free again
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("apitest: mail sink: %v", err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }))
	srv.Domain = "sink.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv, s.ln, s.Addr = srv, ln, ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
}

// URL is the sink as HELPDESK_SMTP_URL.
func (s *MailSink) URL() string { return "smtp://" + s.Addr }

// Stop closes the sink (what it received stays readable).
func (s *MailSink) Stop() { _ = s.srv.Close() }

// Restart starts the sink again on the same address.
func (s *MailSink) Restart(t testing.TB) { s.start(t, s.Addr) }

// Received is every message so far.
func (s *MailSink) Received() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.got...)
}

// Wait waits until ok holds of what was received, failing t after
// timeout.
func (s *MailSink) Wait(t testing.TB, timeout time.Duration, ok func([]Mail) bool) []Mail {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if got := s.Received(); ok(got) {
			return got
		}
		select {
		case <-s.wake:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			got := s.Received()
			var subjects []string
			for _, m := range got {
				subjects = append(subjects, strings.Join(m.To, ",")+": "+m.Subject())
			}
			t.Fatalf("apitest: mail sink: not there after %s; received %d: %q", timeout, len(got), subjects)
		}
	}
}

type sinkSession struct {
	sink *MailSink
	from string
	to   []string
}

func (x *sinkSession) Mail(from string, _ *smtp.MailOptions) error { x.from = from; return nil }
func (x *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error   { x.to = append(x.to, to); return nil }
func (x *sinkSession) Reset()                                      { x.from, x.to = "", nil }
func (x *sinkSession) Logout() error                               { return nil }

func (x *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return &smtp.SMTPError{Code: 550, Message: "unreadable message: " + err.Error()}
	}
	x.sink.mu.Lock()
	x.sink.got = append(x.sink.got, Mail{From: x.from, To: append([]string(nil), x.to...), Header: m.Header, Raw: string(raw), At: time.Now()})
	x.sink.mu.Unlock()
	select {
	case x.sink.wake <- struct{}{}:
	default:
	}
	return nil
}
