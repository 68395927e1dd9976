package workflows_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"helpdesk/ent"
	"helpdesk/ent/outboxmessage"
	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/apitest"
	"helpdesk/internal/embeddedtemporal"
	"helpdesk/internal/store"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
	"helpdesk/workflows"
)

// The outbox's delivery on the real parts: the product's database (SQLite,
// or PostgreSQL with HELPDESK_TEST_DATABASE_URL), the in-process Temporal
// server and the ticket worker. Backlogs are written straight into the
// outbox while no dispatcher runs, as they are left by a kill -9 during a
// create burst; the dispatcher is started afterwards.

// outboxEnv is a database, a Temporal server with the worker, and a
// dispatcher that is not running yet.
type outboxEnv struct {
	db   *store.DB
	tc   client.Client
	addr string // the Temporal frontend's
	d    *workflows.Dispatcher
	ctx  context.Context
}

// newOutboxEnv starts the parts for t; all stop at t's cleanup.
func newOutboxEnv(t testing.TB) *outboxEnv {
	t.Helper()
	db := apitest.New(t, apitest.Options{}).DB // the database only; no dispatcher runs on it
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	logger := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := embeddedtemporal.Start(ctx, embeddedtemporal.Options{DataDir: t.TempDir(), Logger: logger})
	if err != nil {
		t.Fatalf("embedded temporal: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	tc, err := client.Dial(client.Options{HostPort: srv.FrontendAddr(),
		Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("temporal client: %v", err)
	}
	t.Cleanup(tc.Close)
	w := workflows.NewWorker(tc, workflows.WorkerOptions(), &workflows.Activities{DB: db.Client})
	if err := w.Start(); err != nil {
		t.Fatalf("worker: %v", err)
	}
	t.Cleanup(w.Stop)
	d := &workflows.Dispatcher{DB: db.Client, Temporal: tc, Interval: 100 * time.Millisecond, Logger: logger}
	if db.Dialect == dialect.Postgres {
		d.Tickets = workflows.PostgresTickets(db.SQL)
	}
	return &outboxEnv{db: db, tc: tc, addr: srv.FrontendAddr(), d: d, ctx: viewer.SystemContext(ctx)}
}

// run starts the dispatcher; it stops at t's cleanup, before the rest.
func (e *outboxEnv) run(t *testing.T) {
	t.Cleanup(e.start())
}

// start starts the dispatcher and returns what stops it.
func (e *outboxEnv) start() (stop func()) {
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.d.Run(ctx) }()
	return func() { cancel(); <-done }
}

// testTicket is the ID of the i-th ticket of a test (i from 0).
func testTicket(i int) int {
	id, _ := ticketing.IDFromNumber("HD-100000")
	return id + 1 + i
}

// backlogMsg is one change to write into the outbox: ticket and status.
type backlogMsg struct {
	ticket int
	status schematype.Status
	kind   string // "" means CREATED for the first of a ticket, else STATUS_CHANGED
}

// writeBacklog writes msgs into the outbox in this order (their IDs, the
// Seq the workflows see, rise in it) and returns each ticket's IDs.
func (e *outboxEnv) writeBacklog(t testing.TB, msgs []backlogMsg) map[int][]int {
	t.Helper()
	seen := map[int]bool{}
	ids := map[int][]int{}
	// chunk keeps a bulk insert well under SQLite's bound on variables.
	const chunk = 100
	for start := 0; start < len(msgs); start += chunk {
		var creates []*ent.OutboxMessageCreate
		for _, m := range msgs[start:min(start+chunk, len(msgs))] {
			kind := m.kind
			if kind == "" {
				kind = "STATUS_CHANGED"
				if !seen[m.ticket] {
					kind = "CREATED"
				}
			}
			seen[m.ticket] = true
			payload, err := json.Marshal(workflows.TicketChange{TicketID: m.ticket, Number: ticketing.Number(m.ticket),
				Kind: kind, At: time.Now(), Status: m.status, Priority: schematype.PriorityHigh, ReopenWindowSeconds: 3600})
			if err != nil {
				t.Fatal(err)
			}
			creates = append(creates, e.db.Client.OutboxMessage.Create().SetTicketID(m.ticket).SetPayload(payload))
		}
		rows, err := e.db.Client.OutboxMessage.CreateBulk(creates...).Save(e.ctx)
		if err != nil {
			t.Fatalf("write backlog: %v", err)
		}
		for _, r := range rows {
			ids[r.TicketID] = append(ids[r.TicketID], r.ID)
		}
	}
	return ids
}

