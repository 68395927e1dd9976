package apitest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// SocketWait bounds every wait of the WebSocket client.
const SocketWait = 10 * time.Second

// Message is one graphql-transport-ws message.
type Message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// SocketOptions say how a Socket connects.
type SocketOptions struct {
	// Token goes in the connection_init payload, HeaderToken on the
	// upgrade request's Authorization header.
	Token, HeaderToken string
	// Origin, if set, is the upgrade request's Origin header.
	Origin string
	// NoInit leaves out connection_init.
	NoInit bool
}

// Socket is a graphql-transport-ws connection to an Env, as a portal
// opens it. A reader answers pings and sorts the messages by operation ID.
type Socket struct {
	conn *websocket.Conn
	ctx  context.Context
	// Init receives the messages without an ID (connection_ack).
	Init chan Message
	done chan struct{}
	// err is why the connection ended (after done).
	err error

	mu  sync.Mutex
	ops map[string]chan Message
}

// DialSocket upgrades and sends connection_init without waiting for the
// answer; the upgrade's status is returned when it was refused.
func (e *Env) DialSocket(t testing.TB, o SocketOptions) (*Socket, int, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opts := &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: http.Header{}}
	if o.HeaderToken != "" {
		opts.HTTPHeader.Set("Authorization", "Bearer "+o.HeaderToken)
	}
	if o.Origin != "" {
		opts.HTTPHeader.Set("Origin", o.Origin)
	}
	dctx, dcancel := context.WithTimeout(ctx, SocketWait)
	defer dcancel()
	conn, res, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(e.URL, "http")+"/graphql", opts)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		return nil, status, err
	}
	conn.SetReadLimit(16 << 20)
	t.Cleanup(func() { _ = conn.CloseNow() })
	s := &Socket{conn: conn, ctx: ctx, Init: make(chan Message, 16), done: make(chan struct{}), ops: map[string]chan Message{}}
	go s.read()
	if o.NoInit {
		return s, http.StatusSwitchingProtocols, nil
	}
	payload := map[string]any{}
	if o.Token != "" {
		payload["Authorization"] = "Bearer " + o.Token
	}
	if err := wsjson.Write(dctx, conn, map[string]any{"type": "connection_init", "payload": payload}); err != nil {
		return nil, 0, fmt.Errorf("apitest: connection_init: %w", err)
	}
	return s, http.StatusSwitchingProtocols, nil
}

// Socket connects with token in connection_init and waits for the ack.
func (e *Env) Socket(t testing.TB, token string) *Socket {
	t.Helper()
	return e.OpenSocket(t, SocketOptions{Token: token})
}

// OpenSocket connects as o says and waits for the ack; anything else is
// fatal.
func (e *Env) OpenSocket(t testing.TB, o SocketOptions) *Socket {
	t.Helper()
	s, status, err := e.DialSocket(t, o)
	if err != nil {
		t.Fatalf("apitest: WebSocket upgrade refused (HTTP %d): %v", status, err)
	}
	if acked, _, detail := s.Ack(SocketWait); !acked {
		t.Fatalf("apitest: connection_init not acknowledged: %s", detail)
	}
	return s
}

// Auth puts token in connection_init, or (header) on the upgrade request.
func Auth(token string, header bool) SocketOptions {
	if header {
		return SocketOptions{HeaderToken: token}
	}
	return SocketOptions{Token: token}
}

func (s *Socket) read() {
	defer close(s.done)
	for {
		var m Message
		if err := wsjson.Read(s.ctx, s.conn, &m); err != nil {
			s.err = err
			return
		}
		switch {
		case m.Type == "ping":
			_ = wsjson.Write(s.ctx, s.conn, Message{Type: "pong"})
		case m.ID == "":
			s.Init <- m
		default:
			s.op(m.ID) <- m
		}
	}
}

func (s *Socket) op(id string) chan Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.ops[id]
	if !ok {
		c = make(chan Message, 1024)
		s.ops[id] = c
	}
	return c
}

// AwaitInit waits for the answer to connection_init; false when the
// connection ended (or nothing came within SocketWait).
func (s *Socket) AwaitInit() (Message, bool) { return s.awaitInit(SocketWait) }

func (s *Socket) awaitInit(wait time.Duration) (Message, bool) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case m := <-s.Init:
		return m, true
	case <-timer.C:
		return Message{}, false
	case <-s.done:
		select { // what arrived before the end
		case m := <-s.Init:
			return m, true
		default:
			return Message{}, false
		}
	}
}

// Ack waits up to wait for the answer to connection_init: acknowledged,
// or refused (another message, or the connection closed), or neither;
// detail says what came instead of the ack.
func (s *Socket) Ack(wait time.Duration) (acked, refused bool, detail string) {
	m, ok := s.awaitInit(wait)
	switch {
	case ok && m.Type == "connection_ack":
		return true, false, ""
	case ok:
		return false, true, fmt.Sprintf("%s %s", m.Type, m.Payload)
	case s.Err() != nil:
		return false, true, fmt.Sprintf("connection closed (%v)", s.Err())
	}
	return false, false, fmt.Sprintf("no answer to connection_init within %v", wait)
}

// Done is closed when the connection has ended.
func (s *Socket) Done() <-chan struct{} { return s.done }

// Err is why the connection ended (nil while it is open).
func (s *Socket) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// CloseCode is the status the server closed the connection with, or -1.
func (s *Socket) CloseCode() websocket.StatusCode { return websocket.CloseStatus(s.Err()) }

