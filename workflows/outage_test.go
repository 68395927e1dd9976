package workflows_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"helpdesk/ent/outboxmessage"
	"helpdesk/ent/schema/schematype"
)

// An outage of Temporal as the dispatcher sees it: the dispatcher's
// client reaches the server through a gate, a TCP proxy that can drop
// every connection and refuse new ones, while the worker and the test's
// queries talk to the server directly. The server itself never stops, so
// what the test watches is the dispatcher alone.

// gate passes TCP connections through to a backend while open; shut, it
// closes every connection it passed and closes each new one at once, as a
// server that went away does.
type gate struct {
	ln      net.Listener
	backend string

	mu    sync.Mutex
	shut  bool
	conns map[net.Conn]struct{}
}

// newGate listens on a free loopback port in front of backend; it closes
// at t's cleanup.
func newGate(t *testing.T, backend string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("gate: %v", err)
	}
	g := &gate{ln: ln, backend: backend, conns: map[net.Conn]struct{}{}}
	go g.serve()
	t.Cleanup(func() {
		ln.Close()
		g.close(true)
	})
	return g
}

func (g *gate) addr() string { return g.ln.Addr().String() }

func (g *gate) serve() {
	for {
		in, err := g.ln.Accept()
		if err != nil {
			return // the listener closed
		}
		go g.pass(in)
	}
}

// pass joins in to a new connection to the backend, unless the gate is
// shut.
func (g *gate) pass(in net.Conn) {
	if !g.track(in) {
		in.Close()
		return
	}
	out, err := net.Dial("tcp", g.backend)
	if err != nil || !g.track(out) {
		in.Close()
		if out != nil {
			out.Close()
		}
		return
	}
	go func() { _, _ = io.Copy(out, in); out.Close() }()
	_, _ = io.Copy(in, out)
	in.Close()
}

// track remembers c so that shutting the gate closes it; false means the
// gate is shut.
func (g *gate) track(c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		return false
	}
	g.conns[c] = struct{}{}
	return true
}

// close shuts the gate (shut true) or opens it; shutting closes every
// connection it passed.
func (g *gate) close(shut bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = shut
	if shut {
		for c := range g.conns {
			c.Close()
		}
		clear(g.conns)
	}
}

// gated makes the dispatcher reach Temporal through a gate, which it
// returns open.
func (e *outboxEnv) gated(t *testing.T) *gate {
	t.Helper()
	g := newGate(t, e.addr)
	tc, err := client.Dial(client.Options{HostPort: g.addr(),
		Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatalf("temporal client through the gate: %v", err)
	}
	t.Cleanup(tc.Close)
	e.d.Temporal = tc
	return g
}

// waitReachable waits (bounded) until the dispatcher's client gets an
// answer from Temporal again: its connection redials on a backoff of its
// own after an outage.
func (e *outboxEnv) waitReachable(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
		_, err := e.d.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dispatcher's client never reached Temporal again: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ticketChanges hands out tickets' changes in the order a ticket lives
// them: created NEW, then ACCEPTED, then IN_PROGRESS, and so on.
type ticketChanges struct {
	given map[int]int
	last  map[int]schematype.Status
}

func newTicketChanges() *ticketChanges {
	return &ticketChanges{given: map[int]int{}, last: map[int]schematype.Status{}}
}

// next is the next change of each of these tickets, in this order.
func (c *ticketChanges) next(tickets ...int) []backlogMsg {
	statuses := []schematype.Status{schematype.StatusNew, schematype.StatusAccepted, schematype.StatusInProgress}
	var msgs []backlogMsg
	for _, ticket := range tickets {
		n := c.given[ticket]
		kind := "STATUS_CHANGED"
		if n == 0 {
			kind = "CREATED"
		}
		st := statuses[n%len(statuses)]
		c.given[ticket], c.last[ticket] = n+1, st
		msgs = append(msgs, backlogMsg{ticket: ticket, status: st, kind: kind})
	}
	return msgs
}

// attempts is the sum of the queued messages' recorded attempts.
func (e *outboxEnv) attempts(t *testing.T) int {
	t.Helper()
	msgs, err := e.db.Client.OutboxMessage.Query().Select(outboxmessage.FieldAttempts).All(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		n += m.Attempts
	}
	return n
}

// testTickets is the IDs of the test's tickets first to first+n-1.
func testTickets(first, n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = testTicket(first + i)
	}
	return ids
}

// addIDs appends each ticket's IDs of more to all's.
func addIDs(all, more map[int][]int) {
	for ticket, ids := range more {
		all[ticket] = append(all[ticket], ids...)
	}
}

// TestEveryChangeQueuedDuringAnOutageReachesItsWorkflowInSeqOrderOnceTemporalIsBack
// queues changes of 30 tickets (five with running workflows) while
// Temporal is unreachable, over passes that reach nothing (the second
// tries one ticket only, to find out whether Temporal is back); once
// Temporal answers again, every pass delivers until the outbox is empty
// and every workflow took all its changes in Seq order. The dispatcher's clock
// stands still, so nothing but Temporal can keep a change waiting: a
// backoff the outage left on a ticket would hold it for good.
func TestEveryChangeQueuedDuringAnOutageReachesItsWorkflowInSeqOrderOnceTemporalIsBack(t *testing.T) {
	e := newOutboxEnv(t)
	g := e.gated(t)
	frozen := time.Now()
	e.d.Now = func() time.Time { return frozen }
	changes := newTicketChanges()
	ids := map[int][]int{}

	running := testTickets(0, 5)
	addIDs(ids, e.writeBacklog(t, changes.next(running...)))
	for e.queued(t) > 0 {
		if n, err := e.d.DispatchOnce(e.ctx); err != nil || n == 0 {
			t.Fatalf("pass before the outage: %d delivered, %v; want the running tickets' changes delivered", n, err)
		}
	}

	g.close(true)
	all := testTickets(0, 30)
	var attempts []int // after each pass of the outage
	for range 2 {
		addIDs(ids, e.writeBacklog(t, changes.next(all...)))
		if n, err := e.d.DispatchOnce(e.ctx); err != nil || n != 0 {
			t.Fatalf("pass while Temporal is unreachable: %d delivered, %v; want none and no error", n, err)
		}
		attempts = append(attempts, e.attempts(t))
	}
	if q := e.queued(t); q != 2*len(all) {
		t.Fatalf("%d changes queued after the outage's passes, want all %d", q, 2*len(all))
	}
	if attempts[0] == 0 || attempts[1] != attempts[0]+1 {
		t.Fatalf("attempts recorded after the outage's passes: %v; want some in the first, then one: a pass after one that "+
			"found Temporal unreachable tries a single ticket first", attempts)
	}

	g.close(false)
	e.waitReachable(t)
	for pass := 1; ; pass++ {
		q := e.queued(t)
		if q == 0 {
			break
		}
		n, err := e.d.DispatchOnce(e.ctx)
		if err != nil {
			t.Fatalf("pass %d after the outage: %v", pass, err)
		}
		if n == 0 {
			t.Fatalf("pass %d after Temporal came back delivered nothing while %d changes are queued", pass, q)
		}
	}
	for ticket, tids := range ids {
		e.checkTookInSeqOrder(t, ticket, tids, changes.last[ticket])
	}
}
