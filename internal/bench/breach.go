package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds and constants of the breach scenario.
const (
	// MaxBreachTickets bounds BreachConfig.Tickets: ten times the issue's
	// 10,000, and what one run can create and read in minutes.
	MaxBreachTickets = 100000
	// MinBreachWindow is the shortest window: SLA targets are whole
	// seconds, at least one.
	MinBreachWindow = time.Second
	// MaxBreachWindow is the longest window: the run waits it out, and a
	// bench that waits hours is not one.
	MaxBreachWindow = time.Hour
	// DefaultBreachGrace is how long after the last due time the run waits
	// before reading. A breach recorded later is not seen and counts as
	// missing, so it is five times the 2 s the slowest breach may take
	// (TargetBreachMax), which also covers a few seconds of difference
	// between the bench's clock and the server's.
	DefaultBreachGrace = 10 * time.Second

	// breachPriority is the one priority the tickets are opened with.
	breachPriority = "HIGH"
	// breachResolutionSeconds is every priority's resolution target: 30
	// days, so that no resolution clock runs out during a run.
	breachResolutionSeconds = 30 * 24 * 3600
	// createAttempts is how often one ticket's creation is tried. Retries
	// send the same idempotency key, so a retry after a lost answer gets
	// the ticket the first attempt opened, not a second one.
	createAttempts = 3
	// retryBackoff is the pause before a retry, times the attempt number.
	retryBackoff = 200 * time.Millisecond
	// readBatch is how many tickets one read asks for: its cost is
	// 1 + 500 × 34 = 17,001 of the 50,000 an operation may cost, and 500
	// tickets with a handful of events each are some 3,000 of the 50,000
	// objects an answer may hold, so tickets with more events than
	// estimated still fit.
	readBatch = 500
	// readWorkers bounds the concurrent reads: 10,000 tickets are 20
	// reads, done in seconds by four.
	readWorkers = 4
	// readAttempts is how often one batch's read is tried.
	readAttempts = 3
	// policyTolerance is how far a new ticket's due time may be from its
	// creation plus the window: another policy is off by minutes or hours,
	// a due time rounded to the second is still the run's policy.
	policyTolerance = time.Second
	// waitProgressEvery is the period of the progress line while waiting.
	waitProgressEvery = 5 * time.Second
)

// BreachConfig configures one run of the breach scenario.
type BreachConfig struct {
	// Addr is the server's base URL (see Config.Addr).
	Addr string
	// Token is an ADMIN agent's token, used to prepare the run and to read
	// the tickets' events.
	Token string
	// Clients is how many clients create the tickets concurrently, each
	// with its own contact token.
	Clients int
	// Tickets is how many tickets to create, 1..MaxBreachTickets.
	Tickets int
	// Window is the first-response target of the run's 24x7 policy, whole
	// seconds from MinBreachWindow to MaxBreachWindow: when creating takes
	// no longer than Window, every due time falls within Window after
	// creating ends.
	Window time.Duration
	// Grace is how long after the last due time reading starts; 0 means
	// DefaultBreachGrace.
	Grace time.Duration
	// MetricsURL, if set, is the server's Prometheus endpoint, sampled
	// every second for its memory.
	MetricsURL string
	// Progress receives progress lines; nil: none.
	Progress io.Writer
	// HTTPClient sends the requests; nil: as for Config.
	HTTPClient *http.Client
}

// BreachReport is the result of a breach run. Only Breach is part of its
// JSON form.
type BreachReport struct {
	Breach BreachStats `json:"breach"`

	// Requested is BreachConfig.Tickets.
	Requested int `json:"-"`
	// Window and Grace are the run's.
	Window, Grace time.Duration `json:"-"`
	// CreateOutlastedWindow: creating took so long that due times passed
	// before the last ticket was created.
	CreateOutlastedWindow bool `json:"-"`
	// ErrorSamples are the first distinct errors of creating and reading
	// (including those a retry overcame).
	ErrorSamples []ErrorSample `json:"-"`
	// RateLimited reports that the server refused some requests for
	// their rate.
	RateLimited bool `json:"-"`
	// MemoryProblem says why memory samples are absent or incomplete.
	MemoryProblem string `json:"-"`
}

