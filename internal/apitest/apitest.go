// Package apitest starts a real helpdesk for tests: the HTTP API on a
// loopback port, its database (SQLite in a temporary directory, or a fresh
// PostgreSQL database when HELPDESK_TEST_DATABASE_URL names a server), and,
// on request, the in-process Temporal server with the worker and the outbox
// dispatcher. Tests talk to it only over HTTP, as a portal would.
package apitest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"helpdesk/ent"
	"helpdesk/internal/auth"
	"helpdesk/internal/deliver"
	"helpdesk/internal/embeddedtemporal"
	"helpdesk/internal/server"
	"helpdesk/internal/store"
	"helpdesk/internal/webhook"
	"helpdesk/workflows"
)

// PostgresEnv names the PostgreSQL server the suite runs against instead
// of SQLite, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
// When it is set and the server is unreachable, tests fail: they never skip.
const PostgresEnv = "HELPDESK_TEST_DATABASE_URL"

// AdminToken is the bootstrapped ADMIN agent's token in every Env.
const AdminToken = "test-admin-token-0123456789"

// Options choose the parts an Env runs.
type Options struct {
	// Temporal starts the in-process Temporal server, the worker and the
	// outbox dispatcher.
	Temporal bool
	// TemporalIdentity, if set, is the identity of the Temporal client
	// and worker, which every event of a history names (the SDK's
	// default holds the host name and process ID).
	TemporalIdentity string
	// RateLimit per token; 0 (the default here) turns it off.
	RateLimit float64
	// Driver wraps the database driver (to count queries).
	Driver func(dialect.Driver) dialect.Driver
	// AfterMutation, if set, also runs after each mutation has committed.
	AfterMutation func()
	// Server options passed through (zero values: the server's defaults).
	CORSOrigins                                             []string
	MaxSubscriptionsPerConnection, MaxSubscriptionsPerToken int
	BodyReadTimeout, SocketInitTimeout                      time.Duration
	// AuthFailureRate and AuthFailureBurst limit failed authentications
	// per client address; a rate of 0 (the default here) turns it off, as
	// RateLimit: tests send many bad tokens from one address.
	AuthFailureRate  float64
	AuthFailureBurst int
	// WebhookAllowPrivate is HELPDESK_WEBHOOK_ALLOW_PRIVATE: webhook
	// targets on loopback and private networks are accepted.
	WebhookAllowPrivate bool
	// BeforeMigrate, if set, runs on the empty database before it is
	// migrated (to build an older schema and test the upgrade).
	BeforeMigrate func(testing.TB, *store.DB)
	// MaxResponseObjects lowers the server's bound on the objects of one
	// answer; 0 keeps server.MaxResponseObjects.
	MaxResponseObjects int
	// Clock, if set, is the server's clock: the instant of every change
	// a request makes (server.Options.Clock).
	Clock func() time.Time
	// Deliver runs the delivery loop of notifications (Env.Deliverer),
	// woken after each mutation; its e-mail goes through Mailer (nil:
	// e-mail is off), its webhooks under WebhookAllowPrivate's rule.
	Deliver bool
	Mailer  deliver.Mailer
}

// Env is a running helpdesk.
type Env struct {
	URL            string
	DB             *store.DB
	Temporal       client.Client
	Dispatcher     *workflows.Dispatcher
	TemporalServer *embeddedtemporal.Server
	TemporalDir    string
	HTTP           *http.Client
	Deliverer      *deliver.Deliverer
}

