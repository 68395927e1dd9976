package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/apitest"
)

func TestATrickledBodyIsCutButWebSocketsAndKeepAliveLive(t *testing.T) {
	t.Parallel()
	const limit = 300 * time.Millisecond
	e := apitest.New(t, apitest.Options{BodyReadTimeout: limit})
	addr := strings.TrimPrefix(e.URL, "http://")

	t.Run("a body trickled a byte at a time is answered 408 and the connection closed", func(t *testing.T) {
		t.Parallel()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		body := `{"query": "{ viewer { agent { id } } }"}`
		if _, err := io.WriteString(conn, "POST /graphql HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/json\r\n"+
			"Authorization: Bearer "+apitest.AdminToken+"\r\nContent-Length: 41\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		go func() {
			for i := 0; i < len(body); i++ {
				if _, err := conn.Write([]byte{body[i]}); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		_ = conn.SetReadDeadline(time.Now().Add(apitest.SocketWait))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer to a trickled body: %v", err)
		}
		raw, _ := io.ReadAll(res.Body)
		took := time.Since(start)
		if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(raw), "BAD_USER_INPUT") {
			t.Errorf("a trickled body: %d %s; want 408 with a GraphQL error", res.StatusCode, raw)
		}
		if took > 2*time.Second {
			t.Errorf("the trickle was cut after %v; want about %v", took, limit)
		}
		if !res.Close {
			t.Errorf("the connection stays open after a trickled body")
		}
	})
	t.Run("a WebSocket outlives the body deadline", func(t *testing.T) {
		t.Parallel()
		s := e.Socket(t, apitest.AdminToken)
		time.Sleep(2 * limit)
		if res, end := s.Run(t, "late", `{ viewer { agent { id } } }`, nil); len(res) != 1 || len(res[0].Errors) > 0 || end != "complete" {
			t.Errorf("a query on a socket older than the body deadline: %s, %q (closed: %v)", describe(res), end, s.Err())
		}
	})
	t.Run("a keep-alive connection serves the next request after the deadline", func(t *testing.T) {
		t.Parallel()
		e.Do(t, apitest.AdminToken, `{ viewer { agent { id } } }`, nil, nil)
		time.Sleep(2 * limit)
		e.Do(t, apitest.AdminToken, `{ viewer { agent { id } } }`, nil, nil)
	})
}