// createdTicket is one ticket of the run as createTicket answered.
type createdTicket struct {
	ID                 string    `json:"id"`
	Number             string    `json:"number"`
	CreatedAt          time.Time `json:"createdAt"`
	FirstResponseDueAt time.Time `json:"firstResponseDueAt"`
}

// RunBreach runs the breach scenario: it prepares an organization of its
// own on a new 24x7 SLA policy whose first-response target is cfg.Window,
// creates cfg.Tickets tickets that nobody answers, waits until the last
// due time plus cfg.Grace, reads every ticket's SLA_BREACHED events and
// judges them (BreachStats). It returns an error when cfg is invalid,
// preparation fails, no ticket could be created, a ticket does not run on
// the run's policy, or ctx ends.
func RunBreach(ctx context.Context, cfg BreachConfig) (*BreachReport, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Grace == 0 {
		cfg.Grace = DefaultBreachGrace
	}
	endpoint, err := endpointURL(cfg.Addr)
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = newHTTPClient(cfg.Clients)
		defer hc.CloseIdleConnections()
	}
	c := &gqlClient{http: hc, endpoint: endpoint}
	logf := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}
	rep := &BreachReport{Requested: cfg.Tickets, Window: cfg.Window, Grace: cfg.Grace}

	var mem *memorySampler
	if cfg.MetricsURL != "" {
		u, err := metricsURL(cfg.MetricsURL)
		if err != nil {
			return nil, err
		}
		mem = &memorySampler{hc: hc, url: u}
		memCtx, stopMem := context.WithCancel(ctx)
		memDone := make(chan struct{})
		go func() { defer close(memDone); mem.run(memCtx, memoryEvery) }()
		defer func() { stopMem(); <-memDone }()
	}

	p := newPreparer(c, cfg.Token, cfg.Clients, logf)
	policyID, err := p.breachPolicy(ctx, cfg.Window)
	if err != nil {
		return nil, err
	}
	f, err := p.tenant(ctx, policyID)
	if err != nil {
		return nil, err
	}

	var errLog errorLog
	started := time.Now()
	created, failed, err := createBreachTickets(ctx, c, cfg, f, &errLog, logf)
	rep.ErrorSamples, rep.RateLimited = errLog.snapshot()
	if err != nil {
		return rep, err
	}
	rep.Breach.CreateS = round(time.Since(started).Seconds(), 2)
	rep.Breach.CreateFailed = failed
	firstDue, lastDue, lastCreated := created[0].FirstResponseDueAt, created[0].FirstResponseDueAt, created[0].CreatedAt
	for _, t := range created {
		firstDue, lastDue = minTime(firstDue, t.FirstResponseDueAt), maxTime(lastDue, t.FirstResponseDueAt)
		lastCreated = maxTime(lastCreated, t.CreatedAt)
	}
	rep.Breach.DueSpanMs = millis(lastDue.Sub(firstDue))
	logf("bench: breach: %d tickets created in %.1fs (%d failed); due times span %.1fs", len(created), rep.Breach.CreateS, failed, lastDue.Sub(firstDue).Seconds())
	if lastCreated.After(firstDue) {
		rep.CreateOutlastedWindow = true
		logf("bench: breach: creating took longer than the %s window: the first tickets were due before the last was created; measuring anyway", cfg.Window)
	}

	if err := waitUntil(ctx, lastDue.Add(cfg.Grace), logf); err != nil {
		return rep, err
	}

	reads, unread, err := readBreaches(ctx, c, cfg, created, &errLog, logf)
	rep.ErrorSamples, rep.RateLimited = errLog.snapshot()
	if err != nil {
		return rep, err
	}
	stats := breachStats(reads)
	stats.Tickets, stats.Unread, stats.CreateFailed = len(created), unread, failed
	stats.WindowS, stats.CreateS, stats.DueSpanMs = cfg.Window.Seconds(), rep.Breach.CreateS, rep.Breach.DueSpanMs
	if mem != nil {
		mem.sample(ctx) // the memory as of the end of the run
		stats.ServerRSSPeakMB, stats.ServerHeapInusePeakMB, rep.MemoryProblem = mem.peaks()
	}
	stats.TargetsMet = len(stats.TargetMisses()) == 0
	rep.Breach = stats
	return rep, nil
}