// New starts a helpdesk for t; everything stops at t's cleanup.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db := openDB(t, o)
	if o.BeforeMigrate != nil {
		o.BeforeMigrate(t, db)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("apitest: migrate: %v", err)
	}
	if err := auth.BootstrapAdmin(ctx, db.Client, AdminToken); err != nil {
		t.Fatalf("apitest: bootstrap admin: %v", err)
	}
	e := &Env{DB: db, HTTP: &http.Client{Timeout: 30 * time.Second}}
	var kick func()
	// One registry for the server's and the dispatcher's metrics, as a
	// serve process has: /metrics shows both.
	reg := prometheus.NewRegistry()
	if o.Temporal {
		e.TemporalDir = t.TempDir()
		e.StartTemporal(t, 0)
		tc, err := client.NewLazyClient(client.Options{HostPort: e.TemporalServer.FrontendAddr(), Identity: o.TemporalIdentity, Logger: quietLogger()})
		if err != nil {
			t.Fatalf("apitest: temporal client: %v", err)
		}
		t.Cleanup(tc.Close)
		e.Temporal = tc
		w := workflows.NewWorker(tc, workflows.WorkerOptions(), &workflows.Activities{DB: db.Client, Now: o.Clock})
		if err := w.Start(); err != nil {
			t.Fatalf("apitest: worker: %v", err)
		}
		t.Cleanup(w.Stop)
		e.Dispatcher = &workflows.Dispatcher{DB: db.Client, Temporal: tc, Interval: 100 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
			Lag:    workflows.NewOutboxLag(reg)}
		if db.Dialect == dialect.Postgres {
			e.Dispatcher.Tickets = workflows.PostgresTickets(db.SQL)
		}
		done := make(chan struct{})
		go func() { defer close(done); e.Dispatcher.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		kick = e.Dispatcher.Kick
	}
	if o.Deliver {
		d := &deliver.Deliverer{DB: db.Client, Mailer: o.Mailer, Now: o.Clock, Host: "helpdesk.test",
			Webhooks: webhook.NewSender(webhook.Targets{AllowPrivate: o.WebhookAllowPrivate}),
			Logger:   slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
		e.Deliverer = d
		done := make(chan struct{})
		go func() { defer close(done); d.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		then := kick
		kick = func() {
			d.Kick()
			if then != nil {
				then()
			}
		}
	}
	if o.AfterMutation != nil {
		then := kick
		kick = func() {
			o.AfterMutation()
			if then != nil {
				then()
			}
		}
	}
	failureRate := o.AuthFailureRate
	if failureRate == 0 {
		failureRate = -1 // off
	}
	srv := httptest.NewServer(server.New(server.Options{
		Client: db.Client, Registry: reg, RateLimit: o.RateLimit, AfterMutation: kick,
		CORSOrigins: o.CORSOrigins, BodyReadTimeout: o.BodyReadTimeout, SocketInitTimeout: o.SocketInitTimeout,
		AuthFailureRate: failureRate, AuthFailureBurst: o.AuthFailureBurst,
		MaxSubscriptionsPerConnection: o.MaxSubscriptionsPerConnection, MaxSubscriptionsPerToken: o.MaxSubscriptionsPerToken,
		MaxResponseObjects: o.MaxResponseObjects, Clock: o.Clock,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}))
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// StartTemporal (re)starts the in-process Temporal server on the Env's
// directory; port 0 picks a free port, a port reuses it (after a Stop).
func (e *Env) StartTemporal(t testing.TB, port int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := embeddedtemporal.Start(ctx, embeddedtemporal.Options{DataDir: e.TemporalDir, Port: port})
	if err != nil {
		t.Fatalf("apitest: temporal: %v", err)
	}
	e.TemporalServer = srv
	t.Cleanup(func() { _ = srv.Stop() })
}

func openDB(t testing.TB, o Options) *store.DB {
	t.Helper()
	ctx := context.Background()
	var (
		db  *store.DB
		err error
	)
	opts := []ent.Option{ent.WebhookTargets(webhook.Targets{AllowPrivate: o.WebhookAllowPrivate})}
	if base := os.Getenv(PostgresEnv); base != "" {
		db, err = store.Open(ctx, freshPostgresDB(t, base), "", opts...)
	} else {
		db, err = store.Open(ctx, "", t.TempDir(), opts...)
	}
	if err != nil {
		t.Fatalf("apitest: open database: %v", err)
	}
	if o.Driver != nil {
		db.Client = store.NewClient(o.Driver(entsql.OpenDB(db.Dialect, db.SQL)), opts...)
	}
	t.Cleanup(func() { _ = db.SQL.Close() })
	return db
}

// PostgresDB is, when PostgresEnv names a server, the URL of an empty
// database created for t on it (dropped at t's cleanup), for tests that
// start a helpdesk of their own (DATABASE_URL); "" when the suite runs on
// SQLite.
func PostgresDB(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		return ""
	}
	return freshPostgresDB(t, base)
}

// freshPostgresDB creates an empty database for one test on the server
// of base and drops it at cleanup.
func freshPostgresDB(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("apitest: %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "helpdesk_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("apitest: PostgreSQL at %s is required and did not answer: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("apitest: %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the error's extensions.code.
func (e Error) Code() string { c, _ := e.Extensions["code"].(string); return c }

// Response is a GraphQL response with its HTTP status.
type Response struct {
	Status int             `json:"-"`
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// HasData reports whether a response's data holds anything but nulls.
func HasData(raw json.RawMessage) bool {
	var m map[string]any
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &m) != nil {
		return false
	}
	for _, v := range m {
		if v != nil {
			return true
		}
	}
	return false
}

// Codes lists the error codes of the response.
func (r Response) Codes() []string {
	out := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		out[i] = e.Code()
	}
	return out
}

// Post sends a GraphQL operation with token ("" for none).
func (e *Env) Post(t testing.TB, token, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return e.Raw(t, http.MethodPost, "/graphql", token, "application/json", body)
}

// Raw sends any request to the API and decodes a GraphQL-shaped answer.
func (e *Env) Raw(t testing.TB, method, path, token, contentType string, body []byte) Response {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.HTTP.Do(req)
	if err != nil {
		t.Fatalf("apitest: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := Response{Status: res.StatusCode}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("apitest: %s %s answered %d with a body that is not JSON: %q", method, path, res.StatusCode, truncate(raw))
	}
	return out
}

// Do sends an operation that must succeed and decodes its data into out.
func (e *Env) Do(t testing.TB, token, query string, vars map[string]any, out any) {
	t.Helper()
	res := e.Post(t, token, query, vars)
	if len(res.Errors) > 0 {
		t.Fatalf("apitest: unexpected errors %v for %s", res.Errors, oneLine(query))
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			t.Fatalf("apitest: decoding %s: %v", truncate(res.Data), err)
		}
	}
}

// Fail sends an operation that must fail with code and change nothing.
func (e *Env) Fail(t testing.TB, code, token, query string, vars map[string]any) Response {
	t.Helper()
	res := e.Post(t, token, query, vars)
	if len(res.Errors) == 0 {
		t.Fatalf("apitest: want error %s, got data %s for %s", code, truncate(res.Data), oneLine(query))
	}
	for _, c := range res.Codes() {
		if c != code {
			t.Fatalf("apitest: want error %s, got %v for %s", code, res.Errors, oneLine(query))
		}
	}
	return res
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// quietLogger drops the Temporal client's logs in tests.
func quietLogger() tlog.Logger { return tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }
