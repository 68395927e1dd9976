package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/coder/websocket"

	"helpdesk/internal/apitest"
	"helpdesk/internal/server"
)

func TestEachSocketOperationIsRateLimitedLikeHTTP(t *testing.T) {
	t.Parallel()
	// 1 request a second, burst 2: the third operation in a row is over.
	e := apitest.New(t, apitest.Options{RateLimit: 1})
	s := e.Socket(t, apitest.AdminToken)
	var codes [][]string
	for _, id := range []string{"1", "2", "3"} {
		res, end := s.Run(t, id, `{ viewer { agent { id } } }`, nil)
		if len(res) != 1 || end != "complete" {
			t.Fatalf("operation %s: %s, ended %q", id, describe(res), end)
		}
		codes = append(codes, res[0].Codes())
	}
	if len(codes[0])+len(codes[1]) != 0 || !slices.Equal(codes[2], []string{"RATE_LIMITED"}) {
		t.Fatalf("three operations at once on a socket: codes %v; want the third RATE_LIMITED", codes)
	}
	if r := e.Post(t, apitest.AdminToken, `{ viewer { agent { id } } }`, nil); r.Status != http.StatusTooManyRequests {
		t.Errorf("HTTP with the same token right after: %d; want 429 (one bucket per token)", r.Status)
	}
}

// queryCounter counts, while on, the SQL queries that mention match.
type queryCounter struct {
	match   string
	on      atomic.Bool
	queries atomic.Int64
}

func (c *queryCounter) driver(d dialect.Driver) dialect.Driver {
	return dialect.DebugWithContext(d, func(_ context.Context, args ...any) {
		if s, ok := args[0].(string); ok && c.on.Load() && strings.Contains(s, c.match) {
			c.queries.Add(1)
		}
	})
}

const neverIssued = "hd_thisTokenWasNeverIssued0000000000000000000"

func TestFailedAuthenticationsAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	t.Run("the default forgives a portal's occasional expired token", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, apitest.Options{AuthFailureRate: server.DefaultAuthFailureRate, AuthFailureBurst: server.DefaultAuthFailureBurst})
		for i := 0; i < 10; i++ {
			if r := e.Post(t, neverIssued, `{ viewer { agent { id } } }`, nil); r.Status != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d, want 401", i+1, r.Status)
			}
		}
		e.Do(t, apitest.AdminToken, `{ viewer { agent { id } } }`, nil, nil)
	})

	// A slow bucket (3 failures, then one per 100 s) keeps the test
	// independent of its speed.
	opts := func(c *queryCounter) apitest.Options {
		return apitest.Options{AuthFailureRate: 0.01, AuthFailureBurst: 3, Driver: c.driver}
	}
	t.Run("over the limit a token is answered 429 without a lookup, on HTTP and WebSocket", func(t *testing.T) {
		t.Parallel()
		c := queryCounter{match: "api_tokens"}
		e := apitest.New(t, opts(&c))
		for i := 0; i < 3; i++ {
			if r := e.Post(t, neverIssued, `{ viewer { agent { id } } }`, nil); r.Status != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d, want 401", i+1, r.Status)
			}
		}
		c.on.Store(true)
		for _, token := range []string{neverIssued, apitest.AdminToken} {
			r := e.Post(t, token, `{ viewer { agent { id } } }`, nil)
			if r.Status != http.StatusTooManyRequests || !slices.Equal(r.Codes(), []string{"RATE_LIMITED"}) {
				t.Errorf("a token over the limit: %d %v; want 429 RATE_LIMITED", r.Status, r.Codes())
			}
		}
		if _, status, err := e.DialSocket(t, apitest.SocketOptions{HeaderToken: neverIssued}); err == nil || status != http.StatusTooManyRequests {
			t.Errorf("a WebSocket upgrade with a bad token over the limit: HTTP %d (%v); want 429", status, err)
		}
		s, _, err := e.DialSocket(t, apitest.SocketOptions{Token: neverIssued})
		if err != nil {
			t.Fatal(err)
		}
		if _, acked := s.AwaitInit(); acked || s.CloseCode() != 4429 {
			t.Errorf("connection_init with a bad token over the limit: closed with %v; want 4429", s.CloseCode())
		}
		c.on.Store(false)
		if n := c.queries.Load(); n != 0 {
			t.Errorf("%d token lookups over the limit; want none", n)
		}
	})
	t.Run("failures in connection_init count", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, opts(&queryCounter{}))
		for i := 0; i < 3; i++ {
			s, _, err := e.DialSocket(t, apitest.SocketOptions{Token: neverIssued})
			if err != nil {
				t.Fatal(err)
			}
			if _, acked := s.AwaitInit(); acked || s.CloseCode() != 4403 {
				t.Fatalf("connection_init with a bad token: closed with %v; want 4403", s.CloseCode())
			}
		}
		if r := e.Post(t, neverIssued, `{ viewer { agent { id } } }`, nil); r.Status != http.StatusTooManyRequests {
			t.Errorf("HTTP after three failed connection_inits: %d; want 429", r.Status)
		}
	})
}

