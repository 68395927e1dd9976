package mailin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
)

const (
	// DefaultMaxMessageBytes is the largest message accepted when
	// Config.MaxMessageBytes is zero: 10 MiB holds a ticket with a few
	// screenshots or a log file, while a message, read whole into memory,
	// cannot exhaust the server.
	DefaultMaxMessageBytes int64 = 10 << 20
	// DefaultMaxRecipients is the most RCPT TO per message when
	// Config.MaxRecipients is zero. A helpdesk has a handful of addresses
	// (support@, incidents@, …); more than ten recipients is a spammer's
	// list, not a customer.
	DefaultMaxRecipients = 10
	// DefaultTimeout is the read and write timeout of a connection when
	// Config.ReadTimeout or WriteTimeout is zero: a minute is ample for a
	// real mail server between commands, and frees a connection a client
	// has abandoned (or holds open on purpose) soon enough.
	DefaultTimeout = time.Minute
	// DefaultHandlerTimeout bounds one call of the Handler when
	// Config.HandlerTimeout is zero. The sending server waits for the
	// answer to DATA (RFC 5321 section 4.5.3.2.6 suggests ten minutes);
	// two minutes leaves it plenty of margin.
	DefaultHandlerTimeout = 2 * time.Minute
)

// Handler takes in one accepted message: it opens a ticket or adds a
// comment. It is called once per message, from the connection's
// goroutine, while the sending server waits for the answer to DATA; ctx
// ends when the Server closes or after Config.HandlerTimeout.
//
// A nil error answers 250 (accepted). A *Reject answers with its code and
// message. Any other error answers 451 (try again later) with a generic
// text, so the sender's server retries and no internal detail leaks; the
// error itself is logged. A panic is recovered and answered like an error.
type Handler func(ctx context.Context, m Message) error

// Reject is an error a Handler returns to refuse a message with a given
// SMTP reply, for example
//
//	&mailin.Reject{Code: 550, Message: "This address does not accept mail from you: ..."}
//
// The sender sees Message in the bounce their server writes, so it should
// say what they can do.
type Reject struct {
	// Code is the SMTP reply code: 5xx refuses for good, 4xx asks the
	// sending server to try again later. A code outside 400–599 is
	// answered as 550.
	Code int
	// Message is the reply text, on one line (line breaks are replaced
	// with spaces).
	Message string
}

// Error implements error.
func (r *Reject) Error() string {
	return fmt.Sprintf("mailin: message rejected: %d %s", r.Code, r.Message)
}

// smtpError turns a Reject into go-smtp's reply.
func (r *Reject) smtpError() *smtp.SMTPError {
	code := r.Code
	if code < 400 || code > 599 {
		code = 550
	}
	msg := strings.Join(strings.Fields(r.Message), " ")
	if msg == "" {
		msg = "message rejected"
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: msg}
}

// Config configures a Server. Zero values take the defaults named below.
type Config struct {
	// Addr is the TCP address to listen on, host:port, e.g.
	// "127.0.0.1:2525"; ":0" picks a free port (see Server.Addr).
	Addr string
	// Domain is the name the server gives in its greeting and EHLO
	// answer; default the host name.
	Domain string
	// Recipients are the addresses accepted in RCPT TO, compared without
	// regard to case; any other is answered 550. Empty accepts any.
	Recipients []string
	// MaxMessageBytes is the largest message accepted (552 beyond);
	// default DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// MaxRecipients is the most recipients per message (452 beyond);
	// default DefaultMaxRecipients.
	MaxRecipients int
	// ReadTimeout and WriteTimeout bound each read from and write to a
	// connection; default DefaultTimeout.
	ReadTimeout, WriteTimeout time.Duration
	// HandlerTimeout bounds one call of the Handler; default
	// DefaultHandlerTimeout.
	HandlerTimeout time.Duration
	// Logger receives what the listener does with each message; default
	// slog.Default().
	Logger *slog.Logger
}

// Server is a listening SMTP server for inbound helpdesk mail. Listen
// binds it, Serve runs it, Close stops it.
type Server struct {
	smtp     *smtp.Server
	listener net.Listener
	handler  Handler
	log      *slog.Logger
	rcpts    map[string]bool
	timeout  time.Duration

	ctx    context.Context // ends at Close, for handlers in flight
	cancel context.CancelFunc
	once   sync.Once
}

// Listen checks cfg and binds its address; the server accepts
// connections once Serve runs. h receives every message accepted.
func Listen(cfg Config, h Handler) (*Server, error) {
	if h == nil {
		return nil, errors.New("mailin: Listen needs a Handler to take in the messages")
	}
	if cfg.Addr == "" {
		return nil, errors.New("mailin: no listen address; set Config.Addr to host:port, e.g. 127.0.0.1:2525")
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("mailin: cannot listen on %s: the port is already in use; stop the program using it or choose another address", cfg.Addr)
		}
		return nil, fmt.Errorf("mailin: cannot listen on %s: %w; check that the address is host:port on this machine (e.g. 127.0.0.1:2525) and that a port below 1024 has the privilege it needs", cfg.Addr, err)
	}

	s := &Server{
		listener: l,
		handler:  h,
		log:      cfg.Logger,
		rcpts:    make(map[string]bool, len(cfg.Recipients)),
		timeout:  orDefault(cfg.HandlerTimeout, DefaultHandlerTimeout),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "mailin")
	for _, r := range cfg.Recipients {
		s.rcpts[strings.ToLower(strings.TrimSpace(r))] = true
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())

	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = cfg.Domain
	if srv.Domain == "" {
		srv.Domain, _ = os.Hostname()
		if srv.Domain == "" {
			srv.Domain = "localhost"
		}
	}
	srv.MaxMessageBytes = orDefault(cfg.MaxMessageBytes, DefaultMaxMessageBytes)
	srv.MaxRecipients = orDefault(cfg.MaxRecipients, DefaultMaxRecipients)
	srv.ReadTimeout = orDefault(cfg.ReadTimeout, DefaultTimeout)
	srv.WriteTimeout = orDefault(cfg.WriteTimeout, DefaultTimeout)
	srv.ErrorLog = slogPrinter{s.log}
	s.smtp = srv
	return s, nil
}

// orDefault returns v, or def if v is zero or negative.
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Addr is the address the server listens on, with the port chosen when
// Config.Addr asked for port 0.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Serve accepts connections until Close; it returns nil after Close, or
// the error that stopped it accepting.
func (s *Server) Serve() error {
	err := s.smtp.Serve(s.listener)
	if err != nil && s.ctx.Err() != nil {
		return nil
	}
	return err
}

// Close stops accepting, closes every open connection and ends the
// context of handlers still running. Messages not yet answered are not
// accepted, so their senders' servers send them again later. Close may
// be called more than once.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		err = s.smtp.Close()
	})
	return err
}

// slogPrinter passes go-smtp's own log lines (failed connections,
// protocol errors) to the logger.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.log.Warn(strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (p slogPrinter) Println(v ...any) {
	p.log.Warn(strings.TrimSpace(fmt.Sprintln(v...)))
}

// newSession starts the SMTP session of one connection.
func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, remote: c.Conn().RemoteAddr().String()}, nil
}

// session is one connection's SMTP transaction state.
type session struct {
	srv    *Server
	remote string
	from   string // envelope sender; "" for MAIL FROM:<>
}

var (
	// errNoMailbox answers a RCPT TO the helpdesk does not receive for.
	errNoMailbox = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here"}
	// errTryLater answers a message the handler could not take in now.
	errTryLater = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary failure taking in the message; try again later"}
)

// Mail records the envelope sender.
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

// Rcpt accepts the helpdesk's own addresses (all, if none are set).
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if len(ss.srv.rcpts) > 0 && !ss.srv.rcpts[strings.ToLower(to)] {
		ss.srv.log.Info("mail refused: recipient not accepted", "remote", ss.remote, "from", ss.from, "to", to)
		return errNoMailbox
	}
	return nil
}

// Data reads the message, drops loops and refuses malformed mail, and
// hands the rest to the Handler.
func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			ss.srv.log.Info("mail refused: too large", "remote", ss.remote, "from", ss.from)
			return smtp.ErrDataTooLarge
		}
		return err
	}
	log := ss.srv.log.With("remote", ss.remote, "envelope_from", ss.from)

	if ss.from == "" {
		// Checked before parsing: a bounce refused as malformed would
		// only make another bounce.
		log.Info("mail dropped: it could start a mail loop", "reason", bounceReason)
		return nil
	}
	e, err := readHeader(raw)
	if err != nil {
		log.Info("mail refused: malformed", "reason", err.Error())
		return refuse(err)
	}
	if reason := loopReason(&e.Header); reason != "" {
		log.Info("mail dropped: it could start a mail loop", "reason", reason, "message_id", e.Header.Get("Message-Id"))
		return nil
	}
	m, err := parseMessage(raw, e, ss.from)
	if err != nil {
		log.Info("mail refused: malformed", "reason", err.Error())
		return refuse(err)
	}

	log = log.With("from", m.From, "message_id", m.MessageID)
	err = ss.srv.handle(m)
	var rej *Reject
	switch {
	case err == nil:
		log.Info("mail accepted", "number", m.Number)
		return nil
	case errors.As(err, &rej):
		log.Info("mail rejected by the helpdesk", "code", rej.Code, "reason", rej.Message)
		return rej.smtpError()
	default:
		log.Error("mail not taken in; the sender will retry", "err", err)
		return errTryLater
	}
}

// refuse answers a malformed message for good.
func refuse(err error) error {
	return &smtp.SMTPError{
		Code:         550,
		EnhancedCode: smtp.EnhancedCode{5, 6, 0},
		Message:      "malformed message: " + strings.Join(strings.Fields(err.Error()), " "),
	}
}

// handle calls the Handler with its timeout, turning a panic into an
// error so that one bad message does not end the connection.
func (s *Server) handle(m Message) (err error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("mailin: handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return s.handler(ctx, m)
}

// Reset forgets the transaction (RSET, or after each message).
func (ss *session) Reset() { ss.from = "" }

// Logout ends the session; it holds nothing to free.
func (ss *session) Logout() error { return nil }
