package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds and defaults of the auto-reply scenario.
const (
	// DefaultAutoreplyTickets is the tickets a run creates unless told
	// otherwise: enough for a p99 over 20 slowest, done in seconds.
	DefaultAutoreplyTickets = 2000
	// MaxAutoreplyTickets bounds AutoreplyConfig.Tickets, for the reason
	// of MaxBreachTickets: what one run creates in minutes.
	MaxAutoreplyTickets = MaxBreachTickets
	// DefaultAutoreplyGrace is how long after the last createTicket answer
	// a run waits for auto-replies still missing; one later counts as
	// missing. Ten times the target p99 (TargetAutoreplyP99), so a
	// straggler is seen and judged, not lost.
	DefaultAutoreplyGrace = 10 * time.Second
	// DefaultSMTPSink is the address the bench's SMTP sink listens on: next
	// to 2525, the usual HELPDESK_SMTP_LISTEN example, so that a server
	// taking mail in on the same machine does not collide with it.
	DefaultSMTPSink = "127.0.0.1:2526"
	// AutoreplyProbeWait is how long a run waits for the auto-reply of its
	// probe ticket before concluding that the server's mail does not reach
	// the sink; a working server sends it within milliseconds.
	AutoreplyProbeWait = 5 * time.Second

	// autoreplySettle is how long a run keeps listening once every ticket
	// has its auto-reply, so that a duplicate sent right after the first
	// is counted; later duplicates (a retry seconds on) are not seen.
	autoreplySettle = time.Second
	// autoreplyPriority is the one priority the tickets are opened with.
	autoreplyPriority = "MEDIUM"
)

// AutoreplyConfig configures one run of the auto-reply scenario.
type AutoreplyConfig struct {
	// Addr is the server's base URL (see Config.Addr).
	Addr string
	// Token is an ADMIN agent's token, used to prepare the run.
	Token string
	// Clients is how many clients create the tickets concurrently, each
	// with its own contact token.
	Clients int
	// Tickets is how many tickets to create, 1..MaxAutoreplyTickets.
	Tickets int
	// Grace is how long after the last createTicket answer the run waits
	// for auto-replies still missing; 0 means DefaultAutoreplyGrace.
	Grace time.Duration
	// SinkAddr is where the run's SMTP sink listens; the server must send
	// its mail there (HELPDESK_SMTP_URL=smtp://SinkAddr). "" means
	// DefaultSMTPSink. Ignored when SinkListener is set.
	SinkAddr string
	// SinkListener, if set, is the listener the sink serves on instead of
	// listening on SinkAddr; the run closes it.
	SinkListener net.Listener
	// Progress receives progress lines; nil: none.
	Progress io.Writer
	// HTTPClient sends the requests; nil: as for Config.
	HTTPClient *http.Client
}

// AutoreplyReport is the result of an auto-reply run. Only Autoreply is
// part of its JSON form.
type AutoreplyReport struct {
	Autoreply AutoreplyStats `json:"autoreply"`

	// Requested is AutoreplyConfig.Tickets.
	Requested int `json:"-"`
	// Clients and Grace are the run's.
	Clients int           `json:"-"`
	Grace   time.Duration `json:"-"`
	// SinkAddr is the address the sink listened on.
	SinkAddr string `json:"-"`
	// ProbeDelay is the delay of the probe ticket's auto-reply, sent while
	// nothing else ran.
	ProbeDelay time.Duration `json:"-"`
	// ErrorSamples are the first distinct errors of creating (including
	// those a retry overcame).
	ErrorSamples []ErrorSample `json:"-"`
	// RateLimited reports that the server refused some requests for
	// their rate.
	RateLimited bool `json:"-"`
}