func TestSubscriptionsAreCappedPerConnectionAndPerToken(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{MaxSubscriptionsPerConnection: 2, MaxSubscriptionsPerToken: 3})
	tn := e.Tenant(t, "ws-caps")
	tk := e.CreateTicket(t, tn.User.Token, nil)
	sub := func(s *apitest.Socket, id string) {
		t.Helper()
		s.Subscribe(t, id, allEvents, map[string]any{"t": tk.ID})
		started(t, e, s, id, tn.User.Token, tk.ID)
	}
	refused := func(s *apitest.Socket, id, why string) {
		t.Helper()
		s.Subscribe(t, id, allEvents, map[string]any{"t": tk.ID})
		m, ok := s.Await(id, apitest.SocketWait)
		r, _ := m.Result()
		if !ok || !slices.Equal(r.Codes(), []string{"RATE_LIMITED"}) || !strings.Contains(r.Errors[0].Message, why) {
			t.Fatalf("subscription %s over the cap %s: %s %s; want RATE_LIMITED", id, why, m.Type, m.Payload)
		}
		if m, ok := s.Await(id, apitest.SocketWait); !ok || m.Type != "complete" {
			t.Fatalf("subscription %s over the cap: then %s %s; want complete", id, m.Type, m.Payload)
		}
	}
	s1 := e.Socket(t, tn.User.Token)
	sub(s1, "a")
	sub(s1, "b")
	refused(s1, "c", "per connection")
	s2 := e.Socket(t, tn.User.Token)
	sub(s2, "d")
	refused(s2, "e", "per token")

	s1.Complete(t, "a")
	if m, ok := s1.Await("a", apitest.SocketWait); !ok || m.Type != "complete" {
		for ok && m.Type == "next" {
			m, ok = s1.Await("a", apitest.SocketWait)
		}
		if !ok || m.Type != "complete" {
			t.Fatalf("completing a: %s %s", m.Type, m.Payload)
		}
	}
	sub(s2, "f") // the place a gave back

	s3 := e.Socket(t, tn.User.Token)
	refused(s3, "g", "per token")
	_ = s1.Close(websocket.StatusNormalClosure)
	// Closing a connection gives its subscriptions back (soon: the server
	// notices the close asynchronously).
	for i, deadline := 0, time.Now().Add(apitest.SocketWait); ; i++ {
		id := fmt.Sprintf("h%d", i)
		s3.Subscribe(t, id, allEvents, map[string]any{"t": tk.ID})
		comment(t, e, tn.User.Token, tk.ID)
		m, ok := s3.Await(id, time.Second)
		if ok && m.Type == "next" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed connection's subscriptions were not given back: %s %s", m.Type, m.Payload)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, id := range []string{"c", "e", "g"} {
		for _, s := range []*apitest.Socket{s2, s3} {
			if m, ok := s.Await(id, 0); ok {
				t.Errorf("refused subscription %s carried %s %s", id, m.Type, m.Payload)
			}
		}
	}
}
