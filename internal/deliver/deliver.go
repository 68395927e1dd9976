// Package deliver sends the notifications the data model planned
// (internal/notify, Notification rows written PENDING in the transaction
// of their event): e-mail through a Mailer, webhooks through a
// webhook.Sender, each attempt recorded on its row, after the commit and
// never inside an API transaction.
//
// A Deliverer claims a due notification by bumping its attempts and
// moving its next attempt a lease ahead, in one conditional update, so
// that one process sends it at a time; it then sends it and records the
// outcome: SENT with its time, FAILED with the error when retrying cannot
// help or the attempts are used up, else PENDING again after a backoff. A
// process that dies mid-send leaves the claim to expire: the next attempt
// carries the same Message-ID or webhook-id, so the receiver sees one
// message, not two.
package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/ent"
	"helpdesk/ent/notification"
	"helpdesk/internal/notify"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
	"helpdesk/internal/webhook"
	"helpdesk/workflows"
)

const (
	// lease is how long a claimed notification is left to its sender
	// before another may try it: longer than an attempt can take (the
	// SMTP client's and webhook sender's own timeouts are 30 s and 10 s).
	lease = time.Minute
	// MaxAttempts is how often a notification is tried before it is given
	// up: with backoff doubling from firstBackoff to maxBackoff that is
	// some ten hours of trying.
	MaxAttempts = 15
	// firstBackoff and maxBackoff bound the pause between attempts.
	firstBackoff = 2 * time.Second
	maxBackoff   = time.Hour
	// pollEvery is how often the loop looks for due notifications when
	// nobody kicks it: retries fall due without a commit.
	pollEvery = time.Second
	// batch is how many due notifications one pass claims at most.
	batch = 200
	// maxPasses bounds the passes running at once (see Run).
	maxPasses = 4
	// defaultWorkers is how many sends of one pass run at once: a send
	// mostly waits on its SMTP server or webhook receiver (a connection,
	// a few round trips), so more of them than cores keep a burst of
	// auto-replies flowing.
	defaultWorkers = 32
)

// ErrMailOff is the error of an e-mail notification while no SMTP server
// is configured: it is recorded, and marked as not sent.
var ErrMailOff = errors.New("not sent: e-mail is off; set HELPDESK_SMTP_URL (e.g. smtp://127.0.0.1:1025) to send")

// Mail is one e-mail to send; the Mailer renders it from the payload in
// the recipient's language.
type Mail struct {
	// MessageID is stable per notification, so a retry is the same
	// message; ThreadID is the ticket's, for In-Reply-To and References.
	MessageID, ThreadID string
	Kind                notify.Kind
	To                  string
	Payload             notify.Payload
}

// Mailer sends one e-mail. Permanent reports whether an error of Send is
// one retrying cannot fix (an unknown recipient, say).
type Mailer interface {
	Send(ctx context.Context, m Mail) error
	Permanent(err error) bool
}

// Deliverer is the delivery loop.
type Deliverer struct {
	DB *ent.Client
	// Mailer sends e-mail; nil means e-mail is off (ErrMailOff).
	Mailer Mailer
	// Webhooks sends webhook deliveries.
	Webhooks *webhook.Sender
	// Host names Message-IDs ("<notification-7@Host>").
	Host string
	// Now is the clock; nil is the wall clock.
	Now     func() time.Time
	Workers int
	Logger  *slog.Logger
	// Delivered, when set, counts the recorded attempts by kind, channel
	// and status (see NewDeliveredCounter).
	Delivered *prometheus.CounterVec

	once sync.Once
	kick chan struct{}
}

func (d *Deliverer) init() {
	d.once.Do(func() {
		d.kick = make(chan struct{}, 1)
		if d.Logger == nil {
			d.Logger = slog.Default()
		}
		if d.Workers <= 0 {
			d.Workers = defaultWorkers
		}
		if d.Host == "" {
			d.Host = "helpdesk.localhost"
		}
	})
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Kick wakes the loop: a commit planned notifications.
func (d *Deliverer) Kick() {
	d.init()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends. A pass waits for its slowest send (a
// receiver that hangs until its timeout), so passes overlap — up to
// maxPasses at once, each on notifications it claimed — and one slow
// receiver holds back nothing else.
func (d *Deliverer) Run(ctx context.Context) {
	d.init()
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	passes := make(chan struct{}, maxPasses)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case passes <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-passes; wg.Done() }()
			if _, err := d.DeliverOnce(ctx); err != nil && ctx.Err() == nil {
				d.Logger.Warn("notifications: a delivery pass failed; the next one tries again", "err", err)
			}
		}()
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-t.C:
		}
	}
}

