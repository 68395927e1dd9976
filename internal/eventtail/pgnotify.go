package eventtail

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Channel is the PostgreSQL notification channel on which processes say
// they committed ticket changes.
const Channel = "helpdesk_changes"

const (
	// reconnectMin and reconnectMax bound the listener's backoff while
	// PostgreSQL is away; meanwhile the tails' polls still see every
	// event, only later.
	reconnectMin = 100 * time.Millisecond
	reconnectMax = 10 * time.Second
	// publishTimeout bounds one NOTIFY.
	publishTimeout = 5 * time.Second
)

// PGNotifier carries "something committed" between processes on
// PostgreSQL (LISTEN/NOTIFY), so that a commit in one process wakes the
// event tails, the outbox and the delivery loop of every other one at
// once instead of at their next poll. It carries no data: what changed
// is read from the database, under each reader's own rules.
type PGNotifier struct {
	db     *sql.DB
	l      *pq.Listener
	log    *slog.Logger
	pub    chan struct{}
	heard  chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once
}

// NewPGNotifier listens on Channel through its own connection to dsn and
// publishes through db.
func NewPGNotifier(dsn string, db *sql.DB, log *slog.Logger) (*PGNotifier, error) {
	if log == nil {
		log = slog.Default()
	}
	n := &PGNotifier{db: db, log: log, pub: make(chan struct{}, 1), heard: make(chan struct{}, 1), stop: make(chan struct{})}
	n.l = pq.NewListener(dsn, reconnectMin, reconnectMax, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			log.Warn("change notifications: the listener's connection failed; it reconnects (polls go on meanwhile)", "err", err)
		}
	})
	if err := n.l.Listen(Channel); err != nil {
		_ = n.l.Close()
		return nil, fmt.Errorf("eventtail: LISTEN %s: %w", Channel, err)
	}
	n.wg.Add(2)
	go n.hear()
	go n.publish()
	return n, nil
}

// Heard is signalled when another process (or this one) committed.
func (n *PGNotifier) Heard() <-chan struct{} { return n.heard }

// Publish tells every process that this one committed; it never blocks:
// publishes that come while one is under way are one.
func (n *PGNotifier) Publish() {
	select {
	case n.pub <- struct{}{}:
	default:
	}
}

// Close stops listening and publishing.
func (n *PGNotifier) Close() {
	n.closed.Do(func() {
		close(n.stop)
		_ = n.l.Close()
		n.wg.Wait()
	})
}

func (n *PGNotifier) hear() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case _, ok := <-n.l.NotificationChannel():
			if !ok {
				return
			}
			// A nil notification follows a reconnect: something may have
			// been missed, so it wakes the readers too.
			select {
			case n.heard <- struct{}{}:
			default:
			}
		}
	}
}

func (n *PGNotifier) publish() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case <-n.pub:
		}
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		_, err := n.db.ExecContext(ctx, "SELECT pg_notify($1, '')", Channel)
		cancel()
		if err != nil {
			n.log.Warn("change notifications: NOTIFY failed; other processes see the change at their next poll", "err", err)
		}
	}
}
