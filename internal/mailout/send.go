package mailout

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"time"

	"github.com/wneessen/go-mail"
)

// Timeouts of one Send.
const (
	// DialTimeout bounds connecting to the server, including the TLS
	// handshake of smtps. A server that has not answered a TCP connect
	// in 10 s is down or filtered; waiting longer only holds up the
	// delivery loop, which will try again.
	DialTimeout = 10 * time.Second
	// SendTimeout bounds a whole Send, from dialling to the server's
	// reply to the message. One notification of a few kilobytes takes a
	// well-behaved server well under a second; 30 s leaves room for a
	// slow or busy one (greylisting delays, content scanning) without
	// letting a stalled server hang the delivery loop.
	SendTimeout = 30 * time.Second
)

// Message is one notification e-mail to send.
type Message struct {
	// From overrides the Sender's from address for this message.
	From string
	// To is the recipient's address, e.g. "Ana <ana@example.com>".
	To string
	Rendered
	// MessageID identifies this notification, stable across retries
	// (e.g. "<notification-42@helpdesk.example>"); with or without the
	// angle brackets. Required: a receiver that sees the same ID twice
	// can drop the duplicate a retry after a lost reply produces.
	MessageID string
	// InReplyTo and References thread a ticket's messages, e.g. the
	// ticket's root ID "<ticket-7@helpdesk.example>"; with or without
	// angle brackets.
	InReplyTo  string
	References []string
	// AutoSubmitted marks a message no person wrote (RFC 3834
	// "Auto-Submitted: auto-generated"), so well-behaved responders do
	// not answer it automatically.
	AutoSubmitted bool
}

// Sender sends notifications through one SMTP server. It is safe for
// concurrent use; every Send opens its own connection.
type Sender struct {
	server serverConfig
	from   *netmail.Address
}

// New returns a Sender for the server at rawURL:
//
//	smtp://host[:port]    SMTP, upgraded with STARTTLS when the server offers it (port 25 by default)
//	smtps://host[:port]   SMTP over implicit TLS (port 465 by default)
//
// The URL may carry user:password@ for SMTP AUTH (the strongest mechanism
// the server offers; PLAIN and LOGIN only over TLS, so the password never
// crosses the network in clear) and ?insecure=true to skip verifying the
// server's certificate, for mail catchers with self-signed ones.
// from is the default sender address; "" is DefaultFrom.
func New(rawURL, from string) (*Sender, error) {
	server, err := parseServerURL(rawURL)
	if err != nil {
		return nil, err
	}
	addr, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	return &Sender{server: server, from: addr}, nil
}

// ErrInvalidMessage is wrapped by Send's errors for a message that no
// server could accept: a bad address, a missing Message-ID or subject.
// IsPermanent reports them permanent.
var ErrInvalidMessage = errors.New("mailout: invalid message")

// Send delivers m. It gives up after SendTimeout or when ctx ends,
// whichever is first. Use IsPermanent to decide whether to retry a
// failure.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()

	client, err := s.client(ctx)
	if err != nil {
		return s.fail(ctx, m, err)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		// The server took the message; a failure of the RSET or QUIT
		// after it must not make the caller send it twice.
		return nil
	}
	if err != nil {
		return s.fail(ctx, m, err)
	}
	return nil
}

