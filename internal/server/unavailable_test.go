package server_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"helpdesk/ent"
	"helpdesk/internal/server"
)

// TestUnreachableDatabaseAnswers503UnavailableWithRetryAfter: with its
// PostgreSQL gone (a closed port, through lib/pq), the API answers a
// request whose token it cannot check, and a mutation whose transaction
// it cannot begin, with HTTP 503, Retry-After and one UNAVAILABLE error
// saying the database is unreachable — never INTERNAL — and at once.
func TestUnreachableDatabaseAnswers503UnavailableWithRetryAfter(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	drv, err := entsql.Open("postgres", "postgres://postgres@"+addr+"/helpdesk?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	client := ent.NewClient(ent.Driver(drv))
	t.Cleanup(func() { client.Close() })
	srv := httptest.NewServer(server.New(server.Options{Client: client, AuthFailureRate: -1}))
	t.Cleanup(srv.Close)

	for _, tc := range []struct{ name, token, query string }{
		{"a query with a token", "some-token", `{ me { __typename } }`},
		{"a mutation with a token", "some-token", `mutation { addComment(input: {ticketID: "1", body: "x"}) { id } }`},
		{"a mutation without a token", "", `mutation { addComment(input: {ticketID: "1", body: "x"}) { id } }`},
	} {
		body, _ := json.Marshal(map[string]any{"query": tc.query})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		took := time.Since(start)
		var out struct {
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		_ = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		retry, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		if res.StatusCode != http.StatusServiceUnavailable || retry < 1 || retry > 10 {
			t.Errorf("%s: status %d, Retry-After %q; want 503 and a few seconds (%+v)", tc.name, res.StatusCode, res.Header.Get("Retry-After"), out)
		}
		if len(out.Errors) != 1 || out.Errors[0].Extensions["code"] != server.CodeUnavailable {
			t.Errorf("%s: errors %+v; want one %s", tc.name, out.Errors, server.CodeUnavailable)
		} else if msg := out.Errors[0].Message; !bytes.Contains([]byte(msg), []byte("database is unreachable")) {
			t.Errorf("%s: message %q; want it to say the database is unreachable", tc.name, msg)
		}
		if took > 5*time.Second {
			t.Errorf("%s: answered after %s; want at once", tc.name, took)
		}
	}
}