// Close closes the connection from the client's side.
func (s *Socket) Close(code websocket.StatusCode) error { return s.conn.Close(code, "") }

// Subscribe starts operation id (a subscription, query or mutation).
func (s *Socket) Subscribe(t testing.TB, id, query string, vars map[string]any) {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	if err := wsjson.Write(s.ctx, s.conn, Message{ID: id, Type: "subscribe", Payload: payload}); err != nil {
		t.Fatalf("apitest: subscribe %s: %v", id, err)
	}
}

// Complete stops operation id.
func (s *Socket) Complete(t testing.TB, id string) {
	t.Helper()
	if err := wsjson.Write(s.ctx, s.conn, Message{ID: id, Type: "complete"}); err != nil {
		t.Fatalf("apitest: complete %s: %v", id, err)
	}
}

// Await returns the next message of operation id; false when none came
// within wait or the connection ended.
func (s *Socket) Await(id string, wait time.Duration) (Message, bool) {
	if wait <= 0 {
		select {
		case m := <-s.op(id):
			return m, true
		default:
			return Message{}, false
		}
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case m := <-s.op(id):
		return m, true
	case <-timer.C:
		return Message{}, false
	case <-s.done:
		select { // what arrived before the end
		case m := <-s.op(id):
			return m, true
		default:
			return Message{}, false
		}
	}
}

// Next waits up to wait for the next message of operation id; false when
// none came in time. The connection ending first is fatal.
func (s *Socket) Next(t testing.TB, id string, wait time.Duration) (Message, bool) {
	t.Helper()
	m, ok := s.Await(id, wait)
	if !ok && s.Err() != nil {
		t.Fatalf("apitest: operation %s: the connection closed (%v)", id, s.Err())
	}
	return m, ok
}

// Answer waits for the first answer to operation id: the errors of an
// error message or of a next payload, none for complete. The connection
// ending, or no answer within SocketWait, is fatal.
func (s *Socket) Answer(t testing.TB, id string) []Error {
	t.Helper()
	m, ok := s.Next(t, id, SocketWait)
	if !ok {
		t.Fatalf("apitest: operation %s: no answer within %v", id, SocketWait)
	}
	if m.Type == "complete" {
		return nil
	}
	r, err := m.Result()
	if err != nil {
		t.Fatalf("apitest: operation %s: %v in %s", id, err, m.Payload)
	}
	return r.Errors
}

// Refusal waits for operation id to end, which is fatal when it does not
// within SocketWait: the error codes its messages carried, and whether
// any carried data (HasData).
func (s *Socket) Refusal(t testing.TB, id string) (codes []string, data bool) {
	t.Helper()
	results, end := s.Collect(t, id)
	if end == "" {
		t.Fatalf("apitest: operation %s: not refused within %v (closed: %v)", id, SocketWait, s.Err())
	}
	for _, r := range results {
		codes = append(codes, r.Codes()...)
		data = data || HasData(r.Data)
	}
	return codes, data
}

// Decode reads a next message without errors: its data into out.
func (m Message) Decode(out any) error {
	if m.Type != "next" {
		return errors.New("apitest: a " + m.Type + " message, not next")
	}
	r, err := m.Result()
	if err != nil {
		return err
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("apitest: errors %v", r.Errors)
	}
	return json.Unmarshal(r.Data, out)
}

// Started runs marker (an action whose event every subscription may see)
// until subscription id on each of socks has delivered a message; it
// returns the first message of each.
func Started(t testing.TB, marker func(), id string, socks ...*Socket) []Message {
	t.Helper()
	got := make([]Message, len(socks))
	have := make([]bool, len(socks))
	time.Sleep(100 * time.Millisecond) // let the server run the resolvers
	for deadline := time.Now().Add(SocketWait); ; {
		marker()
		wait := time.Now().Add(800 * time.Millisecond)
		started := true
		for i, s := range socks {
			if !have[i] {
				got[i], have[i] = s.Await(id, max(time.Until(wait), time.Millisecond))
			}
			started = started && have[i]
		}
		if started {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("apitest: subscription %s did not start within %v", id, SocketWait)
		}
	}
}

// Result reads a next or error message as a Response.
func (m Message) Result() (Response, error) {
	var r Response
	switch m.Type {
	case "next":
		err := json.Unmarshal(m.Payload, &r)
		return r, err
	case "error":
		err := json.Unmarshal(m.Payload, &r.Errors)
		return r, err
	}
	return r, errors.New("apitest: a " + m.Type + " message carries no result")
}

// Run sends an operation and collects its results until the server ends
// it: every next and error message as a Response, and how it ended
// ("complete", "error", or "" if it did not end within SocketWait).
func (s *Socket) Run(t testing.TB, id, query string, vars map[string]any) (results []Response, end string) {
	t.Helper()
	s.Subscribe(t, id, query, vars)
	return s.Collect(t, id)
}

// Collect gathers the results of the started operation id as Run does.
func (s *Socket) Collect(t testing.TB, id string) (results []Response, end string) {
	t.Helper()
	for deadline := time.Now().Add(SocketWait); ; {
		m, ok := s.Await(id, time.Until(deadline))
		if !ok {
			return results, ""
		}
		if m.Type == "complete" {
			return results, m.Type
		}
		r, err := m.Result()
		if err != nil {
			t.Fatalf("apitest: operation %s: %v in %s", id, err, m.Payload)
		}
		results = append(results, r)
		if m.Type == "error" {
			return results, m.Type
		}
	}
}