// RunAutoreply runs the auto-reply scenario: it starts an SMTP sink,
// prepares an organization of its own, checks with one probe ticket that
// the server's mail reaches the sink, creates cfg.Tickets tickets as fast
// as cfg.Clients clients can, waits until every one has its auto-reply
// (or cfg.Grace has passed since the last was created) and judges the
// delays (AutoreplyStats). It returns an error when cfg is invalid, the
// sink cannot listen, preparation fails, the probe's auto-reply does not
// come, no ticket could be created, or ctx ends.
func RunAutoreply(ctx context.Context, cfg AutoreplyConfig) (*AutoreplyReport, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Grace == 0 {
		cfg.Grace = DefaultAutoreplyGrace
	}
	if cfg.SinkAddr == "" {
		cfg.SinkAddr = DefaultSMTPSink
	}
	endpoint, err := endpointURL(cfg.Addr)
	if err != nil {
		return nil, err
	}
	var sk *sink
	if cfg.SinkListener != nil {
		sk = startSink(cfg.SinkListener)
	} else if sk, err = listenSink(cfg.SinkAddr); err != nil {
		return nil, err
	}
	defer sk.close()
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
	rep := &AutoreplyReport{Requested: cfg.Tickets, Clients: cfg.Clients, Grace: cfg.Grace, SinkAddr: sk.addr}
	logf("bench: autoreply: SMTP sink listening on %s", sk.addr)

	f, err := newPreparer(c, cfg.Token, cfg.Clients, logf).tenant(ctx, "")
	if err != nil {
		return nil, err
	}
	var errLog errorLog
	probe, err := probeAutoreply(ctx, c, f, sk, &errLog)
	rep.ErrorSamples, rep.RateLimited = errLog.snapshot()
	if err != nil {
		return rep, err
	}
	rep.ProbeDelay = probe.delay
	logf("bench: autoreply: the probe ticket %s's auto-reply reached the sink after %.1f ms", probe.number, float64(probe.delay)/float64(time.Millisecond))

	started := time.Now()
	created, latencies, failed, err := createAutoreplyTickets(ctx, c, cfg, f, sk, &errLog, logf)
	rep.ErrorSamples, rep.RateLimited = errLog.snapshot()
	if err != nil {
		return rep, err
	}
	createS := round(time.Since(started).Seconds(), 2)
	logf("bench: autoreply: %d tickets created in %.1fs (%d failed)", len(created), createS, failed)

	arrivals, err := awaitAutoreplies(ctx, sk, created, f.requester, cfg.Grace, logf)
	if err != nil {
		return rep, err
	}
	stats := autoreplyStats(created, arrivals, f.requester, probe.number)
	stats.CreateS, stats.CreateFailed = createS, failed
	if len(latencies) > 0 {
		slices.Sort(latencies)
		p99 := millis(percentile(latencies, 99))
		stats.CreateP99Ms = &p99
	}
	stats.TargetsMet = len(stats.TargetMisses()) == 0
	rep.Autoreply = stats
	return rep, nil
}

// validate checks the fields RunAutoreply cannot work without.
func (cfg AutoreplyConfig) validate() error {
	switch {
	case cfg.Addr == "":
		return errors.New("bench: no server address")
	case cfg.Token == "":
		return errors.New("bench: no admin token")
	case cfg.Clients < 1:
		return fmt.Errorf("bench: clients must be at least 1, got %d", cfg.Clients)
	case cfg.Tickets < 1 || cfg.Tickets > MaxAutoreplyTickets:
		return fmt.Errorf("bench: tickets must be between 1 and %d, got %d", MaxAutoreplyTickets, cfg.Tickets)
	case cfg.Grace < 0:
		return fmt.Errorf("bench: grace must not be negative, got %s", cfg.Grace)
	}
	return nil
}

// autoreplyTicketInput returns the variables of the run's ticket seq
// ("probe" or its index): a service request, so that its only mail is the
// auto-reply to the requester, with an idempotency key of its own.
func autoreplyTicketInput(runID, seq, serviceID string) map[string]any {
	return map[string]any{"input": map[string]any{
		"subject":        fmt.Sprintf("bench %s autoreply #%s", runID, seq),
		"description":    "Opened by helpdesk-bench run " + runID + " to measure how soon its auto-reply is sent.",
		"priority":       autoreplyPriority,
		"category":       "SERVICE_REQUEST",
		"channel":        "PORTAL",
		"serviceID":      serviceID,
		"idempotencyKey": fmt.Sprintf("bench-%s-autoreply-%s", runID, seq),
	}}
}

