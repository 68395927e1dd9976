package workflows

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

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
	// deliverTimeout bounds one SignalWithStart, so an unreachable Temporal
	// delays the pass, not the process.
	deliverTimeout = 5 * time.Second
	// maxBackoff caps the wait before retrying a message Temporal refused:
	// short, so changes flow within seconds of Temporal coming back.
	maxBackoff = 2 * time.Second
	// PGLockKey is the PostgreSQL advisory lock that lets one dispatcher
	// of the cluster at a time deliver, so a ticket's changes go out in
	// order.
	PGLockKey = 0x68656c70 // "help"
)

// Dispatcher delivers outbox messages to ticket workflows with
// SignalWithStart, in order per ticket, deleting each once Temporal took
// it. A message Temporal could not take stays and is retried with backoff,
// so a change committed while Temporal was down reaches its workflow once
// Temporal is back.
type Dispatcher struct {
	DB       *ent.Client
	Temporal client.Client
	// Lock, if set, makes this process the only deliverer of the cluster
	// for a pass (see PostgresLock); ok=false skips the pass.
	Lock   func(ctx context.Context) (unlock func(), ok bool, err error)
	Logger *slog.Logger
	// Interval between passes; 0 means DefaultPollInterval.
	Interval time.Duration

	kick chan struct{}
	once sync.Once
	mu   sync.Mutex // one pass at a time in this process
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
		if _, err := d.DispatchOnce(ctx); err != nil && ctx.Err() == nil {
			d.Logger.Warn("outbox: pass failed; retrying", "err", err)
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
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	d.init()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Lock != nil {
		unlock, ok, err := d.Lock(ctx)
		if err != nil || !ok {
			return 0, err // !ok: another process is delivering
		}
		defer unlock()
	}
	ctx = viewer.SystemContext(ctx)
	msgs, err := d.DB.OutboxMessage.Query().Order(outboxmessage.ByID()).Limit(batchSize).All(ctx)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	now := time.Now()
	blocked := map[int]bool{} // tickets with an undelivered earlier message
	var done []int
	defer func() {
		if len(done) > 0 {
			if _, err := d.DB.OutboxMessage.Delete().Where(outboxmessage.IDIn(done...)).Exec(ctx); err != nil {
				d.Logger.Warn("outbox: delivered messages not deleted; they will be delivered again (harmless)", "err", err)
			}
		}
	}()
	for _, m := range msgs {
		if blocked[m.TicketID] {
			continue
		}
		if m.NextAttemptAt != nil && m.NextAttemptAt.After(now) {
			blocked[m.TicketID] = true
			continue
		}
		err := d.deliver(ctx, m)
		if err == nil {
			done = append(done, m.ID)
			continue
		}
		backoff := min(time.Duration(1<<min(m.Attempts, 10))*100*time.Millisecond, maxBackoff)
		d.Logger.Warn("outbox: workflow not reached; will retry", "ticket", ticketing.Number(m.TicketID),
			"workflowID", TicketWorkflowID(m.TicketID), "attempt", m.Attempts+1, "retryIn", backoff, "err", err)
		if uerr := d.DB.OutboxMessage.UpdateOneID(m.ID).AddAttempts(1).SetLastError(err.Error()).
			SetNextAttemptAt(now.Add(backoff)).Exec(ctx); uerr != nil {
			return len(done), uerr
		}
		// Temporal is most likely unreachable: the rest waits for the next pass.
		return len(done), nil
	}
	return len(done), nil
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

// PostgresLock returns a Dispatcher.Lock that takes a session advisory lock
// on one connection of db, so one dispatcher of the cluster delivers at a
// time.
func PostgresLock(db *sql.DB) func(ctx context.Context) (func(), bool, error) {
	return func(ctx context.Context) (func(), bool, error) {
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, false, err
		}
		var ok bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", PGLockKey).Scan(&ok); err != nil || !ok {
			conn.Close()
			return nil, false, err
		}
		return func() {
			_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", PGLockKey)
			conn.Close()
		}, true, nil
	}
}
