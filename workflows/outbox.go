package workflows

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/ent"
	"helpdesk/ent/outboxmessage"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
)

const (
	// DefaultPollInterval is how often the dispatcher looks for messages it
	// was not kicked for (written by another process, or left while
	// Temporal was down): short, so a change reaches its workflow within
	// about a second even without a kick.
	DefaultPollInterval = 500 * time.Millisecond
	// batchSize bounds one pass, so a backlog drains in steps that each
	// commit.
	batchSize = 200
	// DefaultParallelism is how many tickets a pass delivers to at once
	// (each ticket's own changes still go one at a time, in order). A
	// SignalWithStart mostly waits on Temporal's persistence, so a few
	// calls in flight keep the server busy where one leaves it idle; 16
	// was the knee on the embedded server (one history shard on SQLite,
	// two cores), and it keeps a pass's load on a shared server modest.
	DefaultParallelism = 16
	// candidateWindow is how many of the oldest messages a dispatcher
	// sharing the tickets with others (Dispatcher.Tickets) looks at for
	// tickets to lock: several batches' worth, so it finds free tickets
	// past those another dispatcher is delivering, which hold the oldest.
	candidateWindow = 5 * batchSize
	// lockedPerPass bounds the tickets such a dispatcher locks for a
	// pass: a few rounds of its parallelism, so that it leaves the rest to
	// the others instead of holding tickets its pass will not reach.
	lockedPerPass = 4 * DefaultParallelism
	// maxHeldInQuery bounds the tickets in backoff a pass leaves out in its
	// query (far under SQLite's and PostgreSQL's bounds on parameters);
	// more are left out as their messages are read.
	maxHeldInQuery = 1000
	// deliverTimeout bounds one SignalWithStart, so an unreachable Temporal
	// delays the pass, not the process.
	deliverTimeout = 5 * time.Second
	// maxBackoff caps the wait before retrying a message Temporal refused
	// (its ticket's change, not Temporal as a whole: see DispatchOnce):
	// short, so a refusal that was Temporal's passing trouble holds its
	// ticket for seconds at most.
	maxBackoff = 2 * time.Second
	// PGLockKey is the first key of the PostgreSQL advisory locks by
	// which the dispatchers of a cluster share out the tickets (the
	// second is the ticket's ID within its type, unique below 2^31
	// tickets): one dispatcher at a time delivers a ticket's changes, so
	// they go out in order, while the cluster delivers many tickets at
	// once.
	PGLockKey = 0x68656c70 // "help"
)

// Dispatcher delivers outbox messages to ticket workflows with
// SignalWithStart, in order per ticket and in parallel across tickets,
// deleting each once Temporal took it. A message Temporal could not take
// stays, holding back its own ticket's later messages: a change Temporal
// refused is retried with a backoff of its ticket's own, and while
// Temporal as a whole is unreachable every pass tries again, so a change
// committed while Temporal was down reaches its workflow, in Seq order,
// as soon as Temporal answers again.
type Dispatcher struct {
	DB       *ent.Client
	Temporal client.Client
	// Tickets, when several dispatchers share one database, gives each
	// pass the tickets no other dispatcher is delivering (see
	// PostgresTickets); nil delivers every ticket (one dispatcher).
	Tickets TicketLocker
	// Lag, when set, observes the seconds from each change's write to
	// its workflow taking it (helpdesk_outbox_lag_seconds).
	Lag    prometheus.Observer
	Logger *slog.Logger
	// Interval between passes; 0 means DefaultPollInterval. A pass that
	// delivered something is followed at once by the next, so a backlog
	// drains without waiting for it.
	Interval time.Duration
	// Parallelism is how many tickets a pass delivers to at once; 0 means
	// DefaultParallelism.
	Parallelism int
	// Now is the clock backoffs are set and compared on; nil means the
	// wall clock.
	Now func() time.Time

	kick chan struct{}
	once sync.Once
	mu   sync.Mutex // one pass at a time in this process
	// unreachable says the last pass ended because Temporal was
	// unreachable (guarded by mu).
	unreachable bool
}

func (d *Dispatcher) init() {
	d.once.Do(func() {
		d.kick = make(chan struct{}, 1)
		if d.Logger == nil {
			d.Logger = slog.New(slog.DiscardHandler)
		}
		if d.Interval == 0 {
			d.Interval = DefaultPollInterval
		}
	})
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) parallelism() int {
	if d.Parallelism > 0 {
		return d.Parallelism
	}
	return DefaultParallelism
}