// createAutoreply creates one ticket with up to createAttempts tries and
// returns it with the latency of the successful request.
func createAutoreply(ctx context.Context, c *gqlClient, token string, vars map[string]any, errLog *errorLog) (sentTicket, time.Duration, error) {
	var (
		t       sentTicket
		latency time.Duration
	)
	err := retried(ctx, errLog, func(rctx context.Context) error {
		var out createTicketData
		d, err := c.do(rctx, token, createTicketOp, vars, &out)
		returned := time.Now()
		if err != nil {
			return err
		}
		if out.CreateTicket == nil || out.CreateTicket.Number == "" {
			return fmt.Errorf("%w: createTicket is null or has no number", errNoData)
		}
		t, latency = sentTicket{number: out.CreateTicket.Number, returned: returned}, d
		return nil
	})
	if err != nil {
		return sentTicket{}, 0, err
	}
	return t, latency, nil
}

// probeResult is the probe ticket and its auto-reply's delay.
type probeResult struct {
	number string
	delay  time.Duration
}

// probeAutoreply creates one ticket and waits up to AutoreplyProbeWait for
// its auto-reply to reach the sink, so that a server whose mail goes
// elsewhere (or nowhere) fails the run at once instead of after creating
// every ticket.
func probeAutoreply(ctx context.Context, c *gqlClient, f *fixture, sk *sink, errLog *errorLog) (probeResult, error) {
	t, _, err := createAutoreply(ctx, c, f.contactTokens[0], autoreplyTicketInput(f.runID, "probe", f.serviceID), errLog)
	if err != nil {
		return probeResult{}, fmt.Errorf("bench: autoreply: creating the probe ticket: %w", err)
	}
	deadline := time.NewTimer(max(time.Until(t.returned.Add(AutoreplyProbeWait)), 0))
	defer deadline.Stop()
	for next := 0; ; {
		got, n := sk.since(next)
		next = n
		for _, a := range got {
			if a.number == t.number && a.to == f.requester {
				return probeResult{number: t.number, delay: max(a.at.Sub(t.returned), 0)}, nil
			}
		}
		select {
		case <-sk.wake:
		case <-deadline.C:
			return probeResult{}, fmt.Errorf("bench: autoreply: no auto-reply reached the sink at %s within %s of creating ticket %s: "+
				"start helpdesk with HELPDESK_SMTP_URL=smtp://%s", sk.addr, AutoreplyProbeWait, t.number, sk.addr)
		case <-ctx.Done():
			return probeResult{}, fmt.Errorf("bench: autoreply: waiting for the probe's auto-reply: %w", ctx.Err())
		}
	}
}

// createAutoreplyTickets creates cfg.Tickets tickets on cfg.Clients
// clients, each with its own contact token, and returns those created (in
// order of creation index), the latencies of their createTicket requests
// and how many failed after retries. No ticket created is an error.
func createAutoreplyTickets(ctx context.Context, c *gqlClient, cfg AutoreplyConfig, f *fixture, sk *sink, errLog *errorLog, logf func(string, ...any)) ([]sentTicket, []time.Duration, int, error) {
	var (
		results   = make([]sentTicket, cfg.Tickets)
		latencies = make([]time.Duration, cfg.Tickets)
		next      atomic.Int64
		done, bad atomic.Int64
		wg        sync.WaitGroup
	)
	logf("bench: autoreply: creating %d tickets on %d clients", cfg.Tickets, cfg.Clients)
	for w := range min(cfg.Clients, cfg.Tickets) {
		token := f.contactTokens[w]
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.Tickets || ctx.Err() != nil {
					return
				}
				t, latency, err := createAutoreply(ctx, c, token, autoreplyTicketInput(f.runID, fmt.Sprint(i), f.serviceID), errLog)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					bad.Add(1)
					continue
				}
				results[i], latencies[i] = t, latency
				done.Add(1)
			}
		})
	}
	stopProgress := progressEverySecond(cfg.Progress, func() string {
		return fmt.Sprintf("bench: autoreply: created %d/%d (%d failed), %d messages received", done.Load(), cfg.Tickets, bad.Load(), sk.count())
	})
	wg.Wait()
	stopProgress()
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, fmt.Errorf("bench: autoreply: creating tickets: %w", err)
	}
	created := make([]sentTicket, 0, done.Load())
	ok := make([]time.Duration, 0, done.Load())
	for i, t := range results {
		if t.number != "" {
			created = append(created, t)
			ok = append(ok, latencies[i])
		}
	}
	if len(created) == 0 {
		return nil, nil, 0, fmt.Errorf("bench: autoreply: none of the %d tickets could be created (see the errors)", cfg.Tickets)
	}
	return created, ok, int(bad.Load()), nil
}

