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
	s, status, err := e.DialSocket(t, SocketOptions{Token: token})
	if err != nil {
		t.Fatalf("apitest: WebSocket upgrade refused (HTTP %d): %v", status, err)
	}
	if m, ok := s.AwaitInit(); !ok || m.Type != "connection_ack" {
		t.Fatalf("apitest: connection_init not acknowledged: %+v (closed: %v)", m, s.Err())
	}
	return s
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
func (s *Socket) AwaitInit() (Message, bool) {
	select {
	case m := <-s.Init:
		return m, true
	case <-s.done:
		return Message{}, false
	case <-time.After(SocketWait):
		return Message{}, false
	}
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
