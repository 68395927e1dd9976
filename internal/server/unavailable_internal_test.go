package server

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"

	"helpdesk/ent"
	"helpdesk/ent/privacy"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
)

// closedPort is a local TCP address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentServer accepts connections and never answers, as a database host
// that hangs.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return ln.Addr().String()
}

// pqError is what lib/pq answers from the PostgreSQL at dsn.
func pqError(t *testing.T, dsn string) error {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = db.PingContext(ctx)
	if err == nil {
		t.Fatalf("PostgreSQL at %s answered", dsn)
	}
	return err
}

// terminatedConnectionError is what lib/pq answers on a connection whose
// backend an administrator terminated (as pg_ctl stop -m fast does to
// every backend), from the real PostgreSQL of the suite.
func terminatedConnectionError(t *testing.T, base string) error {
	t.Helper()
	db, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := conn.ExecContext(ctx, "SELECT 1"); err != nil {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the terminated connection still answers")
	return nil
}

// TestUnreachableDatabaseIsUnavailableAndStatementErrorsAreNot: the errors
// lib/pq and database/sql really give when PostgreSQL cannot be reached
// (a closed port, a server that never answers within connect_timeout, a
// backend terminated under a connection, through ent and wrapped) answer
// UNAVAILABLE; PostgreSQL's shutdown and start-up refusals too; errors of
// a statement, of the caller or of a bug do not.
func TestUnreachableDatabaseIsUnavailableAndStatementErrorsAreNot(t *testing.T) {
	t.Parallel()
	refused := pqError(t, "postgres://postgres@"+closedPort(t)+"/helpdesk?sslmode=disable")
	hung := pqError(t, "postgres://postgres@"+silentServer(t)+"/helpdesk?sslmode=disable&connect_timeout=1")

	drv, err := entsql.Open("postgres", "postgres://postgres@"+closedPort(t)+"/helpdesk?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	client := ent.NewClient(ent.Driver(drv))
	t.Cleanup(func() { client.Close() })
	ctx := viewer.SystemContext(context.Background())
	_, throughEnt := client.Ticket.Query().All(ctx)
	_, beginTx := client.Tx(ctx)

	unavailable := []struct {
		name string
		err  error
	}{
		{"connection refused (lib/pq, closed port)", refused},
		{"connect_timeout expired (lib/pq, server that never answers)", hung},
		{"connection refused through an ent query", throughEnt},
		{"connection refused beginning an ent transaction", beginTx},
		{"connection refused, wrapped", fmt.Errorf("graph: creating the ticket: %w", refused)},
		{"driver: bad connection", fmt.Errorf("ent: %w", driver.ErrBadConn)},
		{"sql: connection is already closed", sql.ErrConnDone},
		{"the database system is shutting down (57P03)", &pq.Error{Severity: "FATAL", Code: "57P03", Message: "the database system is shutting down"}},
		{"the database system is starting up (57P03)", &pq.Error{Severity: "FATAL", Code: "57P03", Message: "the database system is starting up"}},
		{"terminating connection due to administrator command (57P01)", &pq.Error{Severity: "FATAL", Code: "57P01"}},
		{"connection failure (08006)", &pq.Error{Severity: "FATAL", Code: "08006"}},
		{"too many connections (53300)", &pq.Error{Severity: "FATAL", Code: "53300"}},
		{"commit not confirmed", fmt.Errorf("%w: %w", errCommitUnknown, driver.ErrBadConn)},
	}
	if base := os.Getenv("HELPDESK_TEST_DATABASE_URL"); base != "" {
		unavailable = append(unavailable, struct {
			name string
			err  error
		}{"backend terminated under the connection (real PostgreSQL)", terminatedConnectionError(t, base)})
	}
	for _, tc := range unavailable {
		code, msg := classify(tc.err)
		t.Logf("%s: %T: %v", tc.name, tc.err, tc.err)
		if code != CodeUnavailable {
			t.Errorf("%s (%T %v): code %s, want %s", tc.name, tc.err, tc.err, code, CodeUnavailable)
			continue
		}
		if !strings.Contains(msg, "database") || !strings.Contains(msg, "retry") || strings.Contains(msg, "127.0.0.1") {
			t.Errorf("%s: message %q; want the database named unreachable and a retry asked for, without the address", tc.name, msg)
		}
	}
	if _, msg := classify(fmt.Errorf("%w: %w", errCommitUnknown, refused)); !strings.Contains(msg, "may or may not") {
		t.Errorf("a commit that was not confirmed says %q; want the client told it may have been saved", msg)
	}

	others := []struct {
		name, code string
		err        error
	}{
		{"unique violation", CodeInternal, &pq.Error{Code: "23505"}},
		{"syntax error", CodeInternal, &pq.Error{Code: "42601"}},
		{"query canceled (57014)", CodeInternal, &pq.Error{Code: "57014"}},
		{"the caller went away", CodeInternal, context.Canceled},
		{"a bug", CodeInternal, errors.New("graph: nil ticket")},
		{"privacy", CodeForbidden, privacy.Deny},
		{"invalid transition", CodeInvalidTransition, fmt.Errorf("%w: closed → new", ticketing.ErrInvalidTransition)},
	}
	for _, tc := range others {
		if code, _ := classify(tc.err); code != tc.code {
			t.Errorf("%s: code %s, want %s", tc.name, code, tc.code)
		}
	}
}
