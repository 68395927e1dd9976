//go:build unix

package main

// The database and Temporal going away under a running helpdesk: what
// clients see meanwhile, that nothing committed is lost, and that the
// processes recover by themselves.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"helpdesk/internal/apitest"
	"helpdesk/workflows"
)

const (
	// loadClients create tickets at once, each as fast as it is answered
	// (paced by loadPause so the machine keeps up).
	loadClients = 4
	loadPause   = 20 * time.Millisecond
	// pgDowntime is how long PostgreSQL stays stopped.
	pgDowntime = 4 * time.Second
	// answerBound is the longest a request may wait for its answer while
	// the database is away: an outage must answer, not hang.
	answerBound = 5 * time.Second
	// recoveryBound is how soon after PostgreSQL takes connections again
	// the API must answer successfully, and /readyz say ready.
	recoveryBound = 10 * time.Second
)

// attempt is one createTicket of the load.
type attempt struct {
	start, end time.Time
	status     int
	retryAfter string // the Retry-After header
	code       string // "" for a success, the error's code, or "transport"
	detail     string
	id, number string
}

// createTicketOnce sends one createTicket as token with a client of its
// own (no retries), and says how it was answered.
func createTicketOnce(hc *http.Client, url, token, key string) attempt {
	body, _ := json.Marshal(map[string]any{
		"query": `mutation($in: CreateTicketInput!) { createTicket(input: $in) { id number } }`,
		"variables": map[string]any{"in": map[string]any{"subject": "Load " + key, "description": "load under an outage",
			"priority": "LOW", "category": "INCIDENT", "idempotencyKey": key}},
	})
	a := attempt{start: time.Now()}
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := hc.Do(req)
	if err != nil {
		a.end, a.code, a.detail = time.Now(), "transport", err.Error()
		return a
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	a.end, a.status, a.retryAfter = time.Now(), res.StatusCode, res.Header.Get("Retry-After")
	var out struct {
		Data struct {
			CreateTicket *struct{ ID, Number string }
		}
		Errors []apitest.Error
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		a.code, a.detail = "not JSON", string(raw)
		return a
	}
	switch {
	case len(out.Errors) > 0:
		a.code, a.detail = out.Errors[0].Code(), out.Errors[0].Message
	case out.Data.CreateTicket == nil:
		a.code, a.detail = "no data", string(raw)
	default:
		a.id, a.number = out.Data.CreateTicket.ID, out.Data.CreateTicket.Number
	}
	return a
}

// runLoad creates tickets from loadClients clients until stop is closed
// and returns every attempt.
func runLoad(url, token string, stop <-chan struct{}) []attempt {
	var (
		mu  sync.Mutex
		all []attempt
		wg  sync.WaitGroup
	)
	for c := range loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 2 * answerBound}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a := createTicketOnce(hc, url, token, fmt.Sprintf("load-%d-%d", c, i))
				mu.Lock()
				all = append(all, a)
				mu.Unlock()
				time.Sleep(loadPause)
			}
		}()
	}
	wg.Wait()
	return all
}

// temporalClient connects the test to the Temporal server at addr.
func temporalClient(t *testing.T, addr string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("connecting to Temporal at %s: %v", addr, err)
	}
	t.Cleanup(c.Close)
	return c
}