// DeliverOnce claims the notifications due now and tries each once,
// returning how many it tried.
func (d *Deliverer) DeliverOnce(ctx context.Context) (int, error) {
	d.init()
	sys := viewer.SystemContext(ctx)
	claimed, err := d.claim(sys, d.now())
	if err != nil {
		return 0, err
	}
	// The sends run on the workers (each mostly waits on its receiver);
	// the claims before them and the outcomes after them are one
	// transaction each, so a burst costs the database two commits a pass,
	// not two a notification.
	results := make([]error, len(claimed))
	sem := make(chan struct{}, d.Workers)
	var wg sync.WaitGroup
	for i, n := range claimed {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = d.send(sys, n)
		}()
	}
	wg.Wait()
	if err := d.record(sys, claimed, results); err != nil {
		// Unrecorded attempts are tried again when their claims expire,
		// with the same Message-ID or webhook-id.
		d.Logger.Error("notifications: recording attempts failed; they are tried again when their claims expire", "err", err)
		return len(claimed), err
	}
	return len(claimed), nil
}

// Row locks. Passes of this process and of others claim and record
// notifications at once; on PostgreSQL each statement locks the rows it
// updates until its transaction ends, in the order its plan meets them.
// Two transactions that wait for each other's rows would deadlock, and
// the pass PostgreSQL aborts would leave its mail to its lease. So no
// transaction here waits for a row while holding one out of order:
//
//   - a claim waits for nothing: it takes the due rows nobody holds (FOR
//     UPDATE SKIP LOCKED, see dueUnclaimed); a row held by another claim
//     is that claim's, one held by a recording is no longer due or is
//     due again at the next pass;
//   - a recording locks all its rows first, in id order (lockInIDOrder):
//     two recordings share rows only when a claim outlived its lease and
//     the rows were claimed again, and then they queue, not deadlock.
//
// SQLite has one writer at a time and no row locks: there the statements
// are the same without their locking clauses.