// validate checks the fields RunBreach cannot work without.
func (cfg BreachConfig) validate() error {
	switch {
	case cfg.Addr == "":
		return errors.New("bench: no server address")
	case cfg.Token == "":
		return errors.New("bench: no admin token")
	case cfg.Clients < 1:
		return fmt.Errorf("bench: clients must be at least 1, got %d", cfg.Clients)
	case cfg.Tickets < 1 || cfg.Tickets > MaxBreachTickets:
		return fmt.Errorf("bench: tickets must be between 1 and %d, got %d", MaxBreachTickets, cfg.Tickets)
	case cfg.Window < MinBreachWindow || cfg.Window > MaxBreachWindow:
		return fmt.Errorf("bench: window must be between %s and %s, got %s", MinBreachWindow, MaxBreachWindow, cfg.Window)
	case cfg.Window%time.Second != 0:
		return fmt.Errorf("bench: window must be whole seconds (SLA targets are), got %s", cfg.Window)
	case cfg.Grace < 0:
		return fmt.Errorf("bench: grace must not be negative, got %s", cfg.Grace)
	}
	return nil
}

// breachPolicy creates the run's 24x7 policy: every priority's first
// response is due window after creation, its resolution much later. The
// rest (warning threshold, reminders) keeps the server's defaults.
func (p *preparer) breachPolicy(ctx context.Context, window time.Duration) (string, error) {
	var targets []map[string]any
	for _, pr := range priorities {
		targets = append(targets, map[string]any{
			"priority": pr, "firstResponseSeconds": int(window / time.Second), "resolutionSeconds": breachResolutionSeconds,
		})
	}
	var out struct {
		CreateSLAPolicy *struct {
			ID         string `json:"id"`
			AlwaysOpen bool   `json:"alwaysOpen"`
		} `json:"createSLAPolicy"`
	}
	name := "bench breach " + p.runID
	if err := p.call(ctx, "createSLAPolicy", p.token, createSLAPolicyOp, map[string]any{"input": map[string]any{
		"name": name, "timezone": "UTC", "alwaysOpen": true, "targets": targets,
	}}, &out, true); err != nil {
		return "", err
	}
	if out.CreateSLAPolicy == nil || out.CreateSLAPolicy.ID == "" {
		return "", p.fail("createSLAPolicy", errNoData, false)
	}
	if !out.CreateSLAPolicy.AlwaysOpen {
		return "", p.fail("createSLAPolicy", errors.New("the new policy is not alwaysOpen"), false)
	}
	p.logf("bench: prepare: SLA policy %q (%s): 24x7, first response due after %s", name, out.CreateSLAPolicy.ID, window)
	return out.CreateSLAPolicy.ID, nil
}

// breachTicketInput returns the variables of the run's seq-th ticket.
func breachTicketInput(runID string, seq int, serviceID string) map[string]any {
	return map[string]any{"input": map[string]any{
		"subject":        fmt.Sprintf("bench %s breach #%d", runID, seq),
		"description":    "Opened by helpdesk-bench run " + runID + " and left unanswered to measure SLA breaches.",
		"priority":       breachPriority,
		"category":       "SERVICE_REQUEST",
		"channel":        "PORTAL",
		"serviceID":      serviceID,
		"idempotencyKey": fmt.Sprintf("bench-%s-%d", runID, seq),
	}}
}