// Kick asks for a pass now (after a commit that wrote messages).
func (d *Dispatcher) Kick() {
	d.init()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done.
func (d *Dispatcher) Run(ctx context.Context) {
	d.init()
	t := time.NewTicker(d.Interval)
	defer t.Stop()
	for {
		n, err := d.DispatchOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.Logger.Warn("outbox: pass failed; retrying", "err", err)
		}
		if n > 0 && ctx.Err() == nil {
			continue // more may be queued
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.kick:
		}
	}
}

// DispatchOnce makes one pass and returns how many messages were delivered.
// It holds no transaction while it talks to Temporal, so a slow or absent
// Temporal never blocks the database's writers.
//
// The pass reads the oldest messages of the tickets not waiting out a
// backoff, groups them by ticket and delivers the tickets in parallel
// (Parallelism at a time), each ticket's messages one after the other in
// Seq order. A ticket whose message Temporal refuses keeps it and the rest
// of its messages for a later pass, with a backoff of its own, while the
// other tickets go on. An error that says Temporal itself is unreachable
// ends the pass for every ticket instead, as each would only wait out its
// own deliverTimeout, and sets no backoff: the outage was no ticket's
// doing, so when Temporal answers again no ticket waits out a backoff of
// the outage's.
// The pass after one that found Temporal unreachable tries one ticket
// before the others, so an outage costs a call per pass, not
// Parallelism.
//
// With Tickets set, the pass delivers only the tickets it could lock, and
// releases them after deleting what it delivered: dispatchers in several
// processes work on different tickets at once, and each ticket's changes
// still reach its workflow one at a time, in order.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	d.init()
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx = viewer.SystemContext(ctx)
	var only []int
	if d.Tickets != nil {
		// Take up to lockedPerPass of the tickets no other dispatcher
		// holds, then read their messages: the candidates' read is older
		// than the locks, and a ticket held until a moment ago may have
		// had messages delivered since.
		ids, err := d.candidates(ctx, d.now())
		if err != nil || len(ids) == 0 {
			return 0, err
		}
		defer func() {
			if err := d.Tickets.Unlock(context.WithoutCancel(ctx)); err != nil {
				d.Logger.Warn("outbox: releasing tickets failed (they are released when the connection closes)", "err", err)
			}
		}()
		if only, err = d.Tickets.Lock(ctx, ids, lockedPerPass); err != nil || len(only) == 0 {
			return 0, err
		}
	}
	tickets, err := d.batch(ctx, d.now(), only)
	if err != nil || len(tickets) == 0 {
		return 0, err
	}

	var (
		mu      sync.Mutex
		done    []int // delivered: Temporal took them
		failErr error // the first failure to record one
		stop    atomic.Bool
	)
	deliver := func(msgs []*ent.OutboxMessage) {
		unreachable, err := d.deliverTicket(ctx, msgs, func(id int) {
			mu.Lock()
			done = append(done, id)
			mu.Unlock()
		})
		if unreachable {
			stop.Store(true)
		}
		if err != nil {
			mu.Lock()
			failErr = cmp.Or(failErr, err)
			mu.Unlock()
		}
	}
	if d.unreachable {
		// The last pass found Temporal unreachable: one ticket finds out
		// whether it is back before the others are tried.
		deliver(tickets[0])
		tickets = tickets[1:]
	}
	if !stop.Load() && len(tickets) > 0 {
		work := make(chan []*ent.OutboxMessage)
		var wg sync.WaitGroup
		for range min(d.parallelism(), len(tickets)) {
			wg.Go(func() {
				for msgs := range work {
					if !stop.Load() { // else Temporal is unreachable: the rest waits for the next pass
						deliver(msgs)
					}
				}
			})
		}
		for _, msgs := range tickets {
			work <- msgs
		}
		close(work)
		wg.Wait()
	}
	d.unreachable = stop.Load()

	if len(done) > 0 {
		if _, err := d.DB.OutboxMessage.Delete().Where(outboxmessage.IDIn(done...)).Exec(ctx); err != nil {
			d.Logger.Warn("outbox: delivered messages not deleted; they will be delivered again (harmless)", "err", err)
		}
	}
	return len(done), failErr
}

// batch returns the oldest messages (at most batchSize) of the tickets not
// waiting out a backoff — of only the tickets only, when given — grouped
// by ticket in Seq order, the tickets in the order of their oldest
// message. A ticket in backoff is left out of the query, so its messages
// never fill a pass however many it has queued.
func (d *Dispatcher) batch(ctx context.Context, now time.Time, only []int) ([][]*ent.OutboxMessage, error) {
	return d.read(ctx, now, only, batchSize, false)
}

