package mailin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// testTimeout bounds every client connection of a test, so a server that
// stopped answering fails the test instead of hanging it.
const testTimeout = 10 * time.Second

// recorder is a Handler that keeps the messages it is given, and answers
// with whatever answer says (nil: accept).
type recorder struct {
	mu     sync.Mutex
	got    []Message
	answer Handler
}

func (r *recorder) handle(ctx context.Context, m Message) error {
	r.mu.Lock()
	r.got = append(r.got, m)
	answer := r.answer
	r.mu.Unlock()
	if answer != nil {
		return answer(ctx, m)
	}
	return nil
}

// setAnswer sets what the handler answers from now on.
func (r *recorder) setAnswer(answer Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = answer
}

// messages returns the messages handled so far.
func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.got...)
}

// only returns the one message handled, failing the test otherwise.
func (r *recorder) only(t *testing.T) Message {
	t.Helper()
	got := r.messages()
	if len(got) != 1 {
		t.Fatalf("handler called %d times, want once", len(got))
	}
	return got[0]
}

// testServer is a Server listening on 127.0.0.1 with its log captured.
type testServer struct {
	*Server
	rec  *recorder
	logs *syncBuffer
}

// startServer runs a Server on a free loopback port until the test ends.
func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Domain == "" {
		cfg.Domain = "helpdesk.test"
	}
	logs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	rec := &recorder{}
	srv, err := Listen(cfg, rec.handle)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve returned %v after Close, want nil", err)
			}
		case <-time.After(testTimeout):
			t.Error("Serve did not return after Close")
		}
	})
	return &testServer{Server: srv, rec: rec, logs: logs}
}

// dial opens an SMTP client connection to the server and says EHLO.
func (s *testServer) dial(t *testing.T) *smtp.Client {
	t.Helper()
	var d net.Dialer
	conn, err := d.DialContext(t.Context(), "tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.SetDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClient(conn)
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	return c
}

// send delivers one message from the envelope sender to the recipients
// over c and returns the server's answer to it (nil for 250). It fails
// the test if MAIL FROM or RCPT TO are refused.
func send(t *testing.T, c *smtp.Client, from string, to []string, raw string) error {
	t.Helper()
	if err := c.Mail(from, nil); err != nil {
		t.Fatalf("MAIL FROM:<%s>: %v", from, err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			t.Fatalf("RCPT TO:<%s>: %v", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := io.Copy(w, strings.NewReader(crlf(raw))); err != nil {
		t.Fatalf("writing the message: %v", err)
	}
	return w.Close()
}

// sendOne delivers one message on a new connection from
// ana@example.com to support@helpdesk.test.
func (s *testServer) sendOne(t *testing.T, raw string) error {
	t.Helper()
	return send(t, s.dial(t), "ana@example.com", []string{"support@helpdesk.test"}, raw)
}

// crlf writes a test message's line ends as SMTP wants them.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// code returns the SMTP reply code of err; 250 for nil, 0 for an error
// that is no SMTP reply.
func code(err error) int {
	if err == nil {
		return 250
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// wantCode fails the test unless err is the SMTP reply code want.
func wantCode(t *testing.T, err error, want int) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("server answered %d (%v), want %d", got, err, want)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