// roundRobin is perTicket changes of each of tickets tickets, written as a
// create burst writes them: every ticket's first change, then every
// ticket's second, and so on.
func roundRobin(tickets, perTicket, firstTicket int) []backlogMsg {
	statuses := []schematype.Status{schematype.StatusNew, schematype.StatusAccepted, schematype.StatusInProgress}
	var msgs []backlogMsg
	for c := range perTicket {
		for i := range tickets {
			st := statuses[min(c, len(statuses)-1)]
			if c > 2 && c%2 == 1 {
				st = schematype.StatusAccepted
			}
			msgs = append(msgs, backlogMsg{ticket: testTicket(firstTicket + i), status: st})
		}
	}
	return msgs
}

// queued is how many messages of these tickets are still in the outbox
// (all when none are given).
func (e *outboxEnv) queued(t testing.TB, tickets ...int) int {
	t.Helper()
	q := e.db.Client.OutboxMessage.Query()
	if len(tickets) > 0 {
		q = q.Where(outboxmessage.TicketIDIn(tickets...))
	}
	n, err := q.Count(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitDrained waits (bounded) until none of these tickets' messages is
// queued and returns when that was seen.
func (e *outboxEnv) waitDrained(t testing.TB, within time.Duration, tickets ...int) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		n := e.queued(t, tickets...)
		if n == 0 {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still queued after %s", n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// state asks a ticket's workflow for its state.
func (e *outboxEnv) state(t *testing.T, ticket int) (workflows.State, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	var st workflows.State
	v, err := e.tc.QueryWorkflow(ctx, workflows.TicketWorkflowID(ticket), "", workflows.QueryState)
	if err == nil {
		err = v.Get(&st)
	}
	return st, err
}

// checkTookInSeqOrder checks that the ticket's workflow took every one of
// its changes (ids, rising): the workflow ignores a change whose Seq is
// not above the last it took, so a change delivered out of order would
// show as a change not counted.
func (e *outboxEnv) checkTookInSeqOrder(t *testing.T, ticket int, ids []int, status schematype.Status) {
	t.Helper()
	st, err := e.state(t, ticket)
	if err != nil {
		t.Fatalf("state of ticket %s: %v", ticketing.Number(ticket), err)
	}
	if st.Changes != len(ids) || st.LastSeq != ids[len(ids)-1] || st.Ticket.Status != status {
		t.Fatalf("workflow of ticket %s took %d changes, last Seq %d, status %s; want all %d in Seq order, last Seq %d, status %s",
			ticketing.Number(ticket), st.Changes, st.LastSeq, st.Ticket.Status, len(ids), ids[len(ids)-1], status)
	}
}

// drainTickets, drainPerTicket: the backlog of the drain test and
// benchmark, a create burst of 200 tickets with five changes each.
const (
	drainTickets   = 200
	drainPerTicket = 5
)

// TestBacklogDrainsWithEveryTicketsChangesInSeqOrder drains a backlog of
// 1,000 changes over 200 tickets, written while no dispatcher ran: every
// workflow took all its changes in Seq order. (BenchmarkOutboxDrain
// measures how fast.)
func TestBacklogDrainsWithEveryTicketsChangesInSeqOrder(t *testing.T) {
	e := newOutboxEnv(t)
	msgs := roundRobin(drainTickets, drainPerTicket, 0)
	ids := e.writeBacklog(t, msgs)
	lastStatus := map[int]schematype.Status{}
	for _, m := range msgs {
		lastStatus[m.ticket] = m.status
	}

	e.d.Interval = 0 // the product's poll interval
	e.run(t)
	e.waitDrained(t, 3*time.Minute)
	for ticket, tids := range ids {
		e.checkTookInSeqOrder(t, ticket, tids, lastStatus[ticket])
	}
}

// TestDispatchersOfSeveralProcessesShareTheTicketsEachInOrder: two
// dispatchers on one PostgreSQL database, each with its own locks as two
// worker processes have, drain one backlog together: both deliver (the
// cluster has no single deliverer), and every workflow still took all its
// changes in Seq order (a change delivered out of order would not count).
func TestDispatchersOfSeveralProcessesShareTheTicketsEachInOrder(t *testing.T) {
	e := newOutboxEnv(t)
	if e.db.Dialect != dialect.Postgres {
		t.Skip("dispatchers of several processes share only a PostgreSQL database; the suite's PostgreSQL run covers this (HELPDESK_TEST_DATABASE_URL)")
	}
	msgs := roundRobin(drainTickets, drainPerTicket, 0)
	ids := e.writeBacklog(t, msgs)
	lastStatus := map[int]schematype.Status{}
	for _, m := range msgs {
		lastStatus[m.ticket] = m.status
	}
	other := &workflows.Dispatcher{DB: e.db.Client, Temporal: e.tc, Tickets: workflows.PostgresTickets(e.db.SQL), Logger: e.d.Logger}
	lags := map[*workflows.Dispatcher]prometheus.Histogram{}
	for _, d := range []*workflows.Dispatcher{e.d, other} {
		d.Interval = 0 // the product's poll interval
		lags[d] = workflows.NewOutboxLag(prometheus.NewRegistry())
		d.Lag = lags[d]
	}
	stopOther := func() func() {
		ctx, cancel := context.WithCancel(e.ctx)
		done := make(chan struct{})
		go func() { defer close(done); other.Run(ctx) }()
		return func() { cancel(); <-done }
	}()
	t.Cleanup(stopOther)
	e.run(t)
	e.waitDrained(t, 3*time.Minute)
	for ticket, tids := range ids {
		e.checkTookInSeqOrder(t, ticket, tids, lastStatus[ticket])
	}
	delivered := func(d *workflows.Dispatcher) uint64 {
		var m dto.Metric
		if err := lags[d].Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetHistogram().GetSampleCount()
	}
	one, two := delivered(e.d), delivered(other)
	t.Logf("the dispatchers delivered %d and %d of %d changes", one, two, len(msgs))
	if one == 0 || two == 0 || one+two < uint64(len(msgs)) {
		t.Errorf("the dispatchers delivered %d and %d changes of %d; want both a share, all delivered", one, two, len(msgs))
	}
}

// BenchmarkOutboxDrain measures how fast the dispatcher, at the product's
// poll interval and parallelism, drains the backlog of a create burst
// written while no dispatcher ran (1,000 changes over 200 tickets; each
// iteration on tickets of its own): it reports changes/s, from the
// dispatcher's start to an empty outbox.
func BenchmarkOutboxDrain(b *testing.B) {
	e := newOutboxEnv(b)
	e.d.Interval = 0 // the product's poll interval
	var (
		changes int
		took    time.Duration
	)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		msgs := roundRobin(drainTickets, drainPerTicket, i*drainTickets)
		e.writeBacklog(b, msgs)
		b.StartTimer()
		start := time.Now()
		stop := e.start()
		took += e.waitDrained(b, 3*time.Minute).Sub(start)
		b.StopTimer()
		stop()
		changes += len(msgs)
	}
	b.ReportMetric(float64(changes)/took.Seconds(), "changes/s")
}

// oversizeKind makes a change larger than the largest payload Temporal
// takes (the server's blob size limit, 2 MiB by default) while staying
// under gRPC's message bound (4 MiB): Temporal refuses its SignalWithStart.
var oversizeKind = strings.Repeat("X", 2<<20+1<<19)

// TestTicketTemporalRefusesHoldsOnlyItsOwnChanges makes one pass over a
// batch whose first message Temporal refuses (too large): that ticket's
// changes all stay queued, its later ones not even tried, while every
// other ticket's changes are delivered in the same pass, in order.
func TestTicketTemporalRefusesHoldsOnlyItsOwnChanges(t *testing.T) {
	e := newOutboxEnv(t)
	bad := testTicket(0)
	msgs := []backlogMsg{{ticket: bad, status: schematype.StatusNew, kind: oversizeKind}}
	others := roundRobin(20, 3, 1)
	for i, m := range others {
		msgs = append(msgs, m)
		if i == 10 || i == 40 {
			msgs = append(msgs, backlogMsg{ticket: bad, status: schematype.StatusAccepted})
		}
	}
	ids := e.writeBacklog(t, msgs)

	n, err := e.d.DispatchOnce(e.ctx)
	if err != nil {
		t.Fatalf("pass: %v", err)
	}
	if n != len(others) {
		t.Fatalf("one pass delivered %d messages, want the other tickets' %d", n, len(others))
	}
	var otherTickets []int
	for ticket, tids := range ids {
		if ticket != bad {
			otherTickets = append(otherTickets, ticket)
			e.checkTookInSeqOrder(t, ticket, tids, schematype.StatusInProgress)
		}
	}
	if q := e.queued(t, otherTickets...); q != 0 {
		t.Fatalf("%d delivered messages of the other tickets still queued", q)
	}
	kept, err := e.db.Client.OutboxMessage.Query().Where(outboxmessage.TicketID(bad)).
		Order(outboxmessage.ByID()).All(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 3 {
		t.Fatalf("refused ticket has %d messages queued, want its 3", len(kept))
	}
	if kept[0].Attempts != 1 || kept[0].NextAttemptAt == nil || kept[0].LastError == "" {
		t.Fatalf("refused message: attempts %d, next attempt %v, error %q; want one attempt recorded with a backoff",
			kept[0].Attempts, kept[0].NextAttemptAt, kept[0].LastError)
	}
	for _, m := range kept[1:] {
		if m.Attempts != 0 {
			t.Fatalf("message %d behind the refused one was tried (%d attempts); want it held", m.ID, m.Attempts)
		}
	}
	if _, err := e.state(t, bad); err == nil {
		t.Fatal("the refused ticket's workflow runs; want it never started")
	} else if _, ok := err.(*serviceerror.NotFound); !ok {
		t.Logf("query of the refused ticket's workflow: %v", err)
	}
}

// TestTicketInBackoffDoesNotStarveOtherTickets queues more changes of a
// refused ticket than one pass reads (200), ahead of other tickets'
// changes: the others are still delivered while the refused ticket waits
// out its backoff.
func TestTicketInBackoffDoesNotStarveOtherTickets(t *testing.T) {
	e := newOutboxEnv(t)
	bad := testTicket(0)
	msgs := []backlogMsg{{ticket: bad, status: schematype.StatusNew, kind: oversizeKind}}
	for range 249 {
		msgs = append(msgs, backlogMsg{ticket: bad, status: schematype.StatusAccepted})
	}
	others := roundRobin(30, 2, 1)
	msgs = append(msgs, others...)
	ids := e.writeBacklog(t, msgs)
	var otherTickets []int
	for ticket := range ids {
		if ticket != bad {
			otherTickets = append(otherTickets, ticket)
		}
	}

	e.run(t)
	e.waitDrained(t, time.Minute, otherTickets...)
	for _, ticket := range otherTickets {
		e.checkTookInSeqOrder(t, ticket, ids[ticket], schematype.StatusAccepted)
	}
	if q := e.queued(t, bad); q != 250 {
		t.Fatalf("refused ticket has %d messages queued, want all 250", q)
	}
}

// testLog writes log lines to the test's log.
type testLog struct{ t testing.TB }

var testLogMu sync.Mutex

func (w testLog) Write(p []byte) (int, error) {
	testLogMu.Lock()
	defer testLogMu.Unlock()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