// candidates are the tickets of the oldest candidateWindow messages not
// waiting out a backoff, in the order of their oldest: what a dispatcher
// sharing the tickets tries to lock. The window reaches past the tickets
// other dispatchers are delivering, which hold the oldest messages.
func (d *Dispatcher) candidates(ctx context.Context, now time.Time) ([]int, error) {
	tickets, err := d.read(ctx, now, nil, candidateWindow, true)
	ids := make([]int, len(tickets))
	for i, msgs := range tickets {
		ids[i] = msgs[0].TicketID
	}
	return ids, err
}

// read is batch and candidates: the oldest limit messages, of only's
// tickets when given, without their payloads when light.
func (d *Dispatcher) read(ctx context.Context, now time.Time, only []int, limit int, light bool) ([][]*ent.OutboxMessage, error) {
	// Only messages that failed have a next attempt: few, and compared
	// here rather than in SQL, where a stored time's text may carry
	// another offset than now's.
	tried, err := d.DB.OutboxMessage.Query().Where(outboxmessage.NextAttemptAtNotNil()).
		Select(outboxmessage.FieldTicketID, outboxmessage.FieldNextAttemptAt).All(ctx)
	if err != nil {
		return nil, err
	}
	var held []int
	for _, m := range tried {
		if m.NextAttemptAt.After(now) && len(held) < maxHeldInQuery {
			held = append(held, m.TicketID)
		}
	}
	q := d.DB.OutboxMessage.Query()
	if only != nil {
		q = q.Where(outboxmessage.TicketIDIn(only...))
	}
	if len(held) > 0 {
		q = q.Where(outboxmessage.TicketIDNotIn(held...))
	}
	q = q.Order(outboxmessage.ByID()).Limit(limit)
	var msgs []*ent.OutboxMessage
	if light {
		msgs, err = q.Select(outboxmessage.FieldID, outboxmessage.FieldTicketID, outboxmessage.FieldNextAttemptAt).All(ctx)
	} else {
		msgs, err = q.All(ctx)
	}
	if err != nil {
		return nil, err
	}
	var tickets [][]*ent.OutboxMessage
	index := map[int]int{}    // ticket → position in tickets
	blocked := map[int]bool{} // tickets in backoff past maxHeldInQuery
	for _, m := range msgs {
		if blocked[m.TicketID] {
			continue
		}
		if m.NextAttemptAt != nil && m.NextAttemptAt.After(now) {
			blocked[m.TicketID] = true
			continue
		}
		i, ok := index[m.TicketID]
		if !ok {
			i = len(tickets)
			index[m.TicketID] = i
			tickets = append(tickets, nil)
		}
		tickets[i] = append(tickets[i], m)
	}
	return tickets, nil
}

// deliverTicket delivers one ticket's messages in order, calling took for
// each Temporal took, and stops at the first it did not: that one gets its
// attempt recorded and, with the ones behind it, waits for a later pass.
// unreachable says the failure is Temporal's as a whole, not the
// ticket's: then the message gets no backoff of its own, as the ticket
// did nothing to earn one, and the next pass tries it again; a refusal of
// the ticket's change gets a backoff (see maxBackoff). err is a failure
// to record the attempt.
func (d *Dispatcher) deliverTicket(ctx context.Context, msgs []*ent.OutboxMessage,
	took func(id int)) (unreachable bool, err error) {
	for i, m := range msgs {
		derr := d.deliver(ctx, m)
		if derr == nil {
			if d.Lag != nil {
				d.Lag.Observe(d.now().Sub(m.CreatedAt).Seconds())
			}
			took(m.ID)
			continue
		}
		upd := d.DB.OutboxMessage.UpdateOneID(m.ID).AddAttempts(1).SetLastError(derr.Error())
		log := []any{"ticket", ticketing.Number(m.TicketID), "workflowID", TicketWorkflowID(m.TicketID),
			"attempt", m.Attempts + 1, "held", len(msgs) - 1 - i, "err", derr}
		if temporalUnreachable(derr) {
			d.Logger.Warn("outbox: Temporal unreachable; the pass ends and the next tries again", log...)
			return true, upd.ClearNextAttemptAt().Exec(ctx)
		}
		backoff := min(time.Duration(1<<min(m.Attempts, 10))*100*time.Millisecond, maxBackoff)
		d.Logger.Warn("outbox: Temporal refused the change; will retry", append(log, "retryIn", backoff)...)
		return false, upd.SetNextAttemptAt(d.now().Add(backoff)).Exec(ctx)
	}
	return false, nil
}