// awaitAutoreplies waits until every ticket has a message to requester,
// and autoreplySettle more for duplicates, or until grace has passed since
// the last createTicket answer; it returns every arrival of the run.
func awaitAutoreplies(ctx context.Context, sk *sink, tickets []sentTicket, requester string, grace time.Duration, logf func(string, ...any)) ([]arrival, error) {
	pending := make(map[string]bool, len(tickets))
	last := tickets[0].returned
	for _, t := range tickets {
		pending[t.number] = true
		last = maxTime(last, t.returned)
	}
	deadline := last.Add(grace)
	var (
		all      []arrival
		settled  time.Time // when every ticket had its auto-reply
		reported time.Time
	)
	for {
		got, _ := sk.since(len(all))
		all = append(all, got...)
		for _, a := range got {
			if a.to == requester {
				delete(pending, a.number)
			}
		}
		now := time.Now()
		if len(pending) == 0 && settled.IsZero() {
			settled = now
			deadline = minTime(deadline, now.Add(autoreplySettle))
		}
		if !now.Before(deadline) {
			return all, nil
		}
		if settled.IsZero() && now.Sub(reported) >= time.Second {
			logf("bench: autoreply: waiting %s for %d auto-replies", deadline.Sub(now).Round(100*time.Millisecond), len(pending))
			reported = now
		}
		wait := time.NewTimer(min(deadline.Sub(now), time.Second))
		select {
		case <-sk.wake:
		case <-wait.C:
		case <-ctx.Done():
			wait.Stop()
			return nil, fmt.Errorf("bench: autoreply: waiting for the auto-replies: %w", ctx.Err())
		}
		wait.Stop()
	}
}

// WriteText writes the auto-reply report: what ran, the counts, the
// delays, the verdict on the targets, the first distinct errors and, when
// the server rate-limited the bench, a hint.
func (r *AutoreplyReport) WriteText(w io.Writer) {
	s := r.Autoreply
	fmt.Fprintf(w, "autoreply: %d of %d tickets created in %.1fs (%d failed) on %d clients; auto-replies taken at %s, waited up to %s after the last\n",
		s.Tickets, r.Requested, s.CreateS, s.CreateFailed, r.Clients, r.SinkAddr, r.Grace)
	fmt.Fprintf(w, "  received %d, missing %d, duplicated %d, misaddressed %d, foreign %d\n",
		s.Received, s.Missing, s.Duplicated, s.Misaddressed, s.Foreign)
	if s.P50Ms != nil {
		fmt.Fprintf(w, "  delay after createTicket returned: p50 %.1f ms, p99 %.1f ms, max %.1f ms (a message before the answer counts 0 ms)\n", *s.P50Ms, *s.P99Ms, *s.MaxMs)
	} else {
		fmt.Fprintf(w, "  delay: no auto-reply received\n")
	}
	if s.CreateP99Ms != nil {
		fmt.Fprintf(w, "  createTicket p99 %.1f ms\n", *s.CreateP99Ms)
	}
	if misses := s.TargetMisses(); len(misses) == 0 {
		fmt.Fprintf(w, "targets met: p99 < %s, 0 missing, 0 duplicated\n", TargetAutoreplyP99)
	} else {
		fmt.Fprintf(w, "targets missed:\n")
		for _, m := range misses {
			fmt.Fprintf(w, "  %s\n", m)
		}
	}
	if len(r.ErrorSamples) > 0 {
		fmt.Fprintf(w, "first distinct errors:\n")
		for _, e := range r.ErrorSamples {
			fmt.Fprintf(w, "  %6d× %s\n", e.Count, e.Message)
		}
	}
	if r.RateLimited {
		fmt.Fprintf(w, "hint: the server rate-limited the bench (RATE_LIMITED); restart it with HELPDESK_RATE_LIMIT=0\n")
	}
}