// createBreachTickets creates cfg.Tickets tickets on cfg.Clients clients,
// each with its own contact token, and returns those created (in order of
// creation index) and how many failed after retries. Every ticket must be
// due cfg.Window after its creation (the run's 24x7 policy);
// another due time ends the run with an error, as does no ticket created.
func createBreachTickets(ctx context.Context, c *gqlClient, cfg BreachConfig, f *fixture, errLog *errorLog, logf func(string, ...any)) ([]createdTicket, int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		results   = make([]*createdTicket, cfg.Tickets)
		next      atomic.Int64
		done, bad atomic.Int64
		wg        sync.WaitGroup
	)
	logf("bench: breach: creating %d tickets on %d clients", cfg.Tickets, cfg.Clients)
	for w := range min(cfg.Clients, cfg.Tickets) {
		token := f.contactTokens[w]
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.Tickets || ctx.Err() != nil {
					return
				}
				t, err := createOne(ctx, c, token, breachTicketInput(f.runID, i, f.serviceID), errLog)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					bad.Add(1)
					continue
				}
				if due := t.CreatedAt.Add(cfg.Window); t.FirstResponseDueAt.Sub(due).Abs() > policyTolerance {
					cancel(fmt.Errorf("bench: breach: ticket %s created at %s is due at %s, not %s later: "+
						"the organization's tickets do not run on the run's 24x7 policy",
						t.Number, t.CreatedAt.Format(time.RFC3339Nano), t.FirstResponseDueAt.Format(time.RFC3339Nano), cfg.Window))
					return
				}
				results[i] = t
				done.Add(1)
			}
		})
	}
	stopProgress := progressEverySecond(cfg.Progress, func() string {
		return fmt.Sprintf("bench: breach: created %d/%d (%d failed)", done.Load(), cfg.Tickets, bad.Load())
	})
	wg.Wait()
	stopProgress()
	if err := context.Cause(ctx); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, 0, fmt.Errorf("bench: breach: creating tickets: %w", err)
		}
		return nil, 0, err
	}
	created := make([]createdTicket, 0, done.Load())
	for _, t := range results {
		if t != nil {
			created = append(created, *t)
		}
	}
	if len(created) == 0 {
		return nil, 0, fmt.Errorf("bench: breach: none of the %d tickets could be created (see the errors)", cfg.Tickets)
	}
	return created, int(bad.Load()), nil
}

// createOne creates one ticket with up to createAttempts tries.
func createOne(ctx context.Context, c *gqlClient, token string, vars map[string]any, errLog *errorLog) (*createdTicket, error) {
	var t *createdTicket
	err := retried(ctx, errLog, func(rctx context.Context) error {
		var out struct {
			CreateTicket *createdTicket `json:"createTicket"`
		}
		if _, err := c.do(rctx, token, breachCreateTicketOp, vars, &out); err != nil {
			return err
		}
		if out.CreateTicket == nil || out.CreateTicket.ID == "" || out.CreateTicket.FirstResponseDueAt.IsZero() {
			return fmt.Errorf("%w: createTicket is null or lacks its id or firstResponseDueAt", errNoData)
		}
		t = out.CreateTicket
		return nil
	})
	return t, err
}

// retried makes one createTicket request (try, each attempt within
// requestTimeout) up to createAttempts times, pausing longer before each
// retry and recording every failure in errLog; it returns the last
// failure, or ctx's error once ctx is done.
func retried(ctx context.Context, errLog *errorLog, try func(context.Context) error) error {
	var last error
	for attempt := 1; attempt <= createAttempts; attempt++ {
		if attempt > 1 {
			sleep(ctx, time.Duration(attempt-1)*retryBackoff)
		}
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		err := try(rctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			return nil
		}
		errLog.add(OpCreateTicket, err)
		last = err
	}
	return last
}

// waitUntil sleeps until deadline (on the bench's clock), with a progress
// line every waitProgressEvery.
func waitUntil(ctx context.Context, deadline time.Time, logf func(string, ...any)) error {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		logf("bench: breach: waiting %s for the last due time and the grace period", left.Round(time.Second))
		sleep(ctx, min(left, waitProgressEvery))
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("bench: breach: waiting for the breaches: %w", err)
		}
	}
}

// progressEverySecond writes line() to w once a second until the
// returned stop is called; with w nil it does nothing.
func progressEverySecond(w io.Writer, line func() string) (stop func()) {
	if w == nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				fmt.Fprintln(w, line())
			}
		}
	}()
	return func() { close(quit); <-done }
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
