package bench

import (
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

const (
	// sinkTimeout bounds each read and write of an SMTP connection: the
	// server's mailer sends a message in milliseconds, so a connection
	// silent this long is stuck and only holds a goroutine.
	sinkTimeout = 30 * time.Second
	// sinkMaxMessageBytes bounds one message: an auto-reply is a few KiB of
	// text and HTML, so anything near this is not one.
	sinkMaxMessageBytes = 4 << 20
	// sinkDomain is the name the sink greets with.
	sinkDomain = "helpdesk-bench.sink"
)

// arrival is one message the sink received, per recipient.
type arrival struct {
	// at is when the message's DATA was complete (the bench's clock).
	at time.Time
	// number is the ticket number its Subject starts with ("[HD-100001] …");
	// "" when the Subject has none.
	number string
	// to is the envelope recipient (RCPT TO), lower case.
	to string
}

// sink is an SMTP server that notes each message's arrival instant, ticket
// number and recipients, and keeps nothing else.
type sink struct {
	srv  *smtp.Server
	addr string
	done chan struct{} // closed when Serve has returned

	mu       sync.Mutex
	arrivals []arrival
	wake     chan struct{} // signalled (without blocking) after each message
}

// startSink serves SMTP on ln until close is called.
func startSink(ln net.Listener) *sink {
	s := &sink{addr: ln.Addr().String(), done: make(chan struct{}), wake: make(chan struct{}, 1)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{sink: s}, nil
	}))
	s.srv.Domain = sinkDomain
	s.srv.ReadTimeout, s.srv.WriteTimeout = sinkTimeout, sinkTimeout
	s.srv.MaxMessageBytes = sinkMaxMessageBytes
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns when close closes the listener
	}()
	return s
}

// listenSink listens on addr and serves SMTP there.
func listenSink(addr string) (*sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bench: autoreply: SMTP sink: %w; is another mail server on %s? choose a free address with -smtp-sink", err, addr)
	}
	return startSink(ln), nil
}

// close stops the sink: its listener and every open connection.
func (s *sink) close() {
	_ = s.srv.Close()
	<-s.done
}

// since returns the arrivals from index i on, and how many there are in
// all.
func (s *sink) since(i int) ([]arrival, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]arrival(nil), s.arrivals[min(i, len(s.arrivals)):]...), len(s.arrivals)
}

// count is how many arrivals there are so far.
func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.arrivals)
}

func (s *sink) add(a []arrival) {
	s.mu.Lock()
	s.arrivals = append(s.arrivals, a...)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// sinkSession is one SMTP transaction at a time on one connection.
type sinkSession struct {
	sink *sink
	to   []string
}

func (x *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }

func (x *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, strings.ToLower(to))
	return nil
}

func (x *sinkSession) Reset() { x.to = nil }

func (x *sinkSession) Logout() error { return nil }

// Data reads the message; its arrival is the instant it is complete, when
// an SMTP client considers it handed over.
func (x *sinkSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unreadable message header: " + err.Error()}
	}
	if _, err := io.Copy(io.Discard, m.Body); err != nil {
		return err
	}
	at := time.Now()
	number := subjectNumber(m.Header.Get("Subject"))
	got := make([]arrival, len(x.to))
	for i, to := range x.to {
		got[i] = arrival{at: at, number: number, to: to}
	}
	x.sink.add(got)
	return nil
}

// subjectNumber returns the ticket number a raw Subject header starts
// with, inside brackets ("[HD-100001] We received your request"), after
// decoding RFC 2047 encoded words; "" when it starts otherwise.
func subjectNumber(raw string) string {
	s, err := new(mime.WordDecoder).DecodeHeader(raw)
	if err != nil {
		s = raw
	}
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") {
		return ""
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return ""
	}
	return strings.TrimSpace(s[1:end])
}
