package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/app"
	"helpdesk/internal/embeddedtemporal"
)

// tcpProxy forwards connections to a target until it is cut: then it
// drops the connections it carries and every new one, as an unreachable
// server would look to its clients, until it is mended.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve(c net.Conn) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		c.Close()
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// cut drops every connection and refuses new ones.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

// mend forwards again.
func (p *tcpProxy) mend() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// readyz is /readyz's status and body (0 and the error before the
// server listens).
func readyz(addr string) (int, string) {
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// waitReadyz waits until /readyz answers status with a body containing
// what.
func waitReadyz(t *testing.T, addr string, status int, what, why string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body := readyz(addr)
		if code == status && strings.Contains(body, what) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: /readyz still answers %d %q, want %d with %q", why, code, body, status, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReadyzIsFalseWhileTemporalOrTheDatabaseIsUnreachable runs the API
// (helpdesk api) against a Temporal server in the test, and, on
// PostgreSQL, its database, each behind a proxy the test cuts and mends:
// /readyz answers 503 naming what is unreachable while it is, and 200
// again once it is back, with nothing restarted.
func TestReadyzIsFalseWhileTemporalOrTheDatabaseIsUnreachable(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := embeddedtemporal.Start(ctx, embeddedtemporal.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	temporal := startProxy(t, srv.FrontendAddr())
	addr := freeAddr(t)
	extra := map[string]string{"TEMPORAL_ADDRESS": temporal.addr()}
	var database *tcpProxy
	if pg := apitest.PostgresDB(t); pg != "" {
		u, err := url.Parse(pg)
		if err != nil {
			t.Fatal(err)
		}
		database = startProxy(t, u.Host)
		u.Host = database.addr()
		extra["DATABASE_URL"] = u.String()
	}
	cfg := testConfig(t, t.TempDir(), addr, extra)
	log := slog.New(slog.DiscardHandler)
	deps, err := app.Open(ctx, cfg, app.RoleAPI, log)
	if err != nil {
		t.Fatal(err)
	}
	defer deps.Close()
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, cfg, app.RoleAPI, deps, log) }()
	defer func() { cancel(); <-done }()

	waitReadyz(t, addr, http.StatusOK, "ready", "at start")
	temporal.cut()
	waitReadyz(t, addr, http.StatusServiceUnavailable, "temporal", "Temporal unreachable")
	temporal.mend()
	waitReadyz(t, addr, http.StatusOK, "ready", "Temporal back")
	if database == nil {
		t.Log("the embedded SQLite database cannot be unreachable; set " + apitest.PostgresEnv + " to test PostgreSQL's part")
		return
	}
	database.cut()
	waitReadyz(t, addr, http.StatusServiceUnavailable, "database", "PostgreSQL unreachable")
	database.mend()
	waitReadyz(t, addr, http.StatusOK, "ready", "PostgreSQL back")
}