// workflowState asks the workflow of ticket id for its state, retrying
// for a while (a workflow started a moment ago has no worker on it yet).
func workflowState(t *testing.T, tc client.Client, id string) (workflows.State, error) {
	n, _ := strconv.Atoi(id)
	var (
		st   workflows.State
		last error
	)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, err := tc.QueryWorkflow(ctx, workflows.TicketWorkflowID(n), "", workflows.QueryState)
		cancel()
		if err == nil {
			if err = v.Get(&st); err == nil {
				return st, nil
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return st, last
}

// tally counts the answers of a phase of the load.
type tally struct{ ok, unavailable, other int }

// pgOutage is one stop and start of PostgreSQL, and the load's answers
// from the stop until the server took connections again.
type pgOutage struct {
	mode                                string
	stopping, down, starting, up, ready time.Time
	firstOK                             time.Time // the first success sent after up
	tally
}

// storedTicket is a ticket as the database holds it.
type storedTicket struct {
	id      string
	created int // its CREATED events
}

// storedTickets reads every ticket of the database at dbURL, with its
// CREATED events.
func storedTickets(t *testing.T, dbURL string) map[string]storedTicket {
	t.Helper()
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT t.id, (SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'CREATED') FROM tickets t`)
	if err != nil {
		t.Fatalf("reading the tickets: %v", err)
	}
	defer rows.Close()
	out := map[string]storedTicket{}
	for rows.Next() {
		var s storedTicket
		if err := rows.Scan(&s.id, &s.created); err != nil {
			t.Fatal(err)
		}
		out[s.id] = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// outboxLeft counts the changes the outbox has not delivered yet.
func outboxLeft(t *testing.T, dbURL string) int {
	t.Helper()
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM outbox_messages`).Scan(&n); err != nil {
		t.Fatalf("reading the outbox: %v", err)
	}
	return n
}

// waitOutboxEmpty waits until every change has reached its workflow and
// returns when it saw the outbox empty.
func waitOutboxEmpty(t *testing.T, dbURL string, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		n := outboxLeft(t, dbURL)
		if n == 0 {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d changes still in the outbox after %s", n, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkWorkflows checks that every ticket's workflow runs and took its
// creation (through the outbox), querying a few at once.
func checkWorkflows(t *testing.T, tc client.Client, tickets map[string]storedTicket) {
	t.Helper()
	ids := make(chan storedTicket)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tk := range ids {
				st, err := workflowState(t, tc, tk.id)
				if err != nil {
					t.Errorf("ticket %s: its workflow does not answer: %v", tk.id, err)
				} else if strconv.Itoa(st.Ticket.TicketID) != tk.id || st.LastSeq < 1 {
					t.Errorf("ticket %s: its workflow holds %+v, want the ticket's creation", tk.id, st)
				}
			}
		}()
	}
	for _, tk := range tickets {
		ids <- tk
	}
	close(ids)
	wg.Wait()
}

// TestPostgresStoppedUnderLoadFailsClearlyLosesNothingAndRecovers:
// `helpdesk serve` runs on a PostgreSQL server of the test's own while
// several clients create tickets without pause; PostgreSQL is stopped
// (immediate: its backends are killed mid-transaction) for a few seconds
// and started again. Meanwhile every request is answered within
// answerBound — UNAVAILABLE with 503 and Retry-After, never INTERNAL or
// anything else; afterwards the same process answers again and /readyz
// says ready within recoveryBound, without a restart. Every ticket whose
// creation succeeded is in the database, every ticket in the database has
// its CREATED event (nothing half-committed), and each one's workflow runs
// and holds it.
func TestPostgresStoppedUnderLoadFailsClearlyLosesNothingAndRecovers(t *testing.T) {
	pg := startPostgres(t)
	logDir, addr, temporalAddr := t.TempDir(), freeAddr(t), freeAddr(t)
	env := append(daemonEnv(t.TempDir(), addr, pg.url()), "HELPDESK_TEMPORAL_LISTEN="+temporalAddr)
	d := startDaemon(t, "helpdesk", logDir, env)
	waitReady(t, d, addr)
	api := &apitest.Env{URL: "http://" + addr, HTTP: &http.Client{Timeout: 30 * time.Second}}
	token := api.Tenant(t, "outage").User.Token

	stopLoad := make(chan struct{})
	loaded := make(chan []attempt, 1)
	go func() { loaded <- runLoad(api.URL, token, stopLoad) }()
	defer func() {
		select {
		case <-stopLoad:
		default:
			close(stopLoad)
			<-loaded
		}
	}()

	var outages []pgOutage
	for _, mode := range []string{"fast", "immediate"} {
		time.Sleep(2 * time.Second) // load on a healthy database
		o := pgOutage{mode: mode, stopping: time.Now()}
		pg.stop(t, mode)
		o.down = time.Now()
		time.Sleep(pgDowntime)
		o.starting = time.Now()
		pg.start(t)
		o.up = time.Now()
		o.ready = waitReadyWithin(t, addr, recoveryBound)
		outages = append(outages, o)
	}
	time.Sleep(2 * time.Second) // load on the recovered database
	close(stopLoad)
	attempts := <-loaded
	select {
	case <-d.exited:
		t.Fatalf("helpdesk exited during an outage: %v", d.cmd.ProcessState)
	default:
	}

	var healthy tally
	var slowest time.Duration
	ok := map[string]attempt{}
	for _, a := range attempts {
		slowest = max(slowest, a.end.Sub(a.start))
		if a.end.Sub(a.start) > answerBound {
			t.Errorf("a createTicket sent at %s was answered after %s, more than %s", a.start.Format("15:04:05.000"), a.end.Sub(a.start).Round(time.Millisecond), answerBound)
		}
		phase := &healthy
		for i := range outages {
			o := &outages[i]
			if !a.end.Before(o.stopping) && !a.start.After(o.up) {
				phase = &o.tally
			}
			if a.start.After(o.up) && a.code == "" && (o.firstOK.IsZero() || a.end.Before(o.firstOK)) {
				o.firstOK = a.end
			}
			if a.start.After(o.down) && a.end.Before(o.starting) && a.code != "UNAVAILABLE" {
				t.Errorf("a createTicket while PostgreSQL was stopped (%s) was answered %d %q, want UNAVAILABLE", o.mode, a.status, a.code)
			}
		}
		switch {
		case a.code == "":
			phase.ok++
			ok[a.id] = a
		case a.code == "UNAVAILABLE" && a.status == http.StatusServiceUnavailable && a.retryAfter != "":
			phase.unavailable++
		default:
			phase.other++
			t.Errorf("a createTicket sent at %s was answered %d (Retry-After %q) %s: %s", a.start.Format("15:04:05.000"), a.status, a.retryAfter, a.code, a.detail)
		}
	}
	t.Logf("createTicket outside the outages: %d ok, %d unavailable, %d other; slowest answer of all %s", healthy.ok, healthy.unavailable, healthy.other, slowest.Round(time.Millisecond))
	if healthy.ok == 0 {
		t.Errorf("no ticket was created outside the outages")
	}
	for _, o := range outages {
		recovery := o.firstOK.Sub(o.up)
		t.Logf("stop -m %s: stopped in %s, down %s, started in %s; from the stop until it took connections: %d ok, %d unavailable, %d other; then /readyz ready after %s, the first ticket created after %s",
			o.mode, o.down.Sub(o.stopping).Round(time.Millisecond), o.starting.Sub(o.down).Round(time.Millisecond), o.up.Sub(o.starting).Round(time.Millisecond),
			o.ok, o.unavailable, o.other, o.ready.Sub(o.up).Round(time.Millisecond), recovery.Round(time.Millisecond))
		if o.unavailable == 0 {
			t.Errorf("stop -m %s: no request was answered UNAVAILABLE while PostgreSQL was stopped", o.mode)
		}
		if o.firstOK.IsZero() || recovery > recoveryBound {
			t.Errorf("stop -m %s: no createTicket succeeded within %s of PostgreSQL taking connections again", o.mode, recoveryBound)
		}
	}
	last := outages[len(outages)-1]

	// Nothing lost, nothing half-made; every ticket reaches its workflow.
	drained := waitOutboxEmpty(t, pg.url(), 60*time.Second)
	stored := storedTickets(t, pg.url())
	for id, a := range ok {
		if _, found := stored[id]; !found {
			t.Errorf("ticket %s (%s) was created (answered at %s) but is not in the database", a.number, id, a.end.Format("15:04:05.000"))
		}
	}
	for _, s := range stored {
		if s.created != 1 {
			t.Errorf("ticket %s has %d CREATED events, want 1", s.id, s.created)
		}
	}
	checkWorkflows(t, temporalClient(t, temporalAddr), stored)
	t.Logf("%d tickets answered created, %d in the database (%d committed though their answer was UNAVAILABLE); the outbox had emptied by %s after PostgreSQL was last back",
		len(ok), len(stored), len(stored)-len(ok), drained.Sub(last.up).Round(time.Millisecond))
}

// waitReadyWithin polls /readyz at addr until it answers 200 and returns
// when it did; it fails t after within.
func waitReadyWithin(t *testing.T, addr string, within time.Duration) time.Time {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for {
		if res, err := hc.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Now()
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz of %s not ready within %s", addr, within)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