// build turns m into a go-mail message.
func (s *Sender) build(m Message) (*mail.Msg, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
	}
	msg := mail.NewMsg()
	from := s.from.String()
	if m.From != "" {
		a, err := netmail.ParseAddress(m.From)
		if err != nil {
			return nil, invalid("From %q: %v; give an address such as \"support@example.com\", or leave it empty for the sender's default", m.From, err)
		}
		from = a.String()
	}
	if err := msg.From(from); err != nil {
		return nil, invalid("From %q: %v", from, err)
	}
	if strings.TrimSpace(m.To) == "" {
		return nil, invalid("To is empty; give the recipient's address")
	}
	if err := msg.To(m.To); err != nil {
		return nil, invalid("To %q: %v; give one address such as \"ana@example.com\"", m.To, err)
	}
	if strings.TrimSpace(m.Subject) == "" {
		return nil, invalid("the subject is empty; render the message with Templates.Render")
	}
	if m.Text == "" && m.HTML == "" {
		return nil, invalid("the message has neither a text nor an HTML part; render it with Templates.Render")
	}
	id, err := messageID(m.MessageID)
	if err != nil {
		return nil, invalid("MessageID: %v", err)
	}
	msg.Subject(strings.Join(strings.Fields(m.Subject), " "))
	msg.SetMessageIDWithValue(strings.Trim(id, "<>"))
	msg.SetDate()
	if m.InReplyTo != "" {
		irt, err := messageID(m.InReplyTo)
		if err != nil {
			return nil, invalid("InReplyTo: %v", err)
		}
		msg.SetGenHeader(mail.HeaderInReplyTo, irt)
	}
	if len(m.References) > 0 {
		refs := make([]string, 0, len(m.References))
		for _, r := range m.References {
			ref, err := messageID(r)
			if err != nil {
				return nil, invalid("References: %v", err)
			}
			refs = append(refs, ref)
		}
		msg.SetGenHeader(mail.HeaderReferences, strings.Join(refs, " "))
	}
	if m.AutoSubmitted {
		msg.SetGenHeader(autoSubmitted, "auto-generated")
	}
	msg.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(mail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(mail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// autoSubmitted is RFC 3834's header, which go-mail has no name for.
const autoSubmitted mail.Header = "Auto-Submitted"

// messageID checks a message ID (RFC 5322 msg-id: left@right, no spaces)
// and returns it in angle brackets.
func messageID(id string) (string, error) {
	bare := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	if bare == "" {
		return "", errors.New(`empty; give a stable ID such as "<notification-42@helpdesk.example>"`)
	}
	left, right, ok := strings.Cut(bare, "@")
	if !ok || left == "" || right == "" || strings.ContainsAny(bare, "<>()[]\\,;:\" ") || strings.Count(bare, "@") != 1 {
		return "", fmt.Errorf(`%q is not of the form <left@right>, e.g. "<notification-42@helpdesk.example>"`, id)
	}
	for _, r := range bare {
		if r <= ' ' || r > '~' {
			return "", fmt.Errorf("%q holds a space, a control or a non-ASCII character", id)
		}
	}
	return "<" + bare + ">", nil
}

// client returns a go-mail client for one Send bound to ctx: the
// connection it dials is closed when ctx ends, so no read or write
// outlives SendTimeout or the caller's cancellation.
func (s *Sender) client(ctx context.Context) (*mail.Client, error) {
	cfg := s.server
	tlsConfig := &tls.Config{ServerName: cfg.host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.insecure} //nolint:gosec // only when the URL asks for it
	opts := []mail.Option{
		mail.WithPort(cfg.port),
		// go-mail applies this to the dial and to each command; the
		// whole Send is bounded by ctx.
		mail.WithTimeout(SendTimeout),
		mail.WithTLSConfig(tlsConfig),
		// Opportunistic on smtp://. On smtps:// the connection is TLS
		// from the start, so no STARTTLS is offered, and go-mail sees
		// the TLS connection and treats it as encrypted.
		mail.WithTLSPolicy(mail.TLSOpportunistic),
		mail.WithDialContextFunc(func(dctx context.Context, network, addr string) (net.Conn, error) {
			return dial(ctx, dctx, network, addr, cfg.implicitTLS, tlsConfig)
		}),
	}
	if cfg.auth {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(cfg.user), mail.WithPassword(cfg.pass))
	}
	return mail.NewClient(cfg.host, opts...)
}

// dial connects within DialTimeout (and the TLS handshake too, for
// implicit TLS) and arranges for the connection to close when sendCtx
// ends.
func dial(sendCtx, dialCtx context.Context, network, addr string, implicitTLS bool, cfg *tls.Config) (net.Conn, error) {
	dialCtx, cancel := context.WithTimeout(dialCtx, DialTimeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(dialCtx, network, addr)
	if err != nil {
		return nil, err
	}
	var once sync.Once
	closeRaw := func() { once.Do(func() { _ = raw.Close() }) }
	context.AfterFunc(sendCtx, closeRaw)
	if !implicitTLS {
		return raw, nil
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(dialCtx); err != nil {
		closeRaw()
		return nil, err
	}
	return conn, nil
}

// fail describes a failed Send: where it went, what the server or network
// said, and what to do about it. The password never appears in it.
func (s *Sender) fail(ctx context.Context, m Message, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = errors.Join(ctxErr, err)
	}
	e := &SendError{err: err, permanent: smtpCode(err)/100 == 5}
	e.text = fmt.Sprintf("mailout: sending %s to %s via %s: %v; %s", m.MessageID, m.To, s.server.addr(), err, s.hint(ctx, err, e.permanent))
	e.text = scrub(e.text, s.server.pass)
	return e
}

// hint says what to do next about err.
func (s *Sender) hint(ctx context.Context, err error, permanent bool) string {
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	var opErr *net.OpError
	switch {
	case permanent:
		return "the server refused it for good; check the recipient address and the message, retrying will not help"
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority), errors.As(err, &hostnameErr):
		return "the server's certificate did not verify; fix the certificate, or add ?insecure=true to the URL for a local mail catcher"
	case errors.Is(err, mail.ErrNoSupportedAuthDiscovered), s.server.auth && strings.Contains(err.Error(), "does not support SMTP AUTH"):
		return "the server offers no login mechanism usable on this connection (PLAIN and LOGIN need TLS); use smtps://, a server that offers STARTTLS, or drop user:password from the URL"
	case ctx.Err() != nil:
		return fmt.Sprintf("it did not finish within %s or was cancelled; the server may be slow or unreachable, try again later", SendTimeout)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "could not connect; check that the mail server runs at this address, then try again"
	default:
		return "a temporary failure; try again later"
	}
}

// SendError is the error of a failed Send.
type SendError struct {
	err       error
	permanent bool
	text      string
}

// Error describes the failure and what to do about it.
func (e *SendError) Error() string { return e.text }

// Unwrap returns the underlying go-mail or network error.
func (e *SendError) Unwrap() error { return e.err }

// IsPermanent reports whether err is a failure that retrying cannot fix:
// the server refused the sender, the recipient or the message with a 5xx
// reply (e.g. "550 unknown recipient"), or the message itself is invalid
// (ErrInvalidMessage). Connection failures, timeouts, 4xx replies and
// failures before the message (TLS, login, which an operator fixes in the
// configuration) are temporary, and so is nil.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrInvalidMessage) {
		return true
	}
	var e *SendError
	if errors.As(err, &e) {
		return e.permanent
	}
	return smtpCode(err)/100 == 5
}

// smtpCode is the reply code of the server's refusal of the message
// (MAIL FROM, RCPT TO or DATA), or 0.
func smtpCode(err error) int {
	var se *mail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}
