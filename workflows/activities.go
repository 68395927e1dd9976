package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/temporal"

	"helpdesk/ent"
	"helpdesk/ent/outboxmessage"
	"helpdesk/internal/sla"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/tickets"
	"helpdesk/internal/viewer"
)

// ActivityAct is the name of Activities.Act, as workflows schedule it.
const ActivityAct = "Act"

// Activities are what ticket workflows do outside workflow code: the
// product's own changes of a ticket, through the one entry point
// (tickets.Change) as the system actor, each in one transaction.
type Activities struct {
	DB *ent.Client
	// Now is the clock of the changes; nil is the wall clock. Tests pass
	// the time-skipping test environment's.
	Now func() time.Time
	// BreachLateness, when set, observes how late each breach is
	// recorded after its due time, in seconds
	// (helpdesk_sla_breach_lateness_seconds).
	BreachLateness prometheus.Observer
	// SLA, when set, counts the warnings, breaches and escalations the
	// actions record.
	SLA *SLACounters
	// AfterCommit, when set, is called after an action committed: it
	// wakes the outbox and the delivery of the notifications it planned.
	AfterCommit func()
}

// ActInput asks for the automatic action of a timer on a ticket.
type ActInput struct {
	TicketID int             `json:"ticketID"`
	Timer    ticketing.Timer `json:"timer"`
}

// ActResult says what Act did. Change, when it acted, is the ticket as it
// became (without Seq: the same change reaches the workflow through the
// outbox too, in its order).
type ActResult struct {
	Acted  bool          `json:"acted"`
	Change *TicketChange `json:"change,omitempty"`
}

// Act does the automatic action of in.Timer on the ticket if it is still
// due (ticketing.ErrNotDue otherwise: nothing changes, Acted is false).
// A retry after a crash finds the first attempt's change committed, so
// the action is not due any more: its events are recorded once.
func (a *Activities) Act(ctx context.Context, in ActInput) (ActResult, error) {
	sys := viewer.SystemContext(ctx)
	if a.Now != nil {
		sys = ticketing.WithClock(sys, a.Now)
	}
	tx, err := a.DB.Tx(sys)
	if err != nil {
		return ActResult{}, err
	}
	defer func() { _ = tx.Rollback() }()
	timer := in.Timer
	_, err = tickets.Change(sys, tx.Client(), in.TicketID, ticketing.Request{Action: timer.Action, Timer: &timer})
	switch {
	case errors.Is(err, ticketing.ErrNotDue):
		return ActResult{}, nil
	case errors.Is(err, ticketing.ErrInvalidTransition), errors.Is(err, ticketing.ErrBadInput), ent.IsNotFound(err):
		// The rules refuse it for good: retrying cannot help.
		return ActResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "refused", err)
	case err != nil:
		return ActResult{}, err
	}
	// The change's own outbox message is the ticket as it became.
	m, err := tx.OutboxMessage.Query().Where(outboxmessage.TicketID(in.TicketID)).
		Order(ent.Desc(outboxmessage.FieldID)).First(sys)
	if err != nil {
		return ActResult{}, fmt.Errorf("reading the change's outbox message: %w", err)
	}
	var ch TicketChange
	if err := json.Unmarshal(m.Payload, &ch); err != nil {
		return ActResult{}, err
	}
	ch.Trace = nil // the outbox's, not the workflow's state
	if err := tx.Commit(); err != nil {
		return ActResult{}, err
	}
	if a.AfterCommit != nil {
		a.AfterCommit()
	}
	if timer.Action == ticketing.Breach && a.BreachLateness != nil {
		a.BreachLateness.Observe(ticketing.Now(sys).Sub(timer.At).Seconds())
	}
	a.SLA.count(timer, ch.Events)
	return ActResult{Acted: true, Change: &ch}, nil
}

// SLACounters count the events the automatic actions record, once each
// when their change commits (a retried action finds itself done and
// counts nothing): helpdesk_sla_warnings_total and
// helpdesk_sla_breaches_total by clock, helpdesk_escalations_total by
// cause (an SLA breach, or the escalation ladder's next level). An
// agent's escalateTicket is not counted here: it is an API operation
// (helpdesk_graphql_requests_total).
type SLACounters struct {
	Warnings, Breaches, Escalations *prometheus.CounterVec
}

// The causes of helpdesk_escalations_total.
const (
	EscalationBySLABreach = "sla_breach"
	EscalationByLadder    = "ladder"
)

// NewSLACounters registers the counters in reg.
func NewSLACounters(reg prometheus.Registerer) *SLACounters {
	c := &SLACounters{
		Warnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sla_warnings_total", Help: "SLA_WARNING events recorded, by clock (FIRST_RESPONSE, RESOLUTION).",
		}, []string{"clock"}),
		Breaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sla_breaches_total", Help: "SLA_BREACHED events recorded, by clock (FIRST_RESPONSE, RESOLUTION).",
		}, []string{"clock"}),
		Escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_escalations_total", Help: "Automatic ESCALATED events recorded, by cause (sla_breach, ladder).",
		}, []string{"cause"}),
	}
	reg.MustRegister(c.Warnings, c.Breaches, c.Escalations)
	// Every series from the start, at 0: a dashboard's rate() sees the
	// first breach, and an operator sees what exists.
	for _, clock := range []sla.Clock{sla.FirstResponse, sla.Resolution} {
		c.Warnings.WithLabelValues(string(clock))
		c.Breaches.WithLabelValues(string(clock))
	}
	c.Escalations.WithLabelValues(EscalationBySLABreach)
	c.Escalations.WithLabelValues(EscalationByLadder)
	return c
}

// count counts the events of an action on tm.
func (c *SLACounters) count(tm ticketing.Timer, events []EventRef) {
	if c == nil {
		return
	}
	for _, e := range events {
		switch ticketing.EventKind(e.Kind) {
		case ticketing.EventSLAWarning:
			c.Warnings.WithLabelValues(string(tm.Clock)).Inc()
		case ticketing.EventSLABreached:
			c.Breaches.WithLabelValues(string(tm.Clock)).Inc()
		case ticketing.EventEscalated:
			cause := EscalationByLadder
			if tm.Action == ticketing.Breach {
				cause = EscalationBySLABreach
			}
			c.Escalations.WithLabelValues(cause).Inc()
		}
	}
}

// NewBreachLateness is the histogram of breach lateness, registered in
// reg: seconds from a clock's due time to its SLA_BREACHED event. The
// buckets resolve the target (within a second) finely.
func NewBreachLateness(reg prometheus.Registerer) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "helpdesk_sla_breach_lateness_seconds",
		Help:    "Seconds from an SLA clock's due time to its SLA_BREACHED event.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 5, 10, 30, 60},
	})
	reg.MustRegister(h)
	return h
}