// claim takes up to batch notifications due at now for one attempt each:
// one statement moves each a lease ahead, to an instant of this claim's
// own (see leaseInstant), and the rows at that instant are this claim's.
func (d *Deliverer) claim(ctx context.Context, now time.Time) ([]*ent.Notification, error) {
	until := leaseInstant(now)
	tx, err := d.DB.Tx(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	n, err := tx.Notification.Update().Where(dueUnclaimed(now)).AddAttempts(1).SetNextAttemptAt(until).Save(ctx)
	if err != nil || n == 0 {
		return nil, err
	}
	claimed, err := tx.Notification.Query().
		Where(notification.StatusEQ(notification.StatusPENDING), notification.NextAttemptAt(until)).
		Order(ent.Asc(notification.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	return claimed, tx.Commit()
}

// dueUnclaimed is the predicate of a claim: the first batch notifications
// by id that are PENDING and due at now, and on PostgreSQL not locked by
// another transaction (skipped, not waited for).
func dueUnclaimed(now time.Time) func(*sql.Selector) {
	return func(s *sql.Selector) {
		t := sql.Table(notification.Table).As("due")
		due := sql.Dialect(s.Dialect()).Select(t.C(notification.FieldID)).From(t).
			Where(sql.And(
				sql.EQ(t.C(notification.FieldStatus), notification.StatusPENDING),
				sql.LTE(t.C(notification.FieldNextAttemptAt), now),
			)).
			OrderBy(t.C(notification.FieldID)).Limit(batch)
		if s.Dialect() == dialect.Postgres {
			due.ForUpdate(sql.WithLockAction(sql.SkipLocked))
		}
		s.Where(sql.In(s.C(notification.FieldID), due))
	}
}

// lockInIDOrder locks the selected rows in id order on PostgreSQL (a
// predicate that selects nothing itself); on SQLite it does nothing.
func lockInIDOrder(s *sql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.OrderBy(s.C(notification.FieldID)).ForUpdate()
	}
}

// claims numbers this process's claims.
var claims atomic.Int64

// leaseInstant is when a claim made at now expires: lease ahead, to the
// microsecond (as both databases keep it), offset by a number of this
// process's claims and a random part, so that no two claims — of this
// process or another — share it.
func leaseInstant(now time.Time) time.Time {
	off := (claims.Add(1)*7919 + rand.Int64N(1000)*1000003) % 1_000_000
	return now.Truncate(time.Second).Add(lease).Add(time.Duration(off) * time.Microsecond)
}

// record writes the outcome of each attempt (results[i] is claimed[i]'s)
// in one transaction, which first locks its rows in id order (see Row
// locks).
func (d *Deliverer) record(ctx context.Context, claimed []*ent.Notification, results []error) error {
	if len(claimed) == 0 {
		return nil
	}
	now := d.now()
	tx, err := d.DB.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	ids := make([]int, len(claimed))
	for i, n := range claimed {
		ids[i] = n.ID
	}
	if _, err := tx.Notification.Query().Where(notification.IDIn(ids...), lockInIDOrder).IDs(ctx); err != nil {
		return err
	}
	var sent []int
	statuses := make([]string, len(claimed))
	for i, n := range claimed {
		if results[i] == nil {
			sent = append(sent, n.ID)
			statuses[i] = StatusSent
		}
	}
	if len(sent) > 0 {
		if err := tx.Notification.Update().Where(notification.IDIn(sent...)).
			SetStatus(notification.StatusSENT).SetSentAt(now).ClearNextAttemptAt().ClearLastError().Exec(ctx); err != nil {
			return err
		}
	}
	for i, n := range claimed {
		err := results[i]
		if err == nil {
			continue
		}
		u := tx.Notification.UpdateOneID(n.ID)
		switch {
		case d.permanent(n, err) || n.Attempts >= MaxAttempts:
			statuses[i] = StatusFailed
			u.SetStatus(notification.StatusFAILED).ClearNextAttemptAt().SetLastError(err.Error())
			d.Logger.Warn("notification given up", "notification", n.ID, "kind", n.Kind, "channel", n.Channel,
				"ticket", ticketing.Number(n.TicketID), "workflowID", workflows.TicketWorkflowID(n.TicketID),
				"recipient", n.Recipient, "attempts", n.Attempts, "err", err)
		default:
			statuses[i] = StatusRetrying
			u.SetNextAttemptAt(now.Add(Backoff(n.Attempts))).SetLastError(err.Error())
		}
		if errors.Is(err, ErrMailOff) {
			// Recorded, not sent: no attempt was made.
			u.SetAttempts(n.Attempts - 1)
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if d.Delivered != nil {
		for i, n := range claimed {
			d.Delivered.WithLabelValues(string(n.Kind), string(n.Channel), statuses[i]).Inc()
		}
	}
	return nil
}

// The statuses of helpdesk_notifications_delivered_total: an attempt
// sent, failed for good (given up, or not sendable: e-mail off), or to be
// retried after its backoff.
const (
	StatusSent     = "sent"
	StatusFailed   = "failed"
	StatusRetrying = "retrying"
)

// NewDeliveredCounter is helpdesk_notifications_delivered_total,
// registered in reg: the recorded delivery attempts by notification kind,
// channel (EMAIL, WEBHOOK) and status (StatusSent, StatusFailed,
// StatusRetrying).
func NewDeliveredCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "helpdesk_notifications_delivered_total",
		Help: "Notification delivery attempts recorded, by kind, channel and status (sent, failed, retrying).",
	}, []string{"kind", "channel", "status"})
	reg.MustRegister(c)
	return c
}

func (d *Deliverer) permanent(n *ent.Notification, err error) bool {
	switch {
	case errors.Is(err, ErrMailOff), errors.Is(err, errBadPayload):
		return true
	case n.Channel == notification.ChannelWEBHOOK:
		return webhook.IsPermanent(err)
	case d.Mailer != nil:
		return d.Mailer.Permanent(err)
	}
	return false
}

var errBadPayload = errors.New("notification payload unreadable")

func (d *Deliverer) send(ctx context.Context, n *ent.Notification) error {
	var p notify.Payload
	if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
		return fmt.Errorf("%w: %v", errBadPayload, err)
	}
	switch n.Channel {
	case notification.ChannelEMAIL:
		if d.Mailer == nil {
			return ErrMailOff
		}
		return d.Mailer.Send(ctx, Mail{
			MessageID: fmt.Sprintf("<notification-%d@%s>", n.ID, d.Host),
			ThreadID:  fmt.Sprintf("<ticket-%d@%s>", n.TicketID, d.Host),
			Kind:      notify.Kind(n.Kind), To: n.Recipient, Payload: p,
		})
	case notification.ChannelWEBHOOK:
		w, err := d.DB.Webhook.Get(ctx, p.WebhookID)
		if err != nil {
			return &webhook.PermanentError{Err: fmt.Errorf("webhook %d: %w", p.WebhookID, err)}
		}
		if !w.Active {
			return &webhook.PermanentError{Err: fmt.Errorf("webhook %d is deactivated", w.ID)}
		}
		return d.Webhooks.Send(ctx, webhook.Delivery{
			ID: "hd-notification-" + strconv.Itoa(n.ID), URL: n.Recipient, Secret: w.Secret, Body: p.Body,
		})
	}
	return fmt.Errorf("%w: unknown channel %s", errBadPayload, n.Channel)
}

// Backoff is the pause after the given number of failed attempts:
// doubling from firstBackoff, at most maxBackoff.
func Backoff(attempts int) time.Duration {
	b := firstBackoff
	for i := 1; i < attempts && b < maxBackoff; i++ {
		b *= 2
	}
	return min(b, maxBackoff)
}