// temporalUnreachable says whether a delivery's error is Temporal's as a
// whole (down, overloaded, too slow, or the pass canceled) rather than a
// refusal of this one ticket's change.
func temporalUnreachable(err error) bool {
	var (
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
		exhausted   *serviceerror.ResourceExhausted
		canceled    *serviceerror.Canceled
	)
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.As(err, &exhausted) || errors.As(err, &canceled)
}

// deliver signals the message to its ticket's workflow, starting the
// workflow if it is not running (a new ticket, or a closed one reopened
// after its workflow ended).
func (d *Dispatcher) deliver(ctx context.Context, m *ent.OutboxMessage) error {
	var ch TicketChange
	if err := json.Unmarshal(m.Payload, &ch); err != nil {
		return fmt.Errorf("workflows: outbox message %d: %w", m.ID, err)
	}
	ch.Seq = m.ID
	ctx, cancel := context.WithTimeout(ctx, deliverTimeout)
	defer cancel()
	_, err := d.Temporal.SignalWithStartWorkflow(ctx, TicketWorkflowID(ch.TicketID), SignalChange, ch,
		client.StartWorkflowOptions{
			ID:                    TicketWorkflowID(ch.TicketID),
			TaskQueue:             TaskQueue,
			WorkflowTaskTimeout:   WorkflowTaskTimeout,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		},
		TicketWorkflow, Input{TicketID: ch.TicketID, Number: ch.Number})
	return err
}

// NewOutboxLag is the histogram of outbox lag, registered in reg: seconds
// from a change's write to its workflow taking it. The buckets resolve the
// aim (well within a second) finely and still place a backlog.
func NewOutboxLag(reg prometheus.Registerer) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "helpdesk_outbox_lag_seconds",
		Help:    "Seconds from a ticket change's write to its workflow taking it (SignalWithStart answered).",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 5, 10, 30, 60},
	})
	reg.MustRegister(h)
	return h
}

// TicketLocker shares out the tickets among the dispatchers of a cluster.
type TicketLocker interface {
	// Lock takes up to max of tickets that no other dispatcher holds,
	// trying them in order, and returns them.
	Lock(ctx context.Context, tickets []int, max int) ([]int, error)
	// Unlock releases every ticket this dispatcher holds.
	Unlock(ctx context.Context) error
}

// PostgresTickets is the TicketLocker of dispatchers sharing a PostgreSQL
// database: session advisory locks (PGLockKey, ticket), taken and released
// for a whole pass in one statement each on a connection of the
// dispatcher's own. If that connection breaks, its locks go with it and
// the next pass opens another.
func PostgresTickets(db *sql.DB) *PGTickets { return &PGTickets{db: db} }

// PGTickets is a TicketLocker on PostgreSQL advisory locks.
type PGTickets struct {
	db   *sql.DB
	mu   sync.Mutex
	conn *sql.Conn
}

// Lock implements TicketLocker.
func (p *PGTickets) Lock(ctx context.Context, tickets []int, max int) ([]int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		c, err := p.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		p.conn = c
	}
	ids := make([]int64, len(tickets))
	for i, t := range tickets {
		ids[i] = int64(t)
	}
	// The scan of the array stops at max rows taken; should PostgreSQL
	// ever evaluate the lock of a row past it, that lock is only held
	// idle until the pass's Unlock.
	rows, err := p.conn.QueryContext(ctx,
		"SELECT t FROM unnest($1::bigint[]) AS t WHERE pg_try_advisory_lock($2::int, (t & 2147483647)::int) LIMIT $3", pq.Array(ids), PGLockKey, max)
	if err != nil {
		p.drop()
		return nil, err
	}
	defer rows.Close()
	var mine []int
	for rows.Next() {
		var t int
		if err := rows.Scan(&t); err != nil {
			p.drop()
			return nil, err
		}
		mine = append(mine, t)
	}
	if err := rows.Err(); err != nil {
		p.drop()
		return nil, err
	}
	return mine, nil
}

// Unlock implements TicketLocker.
func (p *PGTickets) Unlock(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	if _, err := p.conn.ExecContext(ctx, "SELECT pg_advisory_unlock_all()"); err != nil {
		p.drop()
		return err
	}
	return nil
}

// drop closes the connection after a failure (its locks end with it).
func (p *PGTickets) drop() {
	_ = p.conn.Close()
	p.conn = nil
}

// Close releases the connection and every lock on it.
func (p *PGTickets) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn = nil
	return err
}
