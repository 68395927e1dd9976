package server_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"helpdesk/internal/apitest"
)

// subscribers opens n subscriptions to ticket's events as token, per
// sockets of perSocket each, and waits until every one carries the
// marker's event; it returns the sockets and each socket's IDs.
func subscribers(tb testing.TB, e *apitest.Env, token, ticket string, n, perSocket int, marker func()) ([]*apitest.Socket, [][]string) {
	tb.Helper()
	return subscribersOf(tb, e, token, ticket, n, perSocket, marker, allEvents)
}

// portalEvents is what a portal's ticket page follows.
const portalEvents = `subscription($t: ID) { ticketEvents(ticketID: $t) { id kind createdAt data } }`

func subscribersOf(tb testing.TB, e *apitest.Env, token, ticket string, n, perSocket int, marker func(), query string) ([]*apitest.Socket, [][]string) {
	tb.Helper()
	var socks []*apitest.Socket
	var ids [][]string
	for len(socks)*perSocket < n {
		s := e.Socket(tb, token)
		var mine []string
		for k := 0; k < perSocket && len(socks)*perSocket+k < n; k++ {
			id := fmt.Sprintf("s%d-%d", len(socks), k)
			s.Subscribe(tb, id, query, map[string]any{"t": ticket})
			mine = append(mine, id)
		}
		socks, ids = append(socks, s), append(ids, mine)
	}
	time.Sleep(200 * time.Millisecond) // the server runs subscribe messages asynchronously
	marker()
	for i, s := range socks {
		for _, id := range ids[i] {
			if _, ok := s.Await(id, apitest.SocketWait); !ok {
				tb.Fatalf("subscription %s never started", id)
			}
		}
	}
	return socks, ids
}

// idleQueries counts the SELECTs of window with nothing happening.
func idleQueries(c *queryCounter, window time.Duration) int64 {
	c.queries.Store(0)
	c.on.Store(true)
	time.Sleep(window)
	c.on.Store(false)
	return c.queries.Load()
}

// TestIdleSubscriptionsCostTheTailsQueriesWhateverTheirNumber: a process
// follows new events once for all its subscriptions (internal/eventtail),
// so an idle process runs the same few queries a poll with one
// subscription or eighty, and one new event reaches every one of them,
// once.
func TestIdleSubscriptionsCostTheTailsQueriesWhateverTheirNumber(t *testing.T) {
	c := queryCounter{match: "SELECT"}
	e := apitest.New(t, apitest.Options{Driver: c.driver, MaxSubscriptionsPerConnection: 100, MaxSubscriptionsPerToken: 1000})
	tn := e.Tenant(t, "fanout")
	tk := e.CreateTicket(t, tn.User.Token, nil)
	mark := func() { comment(t, e, tn.User.Token, tk.ID) }
	subscribers(t, e, tn.User.Token, tk.ID, 1, 1, mark)
	const window = 900 * time.Millisecond
	one := idleQueries(&c, window)
	socks, ids := subscribers(t, e, tn.User.Token, tk.ID, 80, 40, mark)
	many := idleQueries(&c, window)
	t.Logf("idle queries in %v: %d with 1 subscription, %d with 81", window, one, many)
	// The tail's poll is 4 indexed queries every 300 ms; a poll more or
	// less falls in a window.
	if limit := int64(4 * (window/(300*time.Millisecond) + 1)); one > limit || many > limit {
		t.Errorf("idle queries %d and %d in %v; want at most %d, the tail's alone", one, many, window, limit)
	}
	mark()
	for i, s := range socks {
		for _, id := range ids[i] {
			m, ok := s.Await(id, apitest.SocketWait)
			if !ok || event(t, m).Ticket.ID != tk.ID {
				t.Fatalf("subscription %s: %v %+v", id, ok, m)
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // a poll later, nothing more
	for i, s := range socks {
		for _, id := range ids[i] {
			if extra, again := s.Await(id, time.Millisecond); again {
				t.Fatalf("subscription %s carried one event twice or another: %+v", id, extra)
			}
		}
	}
}

// BenchmarkThousandIdleSubscriptions: 1,000 subscriptions (20 sockets of
// 50) to one ticket; it reports the idle process's queries and CPU a
// second, and per iteration how long one new event takes to reach all
// of them (fanout-ms, the slowest).
func BenchmarkThousandIdleSubscriptions(b *testing.B) {
	c := queryCounter{match: "SELECT"}
	e := apitest.New(b, apitest.Options{Driver: c.driver, MaxSubscriptionsPerConnection: 100, MaxSubscriptionsPerToken: 2000})
	tn := e.Tenant(b, "thousand")
	tk := e.CreateTicket(b, tn.User.Token, nil)
	mark := func() { e.Comment(b, tn.User.Token, tk.ID, apitest.Unique("mark"), false) }
	socks, ids := subscribersOf(b, e, tn.User.Token, tk.ID, 1000, 50, mark, portalEvents)
	const window = 3 * time.Second
	cpu0 := cpuTime()
	q := idleQueries(&c, window)
	cpu := cpuTime() - cpu0
	b.ResetTimer()
	var worst time.Duration
	for range b.N {
		start := time.Now()
		mark()
		for i, s := range socks {
			for _, id := range ids[i] {
				if _, ok := s.Await(id, apitest.SocketWait); !ok {
					b.Fatalf("subscription %s got no event", id)
				}
			}
		}
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "fanout-ms")
	b.ReportMetric(float64(q)/window.Seconds(), "idle-queries/s")
	b.ReportMetric(float64(cpu.Milliseconds())/window.Seconds(), "idle-cpu-ms/s")
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
